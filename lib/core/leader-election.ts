/**
 * Leader election over a coordination.k8s.io Lease, after client-go's leaderelection: pure
 * decisions, the adapter (lib/adapters/leader-elector.ts) does the API calls.
 *
 * - A candidate takes the Lease when nobody holds it (no object, or holderIdentity empty: a
 *   released Lease), or when the record it last saw has not changed for the Lease's duration.
 *   Expiry is measured on the candidate's own clock from when it first saw the current record
 *   (resourceVersion), never from the holder's renewTime, so clock skew between replicas does
 *   not matter.
 * - The leader renews every retry period; when no renewal got through for the renew deadline it
 *   has lost (it must stop writing at once), still before any candidate can see the Lease expire.
 */
import { err, ok, type Result } from "./result.js";

export interface ElectionTiming {
  /** How long a Lease not renewed stays the holder's (leaseDurationSeconds). */
  readonly leaseDurationMs: number;
  /** The leader gives up when no renewal got through for this long. */
  readonly renewDeadlineMs: number;
  /** Interval between attempts, to acquire or to renew. */
  readonly retryPeriodMs: number;
}

/** The fields of a Lease that the election reads. Times are ms since the epoch. */
export interface LeaseRecord {
  readonly holder: string;
  readonly durationSeconds: number;
  readonly acquireTime: number | undefined;
  readonly transitions: number;
  readonly resourceVersion: string;
}

/** The spec to write: holderIdentity, leaseDurationSeconds, acquireTime, renewTime, transitions. */
export interface LeaseSpecOut {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: number;
  readonly renewTime: number;
  readonly leaseTransitions: number;
}

/** The record a candidate saw last (by resourceVersion) and when it first saw it. */
export interface Observed {
  readonly resourceVersion: string;
  readonly at: number;
}

export type ElectionStep =
  | { readonly kind: "create"; readonly spec: LeaseSpecOut }
  | { readonly kind: "acquire"; readonly spec: LeaseSpecOut; readonly resourceVersion: string }
  | { readonly kind: "renew"; readonly spec: LeaseSpecOut; readonly resourceVersion: string }
  | { readonly kind: "wait"; readonly holder: string; readonly expiresAt: number };

export interface StepInput {
  readonly identity: string;
  readonly timing: ElectionTiming;
  /** The Lease as read now; undefined when it does not exist. */
  readonly lease: LeaseRecord | undefined;
  readonly observed: Observed | undefined;
  readonly now: number;
}

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** Updates what the candidate has seen: a new resourceVersion restarts the expiry clock. */
export function observe(observed: Observed | undefined, lease: LeaseRecord, now: number): Observed {
  return observed?.resourceVersion === lease.resourceVersion
    ? observed
    : { resourceVersion: lease.resourceVersion, at: now };
}

/** What to do with the Lease as read now. `observed` must already include this read. */
export function nextStep(input: StepInput): ElectionStep {
  const { identity, timing, lease, observed, now } = input;
  const mine = (acquireTime: number, transitions: number): LeaseSpecOut => ({
    holderIdentity: identity,
    leaseDurationSeconds: seconds(timing.leaseDurationMs),
    acquireTime,
    renewTime: now,
    leaseTransitions: transitions,
  });
  if (!lease) return { kind: "create", spec: mine(now, 0) };
  const { resourceVersion } = lease;
  if (lease.holder === identity) {
    return {
      kind: "renew",
      spec: mine(lease.acquireTime ?? now, lease.transitions),
      resourceVersion,
    };
  }
  const transitions = lease.transitions + 1;
  if (lease.holder === "")
    return { kind: "acquire", spec: mine(now, transitions), resourceVersion };
  const seenAt = observed?.resourceVersion === resourceVersion ? observed.at : now;
  const expiresAt = seenAt + lease.durationSeconds * 1000;
  if (now < expiresAt) return { kind: "wait", holder: lease.holder, expiresAt };
  return { kind: "acquire", spec: mine(now, transitions), resourceVersion };
}

/** The leader has lost the Lease when its last successful renewal is a renew deadline old. */
export function leadershipLost(lastRenewAt: number, now: number, timing: ElectionTiming): boolean {
  return now - lastRenewAt >= timing.renewDeadlineMs;
}

/** The spec of a released Lease (client-go's ReleaseOnCancel): nobody, for one second. */
export function releasedSpec(lease: LeaseRecord, now: number): LeaseSpecOut {
  return {
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTime: lease.acquireTime ?? now,
    renewTime: now,
    leaseTransitions: lease.transitions,
  };
}

/**
 * client-go's rule: leaseDuration > renewDeadline > retryPeriod * 1.2, so the leader gives up
 * before a candidate may take over, and retries at least once within the deadline.
 */
export function checkTiming(t: ElectionTiming): Result<ElectionTiming, string> {
  if (!(t.retryPeriodMs > 0)) return err(`retry period must be > 0 (got ${t.retryPeriodMs} ms)`);
  if (!(t.renewDeadlineMs > t.retryPeriodMs * 1.2)) {
    return err(
      `renew deadline (${t.renewDeadlineMs} ms) must be more than 1.2 x the retry period (${t.retryPeriodMs} ms)`,
    );
  }
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) {
    return err(
      `lease duration (${t.leaseDurationMs} ms) must be more than the renew deadline (${t.renewDeadlineMs} ms)`,
    );
  }
  return ok(t);
}
