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

/**
 * Records every event of a watch on `path` from `resourceVersion` on, until `stop()`, which
 * returns them (each a new resourceVersion of one object). `ready` resolves once it is open.
 */
export function recordWatchEvents<T>(
  kc: KubeConfig,
  path: string,
  query: Record<string, string>,
): { ready: Promise<void>; stop: () => WatchEvent<T>[] } {
  const events: WatchEvent<T>[] = [];
  let failure: Error | undefined;
  let abort: AbortController | undefined;
  let stopped = false;
  const ready = new Watch(kc)
    .watch(
      path,
      query,
      (type, object: T) => void events.push({ type, object }),
      (e: unknown) => {
        // Closed by the server (or failed) before stop(): events may be missing.
        if (!stopped) failure = asError(e ?? new Error("closed by the server"));
      },
    )
    .then((controller) => void (abort = controller));
  return {
    ready,
    stop: () => {
      stopped = true;
      abort?.abort();
      if (failure) throw new Error(`the watch on ${path} ended early`, { cause: failure });
      return events;
    },
  };
}
