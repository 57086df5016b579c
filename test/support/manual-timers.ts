/** Timers driven by hand: `advance(ms)` fires, in time order, every timer due by then. */
import type { Timers } from "../../lib/adapters/work-queue.js";

interface Pending {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export class ManualTimers implements Timers {
  now = 0;
  private nextId = 1;
  private pending: Pending[] = [];

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.push({ id, at: this.now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }

  /** Delays of the timers waiting now, from the current time. */
  get delays(): number[] {
    return this.pending.map((p) => p.at - this.now);
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.pending
        .filter((p) => p.at <= until)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.now = due.at;
      due.fn();
    }
    this.now = until;
  }
}
