/**
 * Which speakers are live, from their Leases. A speaker is live while its Lease keeps being
 * renewed: liveness is measured on THIS node's clock from the moment a renewal was observed, so
 * clock skew between nodes cannot make a peer look dead or alive. A deleted Lease (graceful
 * shutdown) ends liveness at once. While this node cannot reach the apiserver it sees no
 * renewals at all, so the view is frozen instead of letting every peer expire.
 *
 * A Lease that ran out only counts once the API has shown this node a Lease event from after
 * its deadline (any speaker's, its own included): the watch delivers in order, so a renewal the
 * peer made in time would have arrived first. Without that, the first moments of an outage, when
 * a peer's last renewal is older than this node's own and this node still counts as healthy,
 * would expire peers and make two nodes answer for the same IP for as long as the outage lasts.
 */
export interface LeaseObservation {
  /** `spec.holderIdentity`: the node name. */
  readonly holder: string;
  /** `spec.renewTime` as written by the holder (opaque: only its changes matter). */
  readonly renewTime: string;
  readonly durationMs: number;
}

interface Seen {
  readonly renewTime: string;
  readonly seenAt: number;
  readonly durationMs: number;
}

export class LivenessTracker {
  private readonly seen = new Map<string, Seen>();
  /** Holders whose Lease was deleted and not written again: they stopped on purpose. */
  private readonly deleted = new Set<string>();
  private frozen: ReadonlySet<string> | undefined;
  /** When the latest Lease event arrived: how recent the API's word is. */
  private heardAt = -Infinity;

  /**
   * A Lease was added or modified (observed at `now`, this node's clock). `same`: nothing new;
   * `renewed`: a renewal of a live holder (the live set is as it was); `joined`: a holder not
   * live before. O(1): a renewal costs the same whatever the number of speakers.
   */
  observe(lease: LeaseObservation, now: number): "same" | "renewed" | "joined" {
    this.heardAt = Math.max(this.heardAt, now);
    this.deleted.delete(lease.holder);
    const old = this.seen.get(lease.holder);
    if (old && old.renewTime === lease.renewTime) return "same";
    this.seen.set(lease.holder, {
      renewTime: lease.renewTime,
      seenAt: now,
      durationMs: lease.durationMs,
    });
    return old && now < old.seenAt + old.durationMs ? "renewed" : "joined";
  }

  /** The Lease was deleted: its speaker stopped on purpose. */
  forget(holder: string): void {
    this.seen.delete(holder);
    this.deleted.add(holder);
  }

  /** Speakers that deleted their Lease (graceful stop) and did not come back yet. */
  stopped(): ReadonlySet<string> {
    return this.deleted;
  }

  /**
   * Live speakers at `now`. With `apiHealthy` false the last healthy answer is kept, so an API
   * outage moves no IP; when health returns, renewals seen during recovery count afresh.
   */
  live(now: number, apiHealthy: boolean): ReadonlySet<string> {
    if (!apiHealthy) {
      this.frozen ??= this.compute(now);
      return this.frozen;
    }
    if (this.frozen) {
      // Do not expire peers for the time we could not see them.
      for (const [holder, s] of this.seen) this.seen.set(holder, { ...s, seenAt: now });
      this.frozen = undefined;
    }
    return this.compute(now);
  }

  /**
   * When the live set may next change without any new observation (for a timer). A Lease past
   * its deadline ends with the next observation, which triggers its own recompute.
   */
  nextExpiry(now: number): number | undefined {
    let next: number | undefined;
    for (const s of this.seen.values()) {
      const at = s.seenAt + s.durationMs;
      if (at > now && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  private compute(now: number): ReadonlySet<string> {
    const live = new Set<string>();
    for (const [holder, s] of this.seen) {
      const deadline = s.seenAt + s.durationMs;
      if (now < deadline || this.heardAt < deadline) live.add(holder);
    }
    return live;
  }
}
