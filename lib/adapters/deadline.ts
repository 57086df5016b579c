/**
 * A deadline for one API call. Under an overloaded apiserver some calls were seen never to settle
 * (with @kubernetes/client-node 1.4, which sets no request timeout): a caller that bounds how many
 * calls it has in flight must not keep a place for one of those forever. lib/adapters/kube/ ends
 * every call at its deadline with a DeadlineError; `withDeadline` bounds any other promise.
 */
import { realTimers, type Timers } from "./work-queue.js";

export class DeadlineError extends Error {
  readonly code = "IRONLB_DEADLINE";
}

/** `call`, or a DeadlineError after `ms` (the call itself is left to finish or not). */
export function withDeadline<T>(
  call: Promise<T>,
  ms: number,
  what: string,
  timers: Timers = realTimers,
): Promise<T> {
  let timer: unknown;
  const expired = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(
      () => reject(new DeadlineError(`${what}: no answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([call, expired]).finally(() => timers.clearTimeout(timer));
}
