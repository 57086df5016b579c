/** One statement of `kubectl ironlb explain`: what is wrong (or fine) and what to run next. */
export type Severity = "ok" | "problem" | "note";

export interface Finding {
  readonly severity: Severity;
  /** Stable code for scripts: a controller, speaker or plugin reason (`PoolExhausted`, ...). */
  readonly reason: string;
  /** One sentence in plain words. */
  readonly text: string;
  /** Supporting facts (pool usage, per-node reasons). */
  readonly details: readonly string[];
  /** The command to run next, when there is one. */
  readonly next: string | undefined;
}

export const finding = (
  severity: Severity,
  reason: string,
  text: string,
  more: { details?: readonly string[]; next?: string } = {},
): Finding => ({ severity, reason, text, details: more.details ?? [], next: more.next });
