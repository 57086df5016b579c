/**
 * A deadline for one API call. @kubernetes/client-node 1.4 sets no request timeout, and under an
 * overloaded apiserver some calls were seen never to settle: a caller that bounds how many calls
 * it has in flight must not keep a place for one of those forever.
 */
export class DeadlineError extends Error {
  readonly code = "IRONLB_DEADLINE";
}

/** `call`, or a DeadlineError after `ms` (the call itself is left to finish or not). */
export function withDeadline<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([call, expired]).finally(() => clearTimeout(timer));
}
