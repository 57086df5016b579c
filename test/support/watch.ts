import { Watch, type KubeConfig } from "@kubernetes/client-node";

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(JSON.stringify(e)));

export interface WatchEvent<T> {
  readonly type: string;
  readonly object: T;
}

/**
 * Opens a watch on `path` and resolves with the first event that `matches`, or rejects after
 * `timeoutMs`. The watch is aborted either way. `ready` resolves once the watch is open, so a
 * test can make its change only after it is listening.
 */
export function waitForWatchEvent<T>(
  kc: KubeConfig,
  spec: {
    path: string;
    query: Record<string, string>;
    matches: (e: WatchEvent<T>) => boolean;
    timeoutMs?: number;
  },
): { ready: Promise<void>; event: Promise<WatchEvent<T>> } {
  const { path, query, matches, timeoutMs = 10_000 } = spec;
  let abort: AbortController | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const event = new Promise<WatchEvent<T>>((resolve, reject) => {
    const timer = setTimeout(() => {
      abort?.abort();
      reject(new Error(`no matching watch event on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (fn: () => void): void => {
      clearTimeout(timer);
      abort?.abort();
      fn();
    };
    new Watch(kc)
      .watch(
        path,
        query,
        (type, object: T) => {
          if (matches({ type, object })) finish(() => resolve({ type, object }));
        },
        (e: unknown) => {
          if (e && !(e instanceof Error && e.name === "AbortError")) {
            finish(() => reject(asError(e)));
          }
        },
      )
      .then((controller) => {
        abort = controller;
        markReady();
      })
      .catch((e: unknown) => finish(() => reject(asError(e))));
  });
  return { ready, event };
}
