/**
 * `Timers` on a manual clock: nothing fires until the test calls `advance`, which runs every timer
 * due by then in time order (timers set while advancing fire too when they fall due).
 */
import type { TimerHandle, Timers } from "../timers.js";

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

export class ManualTimers implements Timers {
  #now: number;
  #seq = 0;
  readonly #pending = new Map<TimerHandle, Pending>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = { timer: this.#seq };
    this.#pending.set(handle, { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle);
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Moves the clock forward by `ms`, firing what falls due on the way. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (let next = this.#earliest(until); next; next = this.#earliest(until)) {
      this.#pending.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].fn();
    }
    this.#now = until;
  }

  #earliest(until: number): [TimerHandle, Pending] | undefined {
    let best: [TimerHandle, Pending] | undefined;
    for (const entry of this.#pending) {
      const p = entry[1];
      if (p.at > until) continue;
      if (!best || p.at < best[1].at || (p.at === best[1].at && p.seq < best[1].seq)) best = entry;
    }
    return best;
  }
}
