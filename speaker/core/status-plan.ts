/**
 * Which ServiceL2Status records a speaker must write or remove, from what it announces and what
 * the cluster holds now (level-based, so a write lost while the node was cut off, or a record a
 * peer removed after this node took the Service back, is put right on the next pass).
 *
 * A record is one per Service (its name is derived from the Service), holding the announcing node.
 * That is consistent because election is per announcement unit, which holds every IP of a Service:
 * one node announces all of a Service's IPs, so at most one node claims its record (per-IP
 * election let the IPv4 and IPv6 owners of a dual-stack Service claim it back from each other on
 * every pass).
 * - This node announces a Service: the record must exist, name this node and its interfaces.
 * - A record names this node for a Service it does not announce (ownership moved, the Service
 *   was deleted): this node removes it.
 * - A record of a Service that no longer exists, naming a node whose speaker is not live: nobody
 *   else will remove it, so any live speaker does.
 */

import type { IpPlan } from "./announcements.js";

/** A ServiceL2Status as read from the cluster. */
export interface StatusRecord {
  /** `namespace/name` of the Service. */
  readonly service: string;
  /** The node it names (status.node, else the node label); undefined when neither is set. */
  readonly node: string | undefined;
  readonly interfaces: readonly string[];
  /**
   * The record exists but its status was never written (created, then the status write failed):
   * only its labels name the node. Not a finished claim, even with the same (no) interfaces.
   */
  readonly unwritten?: boolean;
}

export interface StatusInput {
  readonly node: string;
  /** Services this node announces -> the interfaces it announces them on. */
  readonly announcing: ReadonlyMap<string, readonly string[]>;
  readonly records: readonly StatusRecord[];
  /** `namespace/name` of every existing Service. */
  readonly services: ReadonlySet<string>;
  readonly liveSpeakers: ReadonlySet<string>;
}

export type StatusAction =
  | {
      readonly kind: "claim";
      readonly service: string;
      readonly interfaces: readonly string[];
      /** Why: no record, another node's, this node's with no status yet or other interfaces. */
      readonly reason: "missing" | "other-node" | "unwritten" | "interfaces";
    }
  | {
      readonly kind: "remove";
      readonly service: string;
      /** Remove only while the record still names this node (a peer may have claimed it since). */
      readonly node: string | undefined;
      readonly reason: "not-announced" | "service-gone";
    };

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

export function statusActions(input: StatusInput): StatusAction[] {
  const { node, announcing, records, services, liveSpeakers } = input;
  const byService = new Map(records.map((r) => [r.service, r]));
  const actions: StatusAction[] = [];
  for (const [service, interfaces] of announcing) {
    const record = byService.get(service);
    if (!record) actions.push({ kind: "claim", service, interfaces, reason: "missing" });
    else if (record.node !== node)
      actions.push({ kind: "claim", service, interfaces, reason: "other-node" });
    else if (record.unwritten)
      actions.push({ kind: "claim", service, interfaces, reason: "unwritten" });
    else if (!sameList(record.interfaces, interfaces))
      actions.push({ kind: "claim", service, interfaces, reason: "interfaces" });
  }
  for (const record of records) {
    if (announcing.has(record.service)) continue;
    if (record.node === node) {
      actions.push({ kind: "remove", service: record.service, node, reason: "not-announced" });
    } else if (
      !services.has(record.service) &&
      (record.node === undefined || !liveSpeakers.has(record.node))
    ) {
      actions.push({
        kind: "remove",
        service: record.service,
        node: record.node,
        reason: "service-gone",
      });
    }
  }
  return actions;
}

/**
 * The Services `node` announces, each with the interfaces it answers on for any of the Service's
 * IPs (`interfaces`: IP -> interfaces, as chosen for what the node owns), sorted.
 */
export function announcedServices(
  plans: ReadonlyMap<string, IpPlan>,
  interfaces: ReadonlyMap<string, readonly string[]>,
  node: string,
): Map<string, readonly string[]> {
  const names = new Map<string, Set<string>>();
  for (const plan of plans.values()) {
    if (plan.election.winner !== node) continue;
    for (const svc of plan.services) {
      const set = names.get(svc) ?? new Set<string>();
      for (const name of interfaces.get(plan.ip) ?? []) set.add(name);
      names.set(svc, set);
    }
  }
  return new Map([...names].map(([svc, set]) => [svc, [...set].sort()]));
}
