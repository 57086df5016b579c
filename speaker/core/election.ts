/**
 * Which node announces an IP. Pure: every speaker feeds it the same cluster view and so computes
 * the same owner without talking to the others. Election is per IP, never per Service, so the
 * services sharing an IP always have one owner.
 *
 * Candidates are the live speakers minus nodes with NetworkUnavailable=True, minus nodes labelled
 * `node.kubernetes.io/exclude-from-external-load-balancers`, minus nodes that no L2Advertisement
 * of the IP's pool selects, and, when every service with ready endpoints on the IP uses
 * `externalTrafficPolicy: Local`, minus nodes without a ready local endpoint. The winner is the
 * candidate with the smallest hex sha256(node + "#" + ip), as in MetalLB, with the IP in
 * canonical text, so both agree on the owner given the same candidates.
 *
 * Services sharing one IP combine as a union: the IP is announced when at least one of them has a
 * ready endpoint; a node qualifies when some ready `Cluster` service exists (any node can forward
 * it) or it has a ready local endpoint of at least one ready `Local` service. (The allocator only
 * lets services share an IP when their traffic policies match, and for `Local` their selectors.)
 */
import { createHash } from "node:crypto";
import { canonicalIp } from "../../lib/core/ip.js";

export const ELECTION_REASON = {
  notLive: "notLive",
  networkUnavailable: "networkUnavailable",
  excludedByLabel: "excludedByLabel",
  notSelectedByL2Advertisement: "notSelectedByL2Advertisement",
  noReadyEndpoint: "noReadyEndpoint",
  noLocalEndpoint: "noLocalEndpoint",
  lostHash: "lostHash",
} as const;
/** Why a node does not announce the IP; the first rule that fails, in the order above. */
export type ElectionReason = (typeof ELECTION_REASON)[keyof typeof ELECTION_REASON];

/** Facts about one Node object. A live speaker with no facts is treated as having no flags. */
export interface NodeFacts {
  /** The Node condition NetworkUnavailable is True. */
  readonly networkUnavailable: boolean;
  /** The Node has the label node.kubernetes.io/exclude-from-external-load-balancers. */
  readonly excludedByLabel: boolean;
}

export type TrafficPolicy = "Cluster" | "Local";

/** One service using the IP, reduced to what election needs from its EndpointSlices. */
export interface ServiceEndpoints {
  readonly trafficPolicy: TrafficPolicy;
  /** Any ready endpoint exists, whether or not it names a node. */
  readonly hasReadyEndpoint: boolean;
  /** Nodes hosting at least one ready endpoint of the service. */
  readonly nodesWithReadyEndpoint: ReadonlySet<string>;
}

export interface CandidateInput {
  /** Nodes whose speaker holds an unexpired Lease. */
  readonly liveSpeakers: ReadonlySet<string>;
  /** Known Node objects; nodes here without a live speaker get `notLive`. */
  readonly nodes: ReadonlyMap<string, NodeFacts>;
  /** Nodes selected by at least one L2Advertisement of the IP's pool (selector matched outside). */
  readonly selectedByL2Advertisement: ReadonlySet<string> | ((node: string) => boolean);
  /** Every service the IP is assigned to (usually one; several when shared). */
  readonly services: readonly ServiceEndpoints[];
}

export type ElectionOutcome = "elected" | "noReadyEndpoint" | "noCandidates";

export interface Election {
  readonly winner: string | undefined;
  readonly outcome: ElectionOutcome;
  /** A reason for every known or live node except the winner. */
  readonly reasons: ReadonlyMap<string, ElectionReason>;
}

/** The value compared between candidates: hex sha256 of `node#ip`. */
export const electionHash = (node: string, ip: string): string =>
  createHash("sha256").update(`${node}#${ip}`).digest("hex");

const isSelected = (input: CandidateInput, node: string): boolean =>
  typeof input.selectedByL2Advertisement === "function"
    ? input.selectedByL2Advertisement(node)
    : input.selectedByL2Advertisement.has(node);

/** Whether a node can forward traffic for the IP, given the services using it. */
function endpointRule(
  services: readonly ServiceEndpoints[],
): (node: string) => ElectionReason | undefined {
  const ready = services.filter((s) => s.hasReadyEndpoint);
  if (ready.length === 0) return () => ELECTION_REASON.noReadyEndpoint;
  if (ready.some((s) => s.trafficPolicy === "Cluster")) return () => undefined;
  return (node) =>
    ready.some((s) => s.nodesWithReadyEndpoint.has(node))
      ? undefined
      : ELECTION_REASON.noLocalEndpoint;
}

function disqualify(
  node: string,
  input: CandidateInput,
  endpoints: (node: string) => ElectionReason | undefined,
): ElectionReason | undefined {
  const facts = input.nodes.get(node);
  if (!input.liveSpeakers.has(node)) return ELECTION_REASON.notLive;
  if (facts?.networkUnavailable === true) return ELECTION_REASON.networkUnavailable;
  if (facts?.excludedByLabel === true) return ELECTION_REASON.excludedByLabel;
  if (!isSelected(input, node)) return ELECTION_REASON.notSelectedByL2Advertisement;
  return endpoints(node);
}

/** Elects the node that announces `ip`. Input order never changes the answer. */
export function elect(ip: string, input: CandidateInput): Election {
  const key = canonicalIp(ip) ?? ip;
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
  return services.some((s) => s.hasReadyEndpoint) ? "noCandidates" : "noReadyEndpoint";
}

const sortedByNode = <V>(map: Map<string, V>): Map<string, V> =>
  new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
