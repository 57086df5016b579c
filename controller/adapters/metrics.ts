/** The controller's Prometheus metrics: MetalLB's allocator gauges plus ironlb_* extras. */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Allocator } from "../core/allocator.js";
import { toStatusCount } from "../core/allocator.js";
import type { PoolSet } from "../core/pool-set.js";

export class ControllerMetrics {
  readonly registry = new Registry();

  /** `onInUse`: told the addresses in use after each change (and 0 when a term ends). */
  constructor(private readonly onInUse?: (addresses: number) => void) {}

  private readonly inUse = new Gauge({
    name: "metallb_allocator_addresses_in_use_total",
    help: "Number of IP addresses in use, per pool",
    labelNames: ["pool"],
    registers: [this.registry],
  });
  private readonly total = new Gauge({
    name: "metallb_allocator_addresses_total",
    help: "Number of usable IP addresses, per pool",
    labelNames: ["pool"],
    registers: [this.registry],
  });
  private readonly reconciles = new Counter({
    name: "ironlb_controller_reconciles_total",
    help: "Service reconciles by outcome (ok: written or nothing to write; retry: a write failed; fatal: a write was refused)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  private readonly reconcileSeconds = new Histogram({
    name: "ironlb_controller_reconcile_duration_seconds",
    help: "Time to reconcile one Service, its decision and API writes, by outcome",
    labelNames: ["outcome"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly invalidPools = new Gauge({
    name: "ironlb_controller_invalid_pools",
    help: "IPAddressPools not used because their spec is invalid (see their Valid condition)",
    registers: [this.registry],
  });

  private readonly leader = new Gauge({
    name: "ironlb_controller_leader",
    help: "1 while this replica holds the leader Lease and reconciles, 0 while it stands by",
    registers: [this.registry],
  });
  private readonly leaderTransitions = new Counter({
    name: "ironlb_controller_leader_transitions_total",
    help: "Times this replica started or stopped leading",
    registers: [this.registry],
  });
  private pendingCount: () => number = () => 0;
  // Registered once: each leader term's Controller only swaps the count it reads.
  private readonly pending: Gauge = new Gauge({
    name: "ironlb_controller_services_pending",
    help: "LoadBalancer Services waiting for an IP (no matching pool, pool exhausted, conflict)",
    registers: [this.registry],
    collect: (): void => this.pending.set(this.pendingCount()),
  });

  leading(yes: boolean): void {
    this.leader.set(yes ? 1 : 0);
    this.leaderTransitions.inc();
    if (!yes) this.onInUse?.(0); // the stopped term's caches are let go
  }

  poolsChanged(set: PoolSet, allocator: Allocator): void {
    this.inUse.reset();
    this.total.reset();
    let inUse = 0;
    for (const pool of set.pools) {
      const c = allocator.counts(pool.name);
      if (!c) continue;
      const used = c.assignedIPv4 + c.assignedIPv6;
      inUse += Number(used);
      this.inUse.set({ pool: pool.name }, toStatusCount(used));
      this.total.set({ pool: pool.name }, toStatusCount(used + c.availableIPv4 + c.availableIPv6));
    }
    this.invalidPools.set(set.errors.size);
    this.onInUse?.(inUse);
  }

  /**
   * `count` is read at each scrape: Services this controller handles that have no IP. A new
   * leader term's Controller replaces the previous one's count.
   */
  trackPending(count: () => number): void {
    this.pendingCount = count;
  }

  reconciled(outcome: "ok" | "retry" | "fatal", ms: number): void {
    this.reconciles.inc({ outcome });
    this.reconcileSeconds.observe({ outcome }, ms / 1000);
  }
}
