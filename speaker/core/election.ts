/**
 * Which node announces an announcement unit (announcement-units.ts: every IP of a Service, both
 * families included, and of every Service sharing one of them). Pure: every speaker feeds it the
 * same cluster view and so computes the same owner without talking to the others. One election
 * per unit, so a dual-stack Service is answered from one node and the Services sharing an IP
 * always have one owner.
 *
 * Candidates are the live speakers minus nodes with NetworkUnavailable=True, minus nodes labelled
 * `node.kubernetes.io/exclude-from-external-load-balancers`, minus nodes that no L2Advertisement
 * of the unit's pool selects, and, when every Service of the unit with endpoints uses
 * `externalTrafficPolicy: Local`, minus nodes without a local endpoint. The winner is the
 * candidate with the smallest hex sha256(node + "#" + unit key), the key being the unit's lowest
 * IP in canonical text, so all agree on the owner given the same candidates.
 *
 * A Service's endpoints are its ready ones, or, when none is ready, its serving ones (pods that
 * terminate but still serve), as kube-proxy and MetalLB count them (cluster-view.ts).
 *
 * The Services of a unit combine as a union: the unit is announced when at least one of them has
 * an endpoint; a node qualifies when some `Cluster` Service with endpoints exists (any node can
 * forward it) or it has a local endpoint of at least one `Local` Service. (The allocator only
 * lets Services share an IP when their traffic policies match, and for `Local` their selectors.)
 */
import { createHash } from "node:crypto";
import { canonicalIp } from "../../lib/core/ip.js";
import {
  endpointRule,
  type NodeFacts,
  nodeIneligibility,
  NODE_REASON,
  type NodeReason,
  type ServiceEndpoints,
} from "./eligibility.js";

export const ELECTION_REASON = {
  notLive: "notLive",
  networkUnavailable: "networkUnavailable",
  excludedByLabel: "excludedByLabel",
  notSelectedByL2Advertisement: "notSelectedByL2Advertisement",
  noEndpoint: "noEndpoint",
  noLocalEndpoint: "noLocalEndpoint",
  lostHash: "lostHash",
} as const;
/** Why a node does not announce the unit; the first rule that fails, in the order above. */
export type ElectionReason = (typeof ELECTION_REASON)[keyof typeof ELECTION_REASON];

export type { EndpointFacts, NodeFacts, ServiceEndpoints, TrafficPolicy } from "./eligibility.js";

export interface CandidateInput {
  /** Nodes whose speaker holds an unexpired Lease. */
  readonly liveSpeakers: ReadonlySet<string>;
  /** Known Node objects; nodes here without a live speaker get `notLive`. */
  readonly nodes: ReadonlyMap<string, NodeFacts>;
  /** Nodes selected by an L2Advertisement of the unit's pool (selector matched outside). */
  readonly selectedByL2Advertisement: ReadonlySet<string> | ((node: string) => boolean);
  /** Every Service of the unit (usually one; several when IPs are shared). */
  readonly services: readonly ServiceEndpoints[];
}

export type ElectionOutcome = "elected" | "noEndpoint" | "noCandidates";

export interface Election {
  readonly winner: string | undefined;
  readonly outcome: ElectionOutcome;
  /** A reason for every known or live node except the winner. */
  readonly reasons: ReadonlyMap<string, ElectionReason>;
}

/** The value compared between candidates: hex sha256 of `node#key`. */
export const electionHash = (node: string, key: string): string =>
  createHash("sha256").update(`${node}#${key}`).digest("hex");

const isSelected = (input: CandidateInput, node: string): boolean =>
  typeof input.selectedByL2Advertisement === "function"
    ? input.selectedByL2Advertisement(node)
    : input.selectedByL2Advertisement.has(node);

const L2_REASON: Record<NodeReason, ElectionReason> = {
  ...NODE_REASON,
  notSelected: ELECTION_REASON.notSelectedByL2Advertisement,
};

function disqualify(
  node: string,
  input: CandidateInput,
  endpoints: (node: string) => NodeReason | undefined,
): ElectionReason | undefined {
  const facts = input.nodes.get(node);
  const live = input.liveSpeakers.has(node);
  const reason = nodeIneligibility(
    node,
    { live, facts, selected: isSelected(input, node) },
    endpoints,
  );
  return reason === undefined ? undefined : L2_REASON[reason];
}

/**
 * Elects the node that announces the unit keyed `unitKey` (its lowest IP; any spelling, hashed in
 * canonical text). Input order never changes the answer.
 */
export function elect(unitKey: string, input: CandidateInput): Election {
  const key = canonicalIp(unitKey) ?? unitKey;
  const endpoints = endpointRule(input.services);
  const reasons = new Map<string, ElectionReason>();
  let best: { node: string; hash: string } | undefined;
  for (const node of new Set([...input.nodes.keys(), ...input.liveSpeakers])) {
    const reason = disqualify(node, input, endpoints);
    if (reason !== undefined) {
      reasons.set(node, reason);
      continue;
    }
    const hash = electionHash(node, key);
    if (best === undefined || hash < best.hash || (hash === best.hash && node < best.node)) {
      if (best) reasons.set(best.node, ELECTION_REASON.lostHash);
      best = { node, hash };
    } else {
      reasons.set(node, ELECTION_REASON.lostHash);
    }
  }
  const winner = best?.node;
  return { winner, outcome: outcomeOf(winner, input.services), reasons: sortedByNode(reasons) };
}

function outcomeOf(
  winner: string | undefined,
  services: readonly ServiceEndpoints[],
): ElectionOutcome {
  if (winner !== undefined) return "elected";
  return services.some((s) => s.hasEndpoint) ? "noCandidates" : "noEndpoint";
}

const sortedByNode = <V>(map: Map<string, V>): Map<string, V> =>
  new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
