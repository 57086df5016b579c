/**
 * `kubectl ironlb explain svc/NAME`: why a Service has no IP or is not answered, in plain words,
 * each with the command to run next. Pure: the snapshot, the Service, its endpoints and events
 * come in; the explanation comes out. Per Service (with the Services sharing its IPs), never per
 * IP, as the speaker elects one node for all of them.
 */
import { allocationFindings } from "./explain-allocation.js";
import { announcement, type NodeLine } from "./explain-announce.js";
import { conflictFindings, type EventLine, eventLines } from "./explain-events.js";
import { type Finding, finding } from "./finding.js";
import type { ClusterSnapshot, EndpointRecord, EventRecord, ServiceRecord } from "./model.js";
import { serviceKey } from "./model.js";

export interface ExplainInput {
  readonly snapshot: ClusterSnapshot;
  readonly service: ServiceRecord;
  /** The controller's `--lb-class` ("" : Services without a class). */
  readonly lbClass: string;
  /** Endpoints per Service key (`namespace/name`): the Service's and those sharing its IPs. */
  readonly endpoints: ReadonlyMap<string, readonly EndpointRecord[]>;
  readonly events: readonly EventRecord[];
}

export interface Explanation {
  readonly service: string;
  readonly ips: readonly string[];
  readonly pool: string | undefined;
  /** No finding is a problem. */
  readonly healthy: boolean;
  readonly findings: readonly Finding[];
  /** Per node: may it announce the Service, and if not, why (empty while it has no IP). */
  readonly nodes: readonly NodeLine[];
  readonly events: readonly EventLine[];
}

/** A Service IronLB does not handle: not a LoadBalancer, or another controller's class. */
function notHandled(svc: ServiceRecord, lbClass: string): Finding | undefined {
  if (svc.type !== "LoadBalancer") {
    return finding(
      "problem",
      "NotLoadBalancer",
      `not a LoadBalancer Service (type ${svc.type}): IronLB only gives IPs to type LoadBalancer`,
      {
        next: `kubectl patch service ${svc.name} -n ${svc.namespace} -p '{"spec":{"type":"LoadBalancer"}}'`,
      },
    );
  }
  const cls = svc.loadBalancerClass ?? "";
  if (cls === lbClass) return undefined;
  const mine = lbClass === "" ? "Services without a class" : `class "${lbClass}"`;
  const text =
    cls === ""
      ? `it has no loadBalancerClass, and this IronLB handles only ${mine}`
      : `loadBalancerClass "${cls}" belongs to another controller (this IronLB handles ${mine})`;
  return finding("problem", "OtherClass", text, {
    next: `kubectl ironlb explain svc/${svc.name} -n ${svc.namespace} --lb-class ${cls === "" ? '""' : cls}   # if IronLB runs with that class`,
  });
}

function allocated(svc: ServiceRecord): Finding {
  const from =
    svc.pool === undefined
      ? "(no metallb.io/ip-allocated-from-pool annotation)"
      : `from pool ${svc.pool}`;
  return finding("ok", "Allocated", `IP ${svc.ips.join(", ")} ${from}`);
}

export function explain(input: ExplainInput): Explanation {
  const { snapshot, service: svc } = input;
  const skip = notHandled(svc, input.lbClass);
  let findings: Finding[];
  let nodes: readonly NodeLine[] = [];
  if (skip) findings = [skip];
  else if (svc.ips.length === 0) findings = allocationFindings(svc, snapshot);
  else {
    const ann = announcement(svc, snapshot, input.endpoints);
    findings = [allocated(svc), ...ann.findings];
    nodes = ann.nodes;
  }
  findings.push(...conflictFindings(svc, input.events, snapshot.now));
  return {
    service: serviceKey(svc),
    ips: svc.ips,
    pool: svc.pool,
    healthy: findings.every((f) => f.severity !== "problem"),
    findings,
    nodes,
    events: eventLines(input.events, snapshot.now),
  };
}
