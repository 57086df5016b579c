/**
 * A keyed work queue: at most one run per key at a time (a key added while it runs is run again
 * afterwards, once), up to `concurrency` keys in parallel, failed keys retried with backoff.
 * The delay function comes in through the constructor, so tests need no real timers.
 */
export interface WorkQueueOptions {
  readonly concurrency: number;
  /** Called for a failed run; the key is retried after `backoffMs(attempt)`. */
  readonly onError: (key: string, e: unknown, attempt: number) => void;
  readonly backoffMs?: (attempt: number) => number;
  readonly delay?: (ms: number) => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
const defaultBackoff = (attempt: number): number => Math.min(10_000, 200 * 2 ** (attempt - 1));

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly work: (key: string) => Promise<void>,
    private readonly opts: WorkQueueOptions,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.queued.add(key);
    this.pump();
  }

  /** Resolves once nothing is queued or running (retries waiting for their delay do not count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** No new runs; resolves when the running ones have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queued.clear();
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
    try {
      await this.work(key);
      this.attempts.delete(key);
    } catch (e) {
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      this.opts.onError(key, e, attempt);
      const ms = (this.opts.backoffMs ?? defaultBackoff)(attempt);
      void (this.opts.delay ?? sleep)(ms).then(() => this.add(key));
    } finally {
      this.active.delete(key);
      this.pump();
    }
  }
}
