/**
 * The clock and one-shot timers IronLB's adapters run on, injected so tests drive time with
 * `ManualTimers` (./testing/) instead of waiting. `realTimers` is the process clock.
 */
import { performance } from "node:perf_hooks";

export type TimerHandle = { readonly timer: unknown };

export interface Timers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => ({ timer: setTimeout(fn, ms) }),
  clearTimeout: (handle) => clearTimeout(handle.timer as NodeJS.Timeout),
};
