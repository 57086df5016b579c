/**
 * Why this node took a unit over from `previous`, for the `nodeAssigned` event and the takeover
 * counter: its owner went silent (on the segment, or its Lease ran out), stopped (its Lease was
 * deleted: graceful shutdown), or is still a member but no longer eligible (excluded, no local
 * endpoint, network unavailable, not selected any more).
 */
export const TAKEOVER_REASON = {
  ownerSilent: "ownerSilent",
  ownerStopped: "ownerStopped",
  ownerNotEligible: "ownerNotEligible",
} as const;
export type TakeoverReason = (typeof TAKEOVER_REASON)[keyof typeof TAKEOVER_REASON];

export interface MembershipFacts {
  /** Owners silent on the segment (this node's data-path watch). */
  readonly silent: ReadonlySet<string>;
  /** Speakers whose Lease was deleted. */
  readonly stopped: ReadonlySet<string>;
  /** Live speakers by their Leases. */
  readonly live: ReadonlySet<string>;
}

export function takeoverReason(previous: string, facts: MembershipFacts): TakeoverReason {
  if (facts.silent.has(previous)) return TAKEOVER_REASON.ownerSilent;
  if (facts.stopped.has(previous)) return TAKEOVER_REASON.ownerStopped;
  if (!facts.live.has(previous)) return TAKEOVER_REASON.ownerSilent;
  return TAKEOVER_REASON.ownerNotEligible;
}
