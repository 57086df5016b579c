/**
 * The keyed work queue of every IronLB loop (controller, speaker, lab agent), after client-go's:
 * a key is queued at most once however often it is added; no two workers ever run one key (a key
 * added while it runs is run again afterwards, once); up to `concurrency` keys run in parallel.
 * A run returns an outcome: `ok` forgets the key's failures, `retry` runs it again after a
 * per-key backoff that doubles up to a cap (a thrown error counts as `retry`), `fatal` stops
 * retrying and is reported once (again only if the key fails fatally for another reason, or
 * after it succeeded in between). Adding a key that waits for its backoff runs it at once.
 * Timers come in through the options, so tests drive time by hand.
 */
import { retry, type WorkOutcome } from "../core/outcome.js";
import { describe } from "./reflector.js";

export { fatal, OK, retry, type WorkOutcome } from "../core/outcome.js";

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface WorkQueueOptions {
  readonly concurrency: number;
  /** First retry delay; it doubles per failed attempt. Default 200 ms. */
  readonly baseDelayMs?: number;
  /** Longest retry delay. Default 10 s. */
  readonly maxDelayMs?: number;
  readonly timers?: Timers;
  /** A run asked to be retried (`attempt` counts from 1); it runs again after `delayMs`. */
  readonly onRetry?: (key: string, reason: string, attempt: number, delayMs: number) => void;
  /** A run failed for good; called once per key and reason. */
  readonly onFatal?: (key: string, reason: string) => void;
}

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly waiting = new Map<string, unknown>();
  private readonly reported = new Map<string, string>();
  private readonly timers: Timers;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly work: (key: string) => Promise<WorkOutcome>,
    private readonly opts: WorkQueueOptions,
  ) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new RangeError(`concurrency: must be a positive integer, got ${opts.concurrency}`);
    }
    this.timers = opts.timers ?? realTimers;
  }

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.waiting.get(key);
    if (timer !== undefined) {
      this.timers.clearTimeout(timer);
      this.waiting.delete(key);
    }
    this.queued.add(key);
    this.pump();
  }

  /** Keys queued or running (not those waiting for their backoff). */
  get depth(): number {
    return this.queued.size + this.active.size;
  }

  /** Keys waiting for their backoff to run again. */
  get retrying(): number {
    return this.waiting.size;
  }

  /** Resolves once nothing is queued or running (retries waiting for their delay do not count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** No new runs, no pending retries; resolves when the running ones have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queued.clear();
    for (const timer of this.waiting.values()) this.timers.clearTimeout(timer);
    this.waiting.clear();
    await this.idle();
  }

  private isIdle(): boolean {
    return this.queued.size === 0 && this.active.size === 0;
  }

  private pump(): void {
    for (const key of this.queued) {
      if (this.active.size >= this.opts.concurrency) break;
      if (this.active.has(key)) continue;
      this.queued.delete(key);
      this.active.add(key);
      void this.run(key);
    }
    if (this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    let outcome: WorkOutcome;
    try {
      outcome = await this.work(key);
    } catch (e) {
      outcome = retry(describe(e));
    }
    this.active.delete(key);
    this.settle(key, outcome);
    this.pump();
  }

  private settle(key: string, outcome: WorkOutcome): void {
    if (outcome.kind === "ok") {
      this.attempts.delete(key);
      this.reported.delete(key);
      return;
    }
    if (outcome.kind === "fatal") {
      this.attempts.delete(key);
      if (this.reported.get(key) === outcome.reason) return;
      this.reported.set(key, outcome.reason);
      this.opts.onFatal?.(key, outcome.reason);
      return;
    }
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const base = this.opts.baseDelayMs ?? 200;
    const delayMs = Math.min(this.opts.maxDelayMs ?? 10_000, base * 2 ** (attempt - 1));
    this.opts.onRetry?.(key, outcome.reason, attempt, delayMs);
    // Added again while it ran: it is queued and runs now; the backoff applies otherwise.
    if (this.stopped || this.queued.has(key)) return;
    const timer = this.timers.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.waiting.set(key, timer);
  }
}
