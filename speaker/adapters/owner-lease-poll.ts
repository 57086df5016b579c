/**
 * The partition rule's input (docs/failover.md, "Partitions and one-way loss"): while this node
 * answers for an owner it took over from, it reads THAT owner's Lease every `intervalMs` (1 s)
 * and reports a renewal (its version changed since the takeover began) to the data-path watch,
 * which then ends the takeover if it began at least 1 s before. The cost is one GET per second
 * per takeover in progress, never a watch of every member's Lease. A read that fails (the
 * apiserver away) reports nothing: a takeover caused by silence stands during an outage.
 */
import type { ApiClient } from "../../lib/adapters/kube/client.js";
import { withDeadline } from "../../lib/adapters/deadline.js";
import { K8sLeaseApi } from "../../lib/adapters/k8s-lease-api.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { LEASE_PREFIX } from "../../lib/api/speaker-lease.js";
import { describe } from "../../lib/adapters/reflector.js";
import { realTimers, type TimerHandle, type Timers } from "../../lib/adapters/timers.js";

const READ_DEADLINE_MS = 900;

/** A speaker's Lease version (resourceVersion: it changes with every renewal); undefined: none. */
export type LeaseVersion = (node: string) => Promise<string | undefined>;

/** Reads speakers' Leases from the apiserver (one GET each, with a deadline under the interval). */
export function apiLeaseVersion(kc: ApiClient, namespace: string): LeaseVersion {
  const apis = new Map<string, K8sLeaseApi>();
  return async (node) => {
    const name = `${LEASE_PREFIX}${node}`;
    const api = apis.get(name) ?? new K8sLeaseApi(kc, namespace, name);
    apis.set(name, api);
    const lease = await withDeadline(api.get(), READ_DEADLINE_MS, `read Lease ${name}`);
    return lease?.resourceVersion;
  };
}

export interface OwnerLeasePollOptions {
  readonly read: LeaseVersion;
  /** The owner's Lease was renewed after its takeover began. */
  readonly onRenewed: (owner: string) => void;
  readonly log: Pick<Logger, "warn">;
  readonly intervalMs?: number;
  readonly timers?: Timers;
}

interface Polled {
  /** The version first read; undefined until a read succeeded. */
  version: string | undefined;
  timer: TimerHandle | undefined;
}

export class OwnerLeasePoll {
  readonly #opts: OwnerLeasePollOptions;
  readonly #timers: Timers;
  readonly #polled = new Map<string, Polled>();

  constructor(opts: OwnerLeasePollOptions) {
    this.#opts = opts;
    this.#timers = opts.timers ?? realTimers;
  }

  /** The owners this node answers for now (silent ones): each is read until it leaves the set. */
  watch(owners: ReadonlySet<string>): void {
    for (const [owner, p] of this.#polled) {
      if (owners.has(owner)) continue;
      if (p.timer) this.#timers.clearTimeout(p.timer);
      this.#polled.delete(owner);
    }
    for (const owner of owners) {
      if (this.#polled.has(owner)) continue;
      const polled: Polled = { version: undefined, timer: undefined };
      this.#polled.set(owner, polled);
      void this.#read(owner, polled);
    }
  }

  stop(): void {
    this.watch(new Set());
  }

  async #read(owner: string, polled: Polled): Promise<void> {
    polled.timer = undefined;
    try {
      const version = await this.#opts.read(owner);
      if (this.#polled.get(owner) !== polled) return; // no longer taken over
      if (polled.version === undefined) polled.version = version;
      else if (version !== undefined && version !== polled.version) {
        polled.version = version;
        this.#opts.onRenewed(owner);
      }
    } catch (e) {
      this.#opts.log.warn("could not read the owner's Lease", { node: owner, err: describe(e) });
    }
    if (this.#polled.get(owner) !== polled) return;
    const ms = this.#opts.intervalMs ?? 1_000;
    polled.timer = this.#timers.setTimeout(() => void this.#read(owner, polled), ms);
  }
}
