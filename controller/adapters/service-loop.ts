/**
 * The Service side of the controller: one keyed work queue whose workers run the core's
 * `reconcileService` in parallel (allocation decisions are synchronous, so they never race;
 * only the writes overlap). Holds the startup gate: nothing is allocated before `openGate` gave
 * every Service that shows IPs exactly those IPs, so a restart never moves or steals one.
 */
import { type Timers, WorkQueue } from "../../lib/adapters/work-queue.js";
import type { WorkOutcome } from "../../lib/core/outcome.js";
import { Allocator } from "../core/allocator.js";
import type { ClusterWriter, ServiceView } from "../core/cluster-writer.js";
import type { PoolSet } from "../core/pool-set.js";
import { type LoopState, reconcileService, restoreShown } from "../core/reconcile.js";

export interface LoopLog {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

export interface ServiceLoopOptions {
  readonly lbClass: string;
  readonly writer: ClusterWriter;
  readonly log: LoopLog;
  /** The Service as the cache holds it now; undefined once deleted. */
  readonly service: (key: string) => ServiceView | undefined;
  /** Whether an L2Advertisement selects the pool. */
  readonly advertised: (pool: string) => boolean;
  /** Services reconciled in parallel. Default 16. */
  readonly concurrency?: number;
  readonly timers?: Timers;
  /** Allocations may have changed: pool status and metrics are stale. */
  readonly onAllocations?: () => void;
  /** After each reconcile: its outcome and how long it took, decision and writes (ms). */
  readonly onOutcome?: (kind: WorkOutcome["kind"], ms: number) => void;
  /** A monotonic clock in ms, for the durations. Default `performance.now`. */
  readonly now?: () => number;
}

export class ServiceLoop {
  readonly allocator = new Allocator();
  private readonly state: LoopState;
  private readonly queue: WorkQueue;
  private gateOpen = false;
  private firstPassDone = false;

  constructor(private readonly opts: ServiceLoopOptions) {
    this.state = {
      allocator: this.allocator,
      lbClass: opts.lbClass,
      pending: new Set(),
      cleared: new Map(),
      advertised: opts.advertised,
    };
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      concurrency: opts.concurrency ?? 16,
      baseDelayMs: 250,
      maxDelayMs: 5_000,
      ...(opts.timers ? { timers: opts.timers } : {}),
      onRetry: (service, err, attempt, delayMs) =>
        opts.log.warn("writing Service state failed, will retry", {
          service,
          err,
          attempt,
          delayMs,
        }),
      onFatal: (service, err) =>
        opts.log.error("writing Service state refused; not retried until it changes", {
          service,
          err,
        }),
    });
  }

  get open(): boolean {
    return this.gateOpen;
  }

  /** Services waiting for an address. */
  get pending(): number {
    return this.state.pending.size;
  }

  /**
   * Opens the startup gate: takes the pools, gives every Service that shows IPs exactly those,
   * then reconciles every Service. Returns how many kept their IPs.
   */
  openGate(pools: PoolSet, services: Iterable<readonly [string, ServiceView]>): number {
    if (this.gateOpen) throw new Error("startup gate: already open");
    this.allocator.setPools(pools);
    const keys: string[] = [];
    let kept = 0;
    for (const [key, view] of services) {
      keys.push(key);
      const restored = restoreShown(this.state, key, view);
      if (restored?.ok) kept++;
      else if (restored)
        this.opts.log.warn("existing IP not restored", { service: key, reason: restored.error });
    }
    this.gateOpen = true;
    for (const key of keys) this.queue.add(key);
    void this.queue.idle().then(() => (this.firstPassDone = true));
    this.opts.onAllocations?.();
    return kept;
  }

  /** New pools: Services that lost their IPs and those waiting for one are handled again. */
  setPools(pools: PoolSet): void {
    if (!this.gateOpen) return;
    for (const lost of this.allocator.setPools(pools)) {
      this.state.cleared.set(lost.service, lost.cleared);
      this.queue.add(lost.service);
    }
    for (const key of this.state.pending) this.queue.add(key);
    this.opts.onAllocations?.();
  }

  /** Service `key` changed (or was deleted). Ignored until the gate is open. */
  changed(key: string): void {
    if (this.gateOpen) this.queue.add(key);
  }

  /** Ready once the gate is open and the first pass over every Service is done. */
  ready(): true | string {
    if (!this.gateOpen) return "waiting for the first sync of Services, pools and namespaces";
    return this.firstPassDone ? true : "first reconcile pass in progress";
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  private async reconcile(key: string): Promise<WorkOutcome> {
    const now = this.opts.now ?? (() => performance.now());
    const start = now();
    const { outcome, freed } = await reconcileService(
      this.state,
      key,
      this.opts.service(key),
      this.opts.writer,
    );
    if (freed) for (const waiting of this.state.pending) this.queue.add(waiting);
    this.opts.onAllocations?.();
    this.opts.onOutcome?.(outcome.kind, now() - start);
    return outcome;
  }
}
