/**
 * Who is a member, from the one membership object the controller leader publishes
 * (lib/api/speaker-members.ts; docs/failover.md, "Slow path: membership"). The speaker watches
 * that object only, so it receives membership changes, never a Lease renewal. A change passes
 * on the MACs of members that joined, left or changed them, to the announcer (peer MACs it must
 * never mistake for a foreign claim) and to the data-path watch.
 *
 * - Before the object was ever seen (first install, the controller not up yet) the membership is
 *   unknown: no member, so this node plans nothing and announces nothing; no node can be removed
 *   by a list that does not exist. This node is a candidate once the list names it (a speaker
 *   that just started waits for the leader to see its Lease: no two owners while it joins).
 * - The object deleted, or unreadable: the last list stays (frozen), as during an outage.
 */
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { Logger } from "../../lib/adapters/logger.js";
import { decodeMembers, MEMBERS_NAME } from "../../lib/api/speaker-members.js";
import type { L2Announcer } from "./l2-announcer.js";
import type { OwnerProbe } from "./owner-probe.js";

export interface MembershipOptions {
  readonly node: string;
  readonly announcer: Pick<L2Announcer, "setPeerMacs">;
  readonly failover?: Pick<OwnerProbe, "setPeer"> | undefined;
  readonly log: Pick<Logger, "warn">;
}

export class Membership {
  /** Node -> its MACs as the list last said. */
  private members = new Map<string, string>();
  private liveSet: ReadonlySet<string> = new Set();
  private stoppedSet: ReadonlySet<string> = new Set();
  private liveKeyText = "";

  constructor(private readonly opts: MembershipOptions) {}

  /** An event of the membership object; true when the live set changed. */
  onObject(type: string, obj: V1ConfigMap): boolean {
    if (obj.metadata?.name !== MEMBERS_NAME || type === "DELETED") return false;
    const decoded = decodeMembers(obj.data);
    if (!decoded.ok) {
      this.opts.log.warn(`${MEMBERS_NAME}: ${decoded.error}; keeping the last membership`);
      return false;
    }
    const next = new Map(decoded.value.members.map((m) => [m.node, [...m.macs].sort().join(",")]));
    let macsChanged = false;
    for (const node of new Set([...this.members.keys(), ...next.keys()])) {
      const macs = next.get(node);
      if (this.members.get(node) === macs) continue;
      macsChanged = true;
      this.opts.failover?.setPeer(node, macs ? macs.split(",").filter(Boolean) : []);
    }
    this.members = next;
    if (macsChanged) this.opts.announcer.setPeerMacs(this.peerMacs());
    this.stoppedSet = new Set(decoded.value.stopped);
    const before = this.liveKeyText;
    this.liveSet = new Set(next.keys());
    this.liveKeyText = [...this.liveSet].sort().join(",");
    return this.liveKeyText !== before;
  }

  /** The members (this node only when the list names it). */
  live(): ReadonlySet<string> {
    return this.liveSet;
  }

  /** The live set as a comparable key. */
  liveKey(): string {
    return this.liveKeyText;
  }

  /** Speakers that deleted their Lease (graceful stop) and did not come back yet. */
  stopped(): ReadonlySet<string> {
    return this.stoppedSet;
  }

  /** The MACs other speakers announce from (never a conflict). */
  private peerMacs(): string[] {
    return [...this.members]
      .filter(([node]) => node !== this.opts.node)
      .flatMap(([, macs]) => macs.split(",").filter(Boolean));
  }
}
