/**
 * At most one pass per key per interval, on the injected clock: what keeps a flood of frames
 * (a forged ARP every millisecond) from becoming a flood of apiserver writes. Keys are our own
 * IPs, so the table is bounded by what this node owned lately; closed keys are pruned once their
 * interval is over.
 */
import type { Timers } from "../../lib/adapters/timers.js";

interface Closed {
  until: number;
  /** Attempts refused since the last pass. */
  refused: number;
}

/** Prune only past this many keys: the common case (a few IPs) never scans. */
const PRUNE_ABOVE = 256;

export class RateGate {
  readonly #closed = new Map<string, Closed>();

  constructor(
    private readonly timers: Timers,
    private readonly intervalMs: number,
  ) {}

  /**
   * Whether `key` may pass now: if so it closes for the interval and the result is how many
   * attempts were refused since its last pass; undefined when refused.
   */
  admit(key: string): number | undefined {
    const now = this.timers.now();
    const closed = this.#closed.get(key);
    if (closed && closed.until > now) {
      closed.refused++;
      return undefined;
    }
    if (this.#closed.size >= PRUNE_ABOVE) this.#prune(now);
    this.#closed.set(key, { until: now + this.intervalMs, refused: 0 });
    return closed?.refused ?? 0;
  }

  /** Keeps `key` closed for `ms` from now instead (e.g. longer once a write went through). */
  hold(key: string, ms: number): void {
    const closed = this.#closed.get(key);
    const until = this.timers.now() + ms;
    if (closed) closed.until = until;
    else this.#closed.set(key, { until, refused: 0 });
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#closed.size;
  }

  #prune(now: number): void {
    for (const [key, closed] of this.#closed) if (closed.until <= now) this.#closed.delete(key);
  }
}
