/**
 * Who is a speaker member, from the speakers' Leases as the controller leader sees them (pure;
 * docs/failover.md, "Slow path: membership"). The adapter feeds it Lease events and the clock;
 * `due` says whether the published list must be written.
 *
 * - A holder is a member while its Lease keeps being renewed, measured on THIS process's clock
 *   from the moment a renewal was observed (clock skew between nodes cannot matter). A deleted
 *   Lease (SIGTERM) ends membership at once and marks the holder `stopped`.
 * - A Lease past its deadline only ends membership once a Lease event from after the deadline was
 *   seen (the watch delivers in order: a renewal made in time would have come first), and time
 *   while the watch was blind (a re-list after an error: `resynced`) does not count, so an
 *   apiserver outage expires nobody.
 * - A new leader term starts from the list published before (`seed`): a Lease found by the first
 *   list counts at once only when its holder is in that list; any other (a dead node's leftover
 *   Lease) counts once this term sees it renewed, so a new term never re-adds the dead for 15 s.
 *   Without a published list (first install) every Lease listed counts.
 */
import { encodeMembers, type Member, type MemberList } from "../../lib/api/speaker-members.js";

export interface LeaseSeen {
  /** `spec.holderIdentity`: the node name. */
  readonly holder: string;
  /** `spec.renewTime` as the holder wrote it (opaque: only its changes matter). */
  readonly renewTime: string;
  readonly durationMs: number;
  readonly macs: readonly string[];
}

interface Holder {
  readonly renewTime: string;
  readonly seenAt: number;
  readonly durationMs: number;
  readonly macs: readonly string[];
  /** Counts as a member (see the seed rule above). */
  readonly counted: boolean;
}

/** `changed`: the member list may differ now (the adapter then looks again). */
export type Observed = "same" | "renewed" | "changed";

export class MemberBook {
  private readonly holders = new Map<string, Holder>();
  private readonly stoppedSet: Set<string>;
  private readonly seed: ReadonlySet<string> | undefined;
  /** When the latest Lease event arrived: how recent the API's word is. */
  private heardAt = -Infinity;

  constructor(published: MemberList | undefined) {
    this.seed = published && new Set(published.members.map((m) => m.node));
    this.stoppedSet = new Set(published?.stopped ?? []);
  }

  /**
   * A Lease was added or modified, seen at `now`. `initialList`: it came from this term's first
   * list (it may be a dead node's leftover), not from a watch or a later re-list.
   */
  observe(lease: LeaseSeen, now: number, initialList: boolean): Observed {
    this.heardAt = Math.max(this.heardAt, now);
    const old = this.holders.get(lease.holder);
    if (old && old.renewTime === lease.renewTime) {
      if (sameMacs(old.macs, lease.macs)) return "same";
      this.holders.set(lease.holder, { ...old, macs: lease.macs });
      return "changed";
    }
    const counted = old !== undefined || !initialList || !this.seed || this.seed.has(lease.holder);
    const wasMember = old !== undefined && old.counted && now < old.seenAt + old.durationMs;
    this.holders.set(lease.holder, { ...lease, seenAt: now, counted });
    this.stoppedSet.delete(lease.holder);
    return wasMember && sameMacs(old.macs, lease.macs) ? "renewed" : "changed";
  }

  /** The Lease was deleted: its speaker stopped on purpose. */
  deleted(holder: string, now: number): void {
    this.heardAt = Math.max(this.heardAt, now);
    this.holders.delete(holder);
    this.stoppedSet.add(holder);
  }

  /** The Lease watch was re-listed after an error: the time it was blind does not count. */
  resynced(now: number): void {
    for (const [holder, h] of this.holders) this.holders.set(holder, { ...h, seenAt: now });
    this.heardAt = Math.max(this.heardAt, now);
  }

  /** The members at `now`, and the holders that stopped. */
  list(now: number): MemberList {
    const members: Member[] = [];
    for (const [node, h] of this.holders) {
      const deadline = h.seenAt + h.durationMs;
      if (h.counted && (now < deadline || this.heardAt < deadline)) {
        members.push({ node, macs: h.macs });
      }
    }
    return { members, stopped: [...this.stoppedSet] };
  }

  /**
   * When the list may next change without a Lease event: the next deadline still ahead. A member
   * past its deadline waits for the next Lease event instead (see above).
   */
  nextExpiry(now: number): number | undefined {
    let next: number | undefined;
    for (const h of this.holders.values()) {
      const at = h.seenAt + h.durationMs;
      if (h.counted && at > now && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /** A member whose deadline passed is waiting for a later Lease event to be dropped. */
  overdue(now: number): boolean {
    for (const h of this.holders.values()) {
      const deadline = h.seenAt + h.durationMs;
      if (h.counted && now >= deadline && this.heardAt < deadline) return true;
    }
    return false;
  }
}

const sameMacs = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join(",") === [...b].sort().join(",");

/**
 * The text to write, or undefined when the object already holds it (`published`: its text now,
 * undefined when it does not exist). The encoding is canonical, so a renewal or a re-ordering
 * never causes a write.
 */
export function due(list: MemberList, published: string | undefined): string | undefined {
  const text = encodeMembers(list);
  return text === published ? undefined : text;
}
