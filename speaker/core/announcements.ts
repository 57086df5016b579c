/**
 * From the cluster as a speaker sees it to what this node must announce: for every IP of every
 * LoadBalancer Service, the L2Advertisements that cover its pool, the election among the nodes
 * they select, and, when this node wins, the interfaces to answer on. Pure, so every speaker
 * computes the same owners from the same view.
 */
import type { Labels } from "../../lib/core/label-selector.js";
import {
  advertisesPool,
  type L2AdvertisementSpec,
  selectsNode,
} from "../../lib/core/l2-advertisement.js";
import { canonicalIp } from "../../lib/core/ip.js";
import {
  elect,
  type Election,
  type NodeFacts,
  type ServiceEndpoints,
  type TrafficPolicy,
} from "./election.js";

export interface ServiceView {
  /** `namespace/name` */
  readonly key: string;
  readonly ips: readonly string[];
  /** From the annotation `metallb.io/ip-allocated-from-pool`; undefined: not IronLB's. */
  readonly pool: string | undefined;
  readonly trafficPolicy: TrafficPolicy;
}

export interface EndpointView {
  readonly hasReadyEndpoint: boolean;
  readonly nodesWithReadyEndpoint: ReadonlySet<string>;
}

export interface NodeView extends NodeFacts {
  readonly labels: Labels;
}

export interface ClusterView {
  readonly services: readonly ServiceView[];
  /** By service key; a service without an entry has no ready endpoint. */
  readonly endpoints: ReadonlyMap<string, EndpointView>;
  readonly nodes: ReadonlyMap<string, NodeView>;
  readonly poolLabels: ReadonlyMap<string, Labels>;
  readonly advertisements: readonly L2AdvertisementSpec[];
  readonly liveSpeakers: ReadonlySet<string>;
}

export interface IpPlan {
  readonly ip: string;
  readonly pool: string;
  /** Service keys using the IP (several when shared). */
  readonly services: readonly string[];
  readonly election: Election;
  /** Interfaces this node answers on when it wins; undefined: every eligible interface. */
  readonly interfaces: readonly string[] | undefined;
}

const NO_ENDPOINTS: EndpointView = { hasReadyEndpoint: false, nodesWithReadyEndpoint: new Set() };

function groupByIp(
  services: readonly ServiceView[],
): Map<string, { pool: string; services: ServiceView[] }> {
  const byIp = new Map<string, { pool: string; services: ServiceView[] }>();
  for (const svc of services) {
    if (svc.pool === undefined) continue;
    for (const raw of svc.ips) {
      const ip = canonicalIp(raw);
      if (!ip) continue;
      const entry = byIp.get(ip) ?? { pool: svc.pool, services: [] };
      entry.services.push(svc);
      byIp.set(ip, entry);
    }
  }
  return byIp;
}

/** Interfaces of the advertisements selecting `node`; undefined when one of them allows all. */
function interfacesFor(
  advs: readonly L2AdvertisementSpec[],
  node: NodeView | undefined,
): string[] | undefined {
  const names = new Set<string>();
  for (const adv of advs) {
    if (!selectsNode(adv, node?.labels ?? {})) continue;
    if (!adv.interfaces || adv.interfaces.length === 0) return undefined;
    for (const name of adv.interfaces) names.add(name);
  }
  return [...names].sort();
}

function planIp(
  view: ClusterView,
  ip: string,
  pool: string,
  services: readonly ServiceView[],
  thisNode: string,
): IpPlan {
  const advs = view.poolLabels.has(pool)
    ? view.advertisements.filter((a) => advertisesPool(a, pool, view.poolLabels.get(pool) ?? {}))
    : []; // a pool of another namespace (another IronLB): never ours to announce
  const selected = (node: string): boolean =>
    advs.some((a) => selectsNode(a, view.nodes.get(node)?.labels ?? {}));
  const endpoints: ServiceEndpoints[] = services.map((s) => ({
    trafficPolicy: s.trafficPolicy,
    ...(view.endpoints.get(s.key) ?? NO_ENDPOINTS),
  }));
  if (advs.length === 0) {
    // Not announced by anyone: skip the hashing (most IPs of other IronLB instances).
    const election: Election = { winner: undefined, outcome: "noCandidates", reasons: new Map() };
    return { ip, pool, services: services.map((s) => s.key).sort(), election, interfaces: [] };
  }
  const election = elect(ip, {
    liveSpeakers: view.liveSpeakers,
    nodes: view.nodes,
    selectedByL2Advertisement: selected,
    services: endpoints,
  });
  const mine = election.winner === thisNode;
  return {
    ip,
    pool,
    services: services.map((s) => s.key).sort(),
    election,
    interfaces: mine ? interfacesFor(advs, view.nodes.get(thisNode)) : [],
  };
}

/** The plan of every IP IronLB assigned, keyed by canonical IP. */
export function planAnnouncements(view: ClusterView, thisNode: string): Map<string, IpPlan> {
  const plans = new Map<string, IpPlan>();
  for (const [ip, { pool, services }] of groupByIp(view.services)) {
    plans.set(ip, planIp(view, ip, pool, services, thisNode));
  }
  return plans;
}

/** What this node answers for: IP -> interfaces (undefined: every eligible interface). */
export function ownedBy(
  plans: ReadonlyMap<string, IpPlan>,
  thisNode: string,
): Map<string, readonly string[] | undefined> {
  const owned = new Map<string, readonly string[] | undefined>();
  for (const plan of plans.values()) {
    if (plan.election.winner === thisNode) owned.set(plan.ip, plan.interfaces);
  }
  return owned;
}
