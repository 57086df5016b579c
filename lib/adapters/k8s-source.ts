/** ListWatchSource over the real Kubernetes API (paged list, watch with bookmarks). */
import {
  CustomObjectsApi,
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
  /** e.g. `metadata.name=x`: one object by name (RBAC can then name it in resourceNames). */
  readonly fieldSelector?: string;
}

const PAGE = 500;
/** The server closes each watch after this long; the reflector then watches again. */
const WATCH_TIMEOUT_S = 60;

interface Page<T> {
  readonly items: readonly T[];
  readonly resourceVersion: string | undefined;
  readonly next: string | undefined;
}

/**
 * API groups @kubernetes/client-node has models for. For any other group (custom resources) its
 * generic `list` reads the list's metadata as an object's and drops `continue`, so only the first
 * page was ever seen (500 of 1,033 ServiceL2Status records in the scale benchmark); those lists
 * go through CustomObjectsApi, which returns the JSON as the server sent it.
 */
const builtInGroup = (apiVersion: string): boolean => {
  const group = apiVersion.includes("/") ? (apiVersion.split("/")[0] ?? "") : "";
  return (
    group.endsWith(".k8s.io") || ["", "apps", "batch", "policy", "autoscaling"].includes(group)
  );
};

function pageLister<T extends KubernetesObject>(
  kc: KubeConfig,
  ref: ResourceRef,
  limit: number,
): (token: string | undefined) => Promise<Page<T>> {
  if (builtInGroup(ref.apiVersion)) {
    const api = KubernetesObjectApi.makeApiClient(kc);
    return async (token) => {
      const page = await api.list<T>(
        ...[ref.apiVersion, ref.kind, ref.namespace, undefined, undefined, undefined],
        ref.fieldSelector,
        ...[ref.labelSelector, limit, token],
      );
      const meta = page.metadata;
      return { items: page.items, resourceVersion: meta?.resourceVersion, next: meta?._continue };
    };
  }
  const custom = kc.makeApiClient(CustomObjectsApi);
  const [group = "", version = ""] = ref.apiVersion.split("/");
  const plural = ref.path.split("/").at(-1) ?? "";
  return async (token) => {
    const query = {
      ...{ group, version, plural, limit },
      ...(token ? { _continue: token } : {}),
      ...(ref.labelSelector ? { labelSelector: ref.labelSelector } : {}),
      ...(ref.fieldSelector ? { fieldSelector: ref.fieldSelector } : {}),
    };
    const page = (await (ref.namespace
      ? custom.listNamespacedCustomObject({ ...query, namespace: ref.namespace })
      : custom.listClusterCustomObject(query))) as {
      items: T[];
      metadata?: { resourceVersion?: string; continue?: string };
    };
    const meta = page.metadata;
    return { items: page.items, resourceVersion: meta?.resourceVersion, next: meta?.continue };
  };
}

/** `pageSize`: objects per list request (tests use a small one to see paging work). */
export function k8sSource<T extends KubernetesObject>(
  kc: KubeConfig,
  ref: ResourceRef,
  pageSize = PAGE,
): ListWatchSource<T> {
  const listPage = pageLister<T>(kc, ref, pageSize);
  const watcher = new Watch(kc);
  return {
    async list(): Promise<ListResult<T>> {
      const items: T[] = [];
      let token: string | undefined;
      let resourceVersion = "";
      do {
        const page = await listPage(token);
        for (const item of page.items) {
          items.push({ ...item, apiVersion: ref.apiVersion, kind: ref.kind });
        }
        resourceVersion = page.resourceVersion ?? resourceVersion;
        token = page.next || undefined;
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
      if (ref.fieldSelector) query.fieldSelector = ref.fieldSelector;
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
