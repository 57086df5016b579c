/**
 * Which nodes may announce a Service, and why the others may not: the speaker's election rules
 * (ARCHITECTURE.md, "Election"), restated for one Service and the Services sharing its IPs. The
 * reasons carry the speaker's names (notLive, networkUnavailable, ...). Pure.
 */
import { advertisesPool, selectsNode } from "../../lib/core/l2-advertisement.js";
import type { L2AdvertisementSpec } from "../../lib/core/l2-advertisement.js";
import type { Labels } from "../../lib/core/label-selector.js";
import type { EndpointRecord, NodeRecord, TrafficPolicy } from "./model.js";

export const EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

export const NODE_REASON = {
  notLive: "notLive",
  networkUnavailable: "networkUnavailable",
  excludedByLabel: "excludedByLabel",
  notSelectedByL2Advertisement: "notSelectedByL2Advertisement",
  noLocalEndpoint: "noLocalEndpoint",
} as const;
export type NodeReason = (typeof NODE_REASON)[keyof typeof NODE_REASON];

/** A Service of the unit (the Service itself, or one sharing its IPs) and its endpoints. */
export interface UnitService {
  readonly key: string;
  readonly trafficPolicy: TrafficPolicy;
  readonly endpoints: readonly EndpointRecord[];
}

export interface EligibilityInput {
  readonly pool: string;
  readonly poolLabels: Labels;
  readonly advertisements: readonly L2AdvertisementSpec[];
  readonly nodes: readonly NodeRecord[];
  /** Nodes whose speaker Lease is live. */
  readonly live: ReadonlySet<string>;
  readonly unit: readonly UnitService[];
}

export interface NodeVerdict {
  readonly node: string;
  /** Undefined: the node may announce the Service. */
  readonly reason: NodeReason | undefined;
}

export interface Eligibility {
  /** Some Service of the unit has a ready endpoint (else nothing is announced). */
  readonly hasReadyEndpoint: boolean;
  /** Every Service of the unit with a ready endpoint uses externalTrafficPolicy Local. */
  readonly localOnly: boolean;
  readonly nodes: readonly NodeVerdict[];
}

const readyNodes = (s: UnitService): Set<string> =>
  new Set(s.endpoints.flatMap((e) => (e.ready && e.node !== undefined ? [e.node] : [])));

/** The nodes that may forward traffic; undefined when any node may (a ready Cluster Service). */
function forwardingNodes(ready: readonly UnitService[]): ReadonlySet<string> | undefined {
  if (ready.some((s) => s.trafficPolicy === "Cluster")) return undefined;
  return new Set(ready.flatMap((s) => [...readyNodes(s)]));
}

function verdict(
  node: NodeRecord,
  input: EligibilityInput,
  forwarding: ReadonlySet<string> | undefined,
): NodeReason | undefined {
  if (!input.live.has(node.name)) return NODE_REASON.notLive;
  if (node.networkUnavailable) return NODE_REASON.networkUnavailable;
  if (EXCLUDE_LABEL in node.labels) return NODE_REASON.excludedByLabel;
  const selected = input.advertisements.some(
    (a) => advertisesPool(a, input.pool, input.poolLabels) && selectsNode(a, node.labels),
  );
  if (!selected) return NODE_REASON.notSelectedByL2Advertisement;
  if (forwarding !== undefined && !forwarding.has(node.name)) return NODE_REASON.noLocalEndpoint;
  return undefined;
}

/** Every known node (Node objects and live speakers), sorted by name, with its verdict. */
export function eligibility(input: EligibilityInput): Eligibility {
  const ready = input.unit.filter((s) => s.endpoints.some((e) => e.ready));
  // Without a ready endpoint nothing is announced at all: judge the nodes on the other rules.
  const forwarding = ready.length > 0 ? forwardingNodes(ready) : undefined;
  const known = new Map(input.nodes.map((n) => [n.name, n]));
  for (const name of input.live) {
    if (!known.has(name)) known.set(name, { name, labels: {}, networkUnavailable: false });
  }
  const nodes = [...known.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((n) => ({ node: n.name, reason: verdict(n, input, forwarding) }));
  return { hasReadyEndpoint: ready.length > 0, localOnly: forwarding !== undefined, nodes };
}
