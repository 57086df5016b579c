/**
 * What one reconcile of one key came to. `ok`: done (nothing left to do until the key changes);
 * `retry`: try again later, with backoff; `fatal`: retrying will not help (report it once).
 */
export type WorkOutcome =
  | { readonly kind: "ok" }
  | { readonly kind: "retry"; readonly reason: string }
  | { readonly kind: "fatal"; readonly reason: string };

export const OK: WorkOutcome = { kind: "ok" };
export const retry = (reason: string): WorkOutcome => ({ kind: "retry", reason });
export const fatal = (reason: string): WorkOutcome => ({ kind: "fatal", reason });
