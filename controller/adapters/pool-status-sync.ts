/**
 * Keeps every IPAddressPool's status (counts and conditions) in line with the allocator,
 * batched: many allocations in a burst cause one write per pool, and a pool whose status already
 * says the same is not written at all.
 */
import type { V1Condition } from "@kubernetes/client-node";
import type { IPAddressPool, IPAddressPoolStatus } from "../../lib/api/metallb.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { describe } from "../../lib/adapters/reflector.js";
import type { Allocator } from "../core/allocator.js";
import type { PoolSet } from "../core/pool-set.js";
import { type AdvertisementKind, poolStatus, type PoolStatusSpec } from "../core/pool-status.js";
import type { K8sClusterWriter } from "./k8s-cluster-writer.js";

export interface PoolStatusSyncOptions {
  readonly namespace: string;
  readonly writer: K8sClusterWriter;
  readonly log: Logger;
  readonly pools: () => IPAddressPool[];
  readonly poolSet: () => PoolSet;
  readonly allocator: Allocator;
  /** The kinds of advertisement selecting the pool (none: not advertised). */
  readonly advertised: (
    pool: string,
    labels: Record<string, string>,
  ) => readonly AdvertisementKind[];
  readonly batchMs?: number;
}

const sameSpec = (current: IPAddressPoolStatus | undefined, want: PoolStatusSpec): boolean => {
  if (!current) return false;
  const counts = [
    "assignedIPv4",
    "assignedIPv6",
    "availableIPv4",
    "availableIPv6",
    "assigned",
    "available",
  ] as const;
  if (counts.some((k) => current[k] !== want[k])) return false;
  return want.conditions.every((w) =>
    (current.conditions ?? []).some(
      (c) =>
        c.type === w.type &&
        c.status === w.status &&
        c.reason === w.reason &&
        c.message === w.message,
    ),
  );
};

export class PoolStatusSync {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: PoolStatusSyncOptions) {}

  schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => void this.flush(), this.opts.batchMs ?? 200);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const set = this.opts.poolSet();
    for (const pool of this.opts.pools()) {
      const name = pool.metadata?.name ?? "";
      const want = poolStatus(
        this.opts.allocator.counts(name),
        set.errors.get(name) ?? [],
        this.opts.advertised(name, pool.metadata?.labels ?? {}),
      );
      if (sameSpec(pool.status, want)) continue;
      try {
        await this.opts.writer.writePoolStatus(
          this.opts.namespace,
          name,
          withTimes(pool.status, want),
        );
      } catch (e) {
        this.opts.log.warn("writing pool status failed, will retry", {
          pool: name,
          err: describe(e),
        });
        this.schedule();
      }
    }
  }
}

function withTimes(
  current: IPAddressPoolStatus | undefined,
  want: PoolStatusSpec,
): IPAddressPoolStatus {
  const now = new Date();
  const conditions: V1Condition[] = want.conditions.map((w) => {
    const old = current?.conditions?.find((c) => c.type === w.type);
    const same = old?.status === w.status;
    return { ...w, lastTransitionTime: same && old ? old.lastTransitionTime : now };
  });
  return { ...want, conditions };
}
