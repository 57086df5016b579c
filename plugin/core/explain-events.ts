/**
 * A Service's Events in plain words: what the controller (IPAllocated, AllocationFailed,
 * ClearAssignment, NotAdvertised) and the speakers (nodeAssigned, AddressConflict) said. Pure.
 */
import { type Finding, finding } from "./finding.js";
import type { EventRecord, ServiceRecord } from "./model.js";

/** An AddressConflict seen this recently is a live problem; older ones are history. */
export const CONFLICT_RECENT_MS = 10 * 60_000;
/** Events listed, newest first. */
export const MAX_EVENTS = 10;

export interface EventLine {
  readonly ageMs: number | undefined;
  readonly type: string;
  readonly reason: string;
  readonly count: number;
  /** What the event means, in a few words. */
  readonly meaning: string;
  readonly message: string;
}

const MEANING: Readonly<Record<string, string>> = {
  IPAllocated: "the controller assigned its IP",
  AllocationFailed: "the controller could not assign an IP",
  ClearAssignment: "the controller took its IP away",
  NotAdvertised: "its pool has no L2Advertisement or BGPAdvertisement: nobody announces the IP",
  nodeAssigned: "a node started announcing it",
  AddressConflict: "another machine claims its IP",
};

export function eventLines(events: readonly EventRecord[], now: number): EventLine[] {
  return [...events]
    .sort((a, b) => (b.lastSeen ?? 0) - (a.lastSeen ?? 0))
    .slice(0, MAX_EVENTS)
    .map((e) => ({
      ageMs: e.lastSeen === undefined ? undefined : now - e.lastSeen,
      type: e.type,
      reason: e.reason,
      count: e.count,
      meaning: MEANING[e.reason] ?? e.reason,
      message: e.message,
    }));
}

/** A problem for each recent AddressConflict (the newest per message). */
export function conflictFindings(
  svc: ServiceRecord,
  events: readonly EventRecord[],
  now: number,
): Finding[] {
  const recent = events.filter(
    (e) =>
      e.reason === "AddressConflict" &&
      e.lastSeen !== undefined &&
      now - e.lastSeen < CONFLICT_RECENT_MS,
  );
  const messages = [...new Set(recent.map((e) => e.message))];
  return messages.map((message) =>
    finding("problem", "AddressConflict", `another machine claims its IP: ${message}`, {
      details: [
        "find the machine with that MAC and remove the address, or take the IP out of the pool",
      ],
      next: `kubectl get events -n ${svc.namespace} --field-selector involvedObject.name=${svc.name},reason=AddressConflict`,
    }),
  );
}
