import { Watch, type KubeConfig } from "@kubernetes/client-node";

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
  path: string,
  query: Record<string, string>,
  matches: (e: WatchEvent<T>) => boolean,
  timeoutMs = 10_000,
): { ready: Promise<void>; event: Promise<WatchEvent<T>> } {
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
            finish(() => reject(e instanceof Error ? e : new Error(String(e))));
          }
        },
      )
      .then((controller) => {
        abort = controller;
        markReady();
      })
      .catch((e: unknown) => finish(() => reject(e instanceof Error ? e : new Error(String(e)))));
  });
  return { ready, event };
}
