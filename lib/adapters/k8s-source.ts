/** ListWatchSource over the real Kubernetes API (paged list, watch with bookmarks). */
import {
  KubernetesObjectApi,
  Watch,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import type { ListResult, ListWatchSource, WatchHandle } from "./reflector.js";

export interface ResourceRef {
  /** e.g. "v1", "metallb.io/v1beta1" */
  readonly apiVersion: string;
  readonly kind: string;
  /** URL path of the collection, e.g. "/api/v1/services" */
  readonly path: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
}

const PAGE = 500;
/** The server closes each watch after this long; the reflector then watches again. */
const WATCH_TIMEOUT_S = 60;

export function k8sSource<T extends KubernetesObject>(
  kc: KubeConfig,
  ref: ResourceRef,
): ListWatchSource<T> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const watcher = new Watch(kc);
  return {
    async list(): Promise<ListResult<T>> {
      const items: T[] = [];
      let token: string | undefined;
      let resourceVersion = "";
      do {
        const page = await api.list<T>(
          ref.apiVersion,
          ref.kind,
          ref.namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          ref.labelSelector,
          PAGE,
          token,
        );
        for (const item of page.items) {
          items.push({ ...item, apiVersion: ref.apiVersion, kind: ref.kind });
        }
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        token = page.metadata?._continue || undefined;
      } while (token);
      return { items, resourceVersion };
    },
    async watch(resourceVersion, onEvent, onDone): Promise<WatchHandle> {
      const query: Record<string, string | number | boolean> = {
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_TIMEOUT_S,
      };
      if (ref.labelSelector) query.labelSelector = ref.labelSelector;
      const controller = await watcher.watch(
        ref.path,
        query,
        (type: string, obj: unknown) => onEvent(type, obj),
        (err: unknown) => onDone(err),
      );
      return { abort: () => controller.abort() };
    },
  };
}
