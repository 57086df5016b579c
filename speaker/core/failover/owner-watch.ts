/**
 * The backup's side of data-path failure detection (docs/failover.md), pure: the adapter sends a
 * probe for every target `tick` returns and reports what it heard; this decides which owners are
 * silent, i.e. whose units this node answers for instead.
 *
 * - An owner is silent after `misses` probes in a row got no answer (an ARP reply, or any
 *   announcement of a watched IP, from the owner). A new target gets `graceMs` before misses
 *   count, unless it answered already: a speaker that just won probes its IPs before answering.
 * - Hearing the owner again ends the takeover at once (the rightful owner is back, or defends).
 * - Partition rule: when the owner stays silent on the segment but the apiserver shows it renewing
 *   its Lease at least `holdMs` after the takeover began, the owner is alive and only this
 *   node cannot hear it: the takeover ends and is held off until the owner is heard again or
 *   leaves the membership, so a partition ends with one announcer, the elected one.
 */
import type { WatchTarget } from "./watch-targets.js";

export interface OwnerWatchOptions {
  readonly misses: number;
  readonly graceMs: number;
  readonly holdMs: number;
}

export const DEFAULT_OWNER_WATCH: OwnerWatchOptions = { misses: 3, graceMs: 3000, holdMs: 1000 };

interface Watched {
  target: WatchTarget;
  readonly since: number;
  lastAnswerAt: number | undefined;
  answered: boolean;
  probes: number;
  misses: number;
  takenOverAt: number | undefined;
  heldOff: boolean;
}

export interface Tick {
  /** Send one probe for each. */
  readonly probes: readonly WatchTarget[];
  /** The silent set changed: plan again. */
  readonly changed: boolean;
}

export class OwnerWatch {
  private readonly watched = new Map<string, Watched>();
  private readonly byIp = new Map<string, string>();

  constructor(private readonly options: OwnerWatchOptions = DEFAULT_OWNER_WATCH) {}

  /** The owners to watch now; state is kept for those still watched. True: the silent set changed. */
  setTargets(targets: readonly WatchTarget[], now: number): boolean {
    const before = this.silentKey();
    const next = new Map(targets.map((t) => [t.owner, t]));
    for (const owner of this.watched.keys()) if (!next.has(owner)) this.watched.delete(owner);
    this.byIp.clear();
    for (const target of targets) {
      const w = this.watched.get(target.owner);
      if (w) w.target = target;
      else this.watched.set(target.owner, fresh(target, now));
      for (const ip of target.ips) this.byIp.set(ip, target.owner);
    }
    return this.silentKey() !== before;
  }

  /** The owner whose units hold `ip`, when this node backs it up. */
  ownerOf(ip: string): string | undefined {
    return this.byIp.get(ip);
  }

  tick(now: number): Tick {
    let changed = false;
    for (const w of this.watched.values()) {
      const counts = w.lastAnswerAt !== undefined || now - w.since >= this.options.graceMs;
      if (w.answered) w.misses = 0;
      else if (w.probes > 0 && counts) w.misses++;
      w.answered = false;
      w.probes++;
      if (w.misses >= this.options.misses && w.takenOverAt === undefined && !w.heldOff) {
        w.takenOverAt = now;
        changed = true;
      }
    }
    return { probes: [...this.watched.values()].map((w) => w.target), changed };
  }

  /** The owner answered or announced. True: a takeover (or hold-off) ended. */
  heard(owner: string, now: number): boolean {
    const w = this.watched.get(owner);
    if (!w) return false;
    w.lastAnswerAt = now;
    w.answered = true;
    w.misses = 0;
    const changed = w.takenOverAt !== undefined;
    w.takenOverAt = undefined;
    w.heldOff = false;
    return changed;
  }

  /** The apiserver showed a renewal of the owner's Lease at `now`. True: the takeover ended. */
  leaseRenewed(owner: string, now: number): boolean {
    const w = this.watched.get(owner);
    if (!w || w.takenOverAt === undefined || now - w.takenOverAt < this.options.holdMs)
      return false;
    w.takenOverAt = undefined;
    w.heldOff = true;
    return true;
  }

  /** Owners whose units this node answers for now. */
  silent(): Set<string> {
    const out = new Set<string>();
    for (const [owner, w] of this.watched) if (w.takenOverAt !== undefined) out.add(owner);
    return out;
  }

  /** When the owner was last heard, if ever. */
  lastAnswerAt(owner: string): number | undefined {
    return this.watched.get(owner)?.lastAnswerAt;
  }

  private silentKey(): string {
    return [...this.silent()].sort().join(",");
  }
}

const fresh = (target: WatchTarget, now: number): Watched => ({
  target,
  since: now,
  lastAnswerAt: undefined,
  answered: false,
  probes: 0,
  misses: 0,
  takenOverAt: undefined,
  heldOff: false,
});
