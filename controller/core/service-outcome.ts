/**
 * What the controller should make a Service look like after an allocation attempt: its ingress
 * IPs, its `ironlb.io/IPAllocated` condition, its pool annotation and the Events to emit. Pure:
 * it compares the wanted state with what the Service shows now, so unchanged Services cause no
 * writes and no repeated Events.
 */
import type { AllocationFailure } from "./allocation-failure.js";
import type { Cleared } from "./allocator.js";

export interface ServiceCondition {
  readonly status: "True" | "False";
  readonly reason: string;
  readonly message: string;
}

export interface EventSpec {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

/** What the Service shows now (from the API). */
export interface ServiceShown {
  readonly ingress: readonly string[];
  readonly pool: string | undefined;
  readonly condition: ServiceCondition | undefined;
}

export type Attempt =
  | {
      readonly ok: true;
      readonly ips: readonly string[];
      readonly pool: string;
      readonly cleared?: Cleared | undefined;
    }
  | {
      readonly ok: false;
      readonly failure: AllocationFailure;
      readonly cleared?: Cleared | undefined;
    };

export interface ServiceOutcome {
  readonly ingress: readonly string[];
  readonly pool: string | undefined;
  /** Undefined: remove IronLB's condition. */
  readonly condition: ServiceCondition | undefined;
  readonly events: readonly EventSpec[];
  readonly writeStatus: boolean;
  readonly writeAnnotation: boolean;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

const sameCondition = (a: ServiceCondition | undefined, b: ServiceCondition): boolean =>
  a?.status === b.status && a.reason === b.reason && a.message === b.message;

function eventsFor(attempt: Attempt, shown: ServiceShown, advertised: boolean): EventSpec[] {
  const events: EventSpec[] = [];
  if (attempt.cleared) {
    const next = attempt.ok ? attempt.ips.join(",") : "none";
    events.push({
      type: "Warning",
      reason: "ClearAssignment",
      message: `IP ${attempt.cleared.ips.join(",")} from pool "${attempt.cleared.pool}" cleared (${attempt.cleared.message}); new IP: ${next}`,
    });
  }
  if (!attempt.ok) {
    events.push({ type: "Warning", reason: "AllocationFailed", message: attempt.failure.message });
    return events;
  }
  if (!sameList(attempt.ips, shown.ingress)) {
    events.push({
      type: "Normal",
      reason: "IPAllocated",
      message: `Assigned IP ${attempt.ips.map((ip) => `"${ip}"`).join(",")} from pool "${attempt.pool}"`,
    });
    if (!advertised) events.push(notAdvertised(attempt.pool));
  }
  return events;
}

export const notAdvertised = (pool: string): EventSpec => ({
  type: "Warning",
  reason: "NotAdvertised",
  message: `pool "${pool}" is not selected by any L2Advertisement or BGPAdvertisement: the IP is assigned but no node answers ARP/NDP for it or announces it over BGP; create an L2Advertisement (or a BGPAdvertisement) for the pool`,
});

/**
 * The outcome of `attempt` for a Service that shows `shown`. `advertised` says whether an
 * L2Advertisement or a BGPAdvertisement covers the pool the IPs came from.
 */
export function serviceOutcome(
  attempt: Attempt,
  shown: ServiceShown,
  advertised: boolean,
): ServiceOutcome {
  const condition: ServiceCondition = attempt.ok
    ? {
        status: "True",
        reason: "Allocated",
        message: `IPs ${attempt.ips.join(",")} from pool "${attempt.pool}"`,
      }
    : { status: "False", reason: attempt.failure.reason, message: attempt.failure.message };
  const ingress = attempt.ok ? attempt.ips : [];
  const pool = attempt.ok ? attempt.pool : undefined;
  const repeatFailure =
    !attempt.ok && !attempt.cleared && sameCondition(shown.condition, condition);
  return {
    ingress,
    pool,
    condition,
    events: repeatFailure ? [] : eventsFor(attempt, shown, advertised),
    writeStatus: !sameList(ingress, shown.ingress) || !sameCondition(shown.condition, condition),
    writeAnnotation: pool !== shown.pool,
  };
}

/**
 * A Service that stopped being a LoadBalancer but still shows IronLB's state: its IPs,
 * condition and annotation are removed. Services that never showed IronLB's condition or
 * annotation are left alone, whatever their ingress (another controller may own it).
 */
export function releasedOutcome(shown: ServiceShown): ServiceOutcome | undefined {
  if (shown.pool === undefined && !shown.condition) return undefined;
  return {
    ingress: [],
    pool: undefined,
    condition: undefined,
    events: [],
    writeStatus: true,
    writeAnnotation: shown.pool !== undefined,
  };
}
