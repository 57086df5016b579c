/** ListWatchSource over the real Kubernetes API (paged list, watch with bookmarks). */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ApiClient } from "./kube/client.js";
import type { ListResult, ListWatchSource, WatchHandle } from "./reflector.js";

export interface ResourceRef {
  /** e.g. "v1", "metallb.io/v1beta1" */
  readonly apiVersion: string;
  readonly kind: string;
  /** URL path of the collection, e.g. "/api/v1/services" */
  readonly path: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** e.g. "metadata.name=ironlb-speaker-members" */
  readonly fieldSelector?: string;
}

const PAGE = 500;
/** The server closes each watch after this long; the reflector then watches again. */
const WATCH_TIMEOUT_S = 60;

interface Page<T> {
  readonly items?: readonly T[];
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
}

/** `pageSize`: objects per list request (tests use a small one to see paging work). */
export function k8sSource<T extends KubernetesObject>(
  kc: ApiClient,
  ref: ResourceRef,
  pageSize = PAGE,
): ListWatchSource<T> {
  const selector = {
    ...(ref.labelSelector ? { labelSelector: ref.labelSelector } : {}),
    ...(ref.fieldSelector ? { fieldSelector: ref.fieldSelector } : {}),
  };
  return {
    async list(): Promise<ListResult<T>> {
      const items: T[] = [];
      let token: string | undefined;
      let resourceVersion = "";
      do {
        const query = { ...selector, limit: pageSize, continue: token };
        const page = await kc.get<Page<T>>(ref.path, { query });
        for (const item of page.items ?? []) {
          items.push({ ...item, apiVersion: ref.apiVersion, kind: ref.kind });
        }
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        token = page.metadata?.continue || undefined;
      } while (token);
      return { items, resourceVersion };
    },
    watch(resourceVersion, onEvent, onDone): Promise<WatchHandle> {
      const query = {
        ...selector,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_TIMEOUT_S,
      };
      return Promise.resolve(kc.watch(ref.path, query, { onEvent, onDone }));
    },
  };
}
