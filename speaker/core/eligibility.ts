/**
 * Which nodes may announce a set of Services, shared by both modes: L2 elects one of them
 * (election.ts), BGP lets every one of them announce (bgp/plan.ts). A node is out when its
 * speaker is not live, its Node has NetworkUnavailable=True or the label
 * `node.kubernetes.io/exclude-from-external-load-balancers`, no advertisement of the mode selects
 * it, or it cannot forward the traffic: nothing is announced for Services without endpoints, and
 * when every Service with endpoints uses `externalTrafficPolicy: Local`, only nodes with a local
 * endpoint qualify. The Services combine as a union (see election.ts).
 */
export const NODE_REASON = {
  notLive: "notLive",
  networkUnavailable: "networkUnavailable",
  excludedByLabel: "excludedByLabel",
  notSelected: "notSelected",
  noEndpoint: "noEndpoint",
  noLocalEndpoint: "noLocalEndpoint",
} as const;
export type NodeReason = (typeof NODE_REASON)[keyof typeof NODE_REASON];

/** Facts about one Node object. A live speaker with no facts is treated as having no flags. */
export interface NodeFacts {
  /** The Node condition NetworkUnavailable is True. */
  readonly networkUnavailable: boolean;
  /** The Node has the label node.kubernetes.io/exclude-from-external-load-balancers. */
  readonly excludedByLabel: boolean;
}

export type TrafficPolicy = "Cluster" | "Local";

/**
 * The endpoints of one Service: the ready ones, or, when the Service has no ready endpoint, the
 * serving (terminating) ones (lib/core/endpoints.ts).
 */
export interface EndpointFacts {
  /** Any such endpoint exists, whether or not it names a node. */
  readonly hasEndpoint: boolean;
  /** Nodes hosting at least one such endpoint. */
  readonly nodesWithEndpoint: ReadonlySet<string>;
}

/** One Service, reduced to what eligibility needs. */
export interface ServiceEndpoints extends EndpointFacts {
  readonly trafficPolicy: TrafficPolicy;
}

export interface NodeInput {
  readonly live: boolean;
  readonly facts: NodeFacts | undefined;
  /** Selected by an advertisement of the mode for the Services' pool. */
  readonly selected: boolean;
}

/** Whether a node can forward traffic for the Services: a per-node rule built once. */
export function endpointRule(
  services: readonly ServiceEndpoints[],
): (node: string) => NodeReason | undefined {
  const served = services.filter((s) => s.hasEndpoint);
  if (served.length === 0) return () => NODE_REASON.noEndpoint;
  if (served.some((s) => s.trafficPolicy === "Cluster")) return () => undefined;
  return (node) =>
    served.some((s) => s.nodesWithEndpoint.has(node)) ? undefined : NODE_REASON.noLocalEndpoint;
}

/** Why `node` may not announce; undefined when it may. The first rule that fails, in order. */
export function nodeIneligibility(
  node: string,
  input: NodeInput,
  endpoints: (node: string) => NodeReason | undefined,
): NodeReason | undefined {
  if (!input.live) return NODE_REASON.notLive;
  if (input.facts?.networkUnavailable === true) return NODE_REASON.networkUnavailable;
  if (input.facts?.excludedByLabel === true) return NODE_REASON.excludedByLabel;
  if (!input.selected) return NODE_REASON.notSelected;
  return endpoints(node);
}
