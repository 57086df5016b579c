/**
 * Holds this speaker's Lease `speaker-<node>`: creates it, renews it on a short interval with a
 * one-request merge patch, and deletes it on graceful shutdown so peers take over at once. The
 * precise duration (sub-second) and this node's MACs travel as annotations; peers use the MACs
 * to tell a takeover from an address conflict.
 */
import type { ApiClient } from "../../lib/adapters/kube/client.js";
import { ApiError } from "../../lib/adapters/kube/errors.js";
import { microTime, resourcePath } from "../../lib/adapters/kube/paths.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { describe } from "../../lib/adapters/reflector.js";
import { DURATION_ANNOTATION, LEASE_PREFIX, MACS_ANNOTATION } from "../../lib/api/speaker-lease.js";

export interface LeaseTiming {
  readonly renewMs: number;
  readonly durationMs: number;
}

export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private lastSuccess = -Infinity;
  private attempted = false;
  private macs = "";
  private stopped = false;

  constructor(
    private readonly kc: ApiClient,
    private readonly opts: {
      namespace: string;
      node: string;
      timing: LeaseTiming;
      log: Logger;
      now?: () => number;
    },
  ) {}

  private path(name?: string): string {
    const at = { group: "coordination.k8s.io", version: "v1", plural: "leases" };
    return resourcePath({ ...at, namespace: this.opts.namespace, name });
  }

  get name(): string {
    return `${LEASE_PREFIX}${this.opts.node}`;
  }

  /**
   * Renewals are getting through: peers can see this node as live. Before the first renewal
   * has completed either way, the view just listed from the API is fresh: healthy.
   */
  healthy(): boolean {
    if (!this.attempted) return true;
    return this.now() - this.lastSuccess < this.opts.timing.durationMs;
  }

  setMacs(macs: readonly string[]): void {
    this.macs = [...macs].sort().join(",");
  }

  start(): void {
    void this.renew();
  }

  /** Stops renewing and deletes the Lease (graceful shutdown: instant handover). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.kc.delete(this.path(this.name)).catch((e: unknown) => {
      this.opts.log.warn("could not delete my Lease; peers take over when it expires", {
        err: describe(e),
      });
    });
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.write();
      this.lastSuccess = this.now();
    } catch (e) {
      this.opts.log.warn("Lease renewal failed", { err: describe(e) });
    }
    this.attempted = true;
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.renew(), this.opts.timing.renewMs);
  }

  private async write(): Promise<void> {
    const { node, timing } = this.opts;
    const now = this.now();
    const metadata = {
      name: this.name,
      annotations: {
        [DURATION_ANNOTATION]: String(timing.durationMs),
        [MACS_ANNOTATION]: this.macs,
      },
      labels: { "app.kubernetes.io/component": "speaker", "app.kubernetes.io/name": "ironlb" },
    };
    const spec = {
      holderIdentity: node,
      leaseDurationSeconds: Math.ceil(timing.durationMs / 1000),
      renewTime: microTime(now),
    };
    try {
      await this.kc.patch(this.path(this.name), { metadata, spec }, "merge");
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
      // MicroTime wants microseconds; milliseconds would be refused.
      const created = { ...spec, acquireTime: spec.renewTime };
      await this.kc.create(this.path(), { metadata, spec: created });
    }
  }
}
