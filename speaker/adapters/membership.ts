/**
 * Who is a member, from the speakers' Leases (docs/failover.md: membership is the slow path).
 * A Lease event costs O(1): a renewal of a live holder changes nothing; only a holder joining,
 * leaving, stopping on purpose (Lease deleted) or changing its MACs is passed on, to the
 * announcer (peer MACs it must never mistake for a foreign claim) and to the data-path watch.
 */
import type { V1Lease } from "@kubernetes/client-node";
import { LivenessTracker } from "../core/liveness.js";
import { speakerLease } from "./cluster-view.js";
import type { L2Announcer } from "./l2-announcer.js";
import type { OwnerProbe } from "./owner-probe.js";

export interface MembershipOptions {
  readonly announcer: Pick<L2Announcer, "setPeerMacs">;
  readonly failover?: Pick<OwnerProbe, "setPeer" | "leaseRenewed"> | undefined;
  /** The peers' MACs as the Lease cache holds them now. */
  readonly peerMacs: () => Iterable<string>;
  readonly now: () => number;
}

export class Membership {
  readonly liveness = new LivenessTracker();
  /** Each holder's MACs as last seen, to tell a Lease event that changes them. */
  private readonly macKeys = new Map<string, string>();

  constructor(private readonly opts: MembershipOptions) {}

  /** A Lease event; true when it may change the live set (a renewal does not). */
  onLease(type: string, lease: V1Lease): boolean {
    const seen = speakerLease(lease);
    if (!seen) return false;
    const macs = type === "DELETED" ? [] : seen.macs;
    if ((this.macKeys.get(seen.holder) ?? "") !== macs.join(",")) {
      this.macKeys.set(seen.holder, macs.join(","));
      this.opts.failover?.setPeer(seen.holder, macs);
      this.opts.announcer.setPeerMacs(this.opts.peerMacs());
    }
    if (type === "DELETED") return (this.liveness.forget(seen.holder), true);
    const change = this.liveness.observe(seen, this.opts.now());
    if (change !== "same") this.opts.failover?.leaseRenewed(seen.holder);
    return change === "joined";
  }

  /** The live set at `now` as a comparable key. */
  liveKey(now: number, apiHealthy: boolean): string {
    return [...this.liveness.live(now, apiHealthy)].sort().join(",");
  }
}
