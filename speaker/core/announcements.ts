/**
 * From the cluster as a speaker sees it to what this node must announce: the announcement units
 * (announcement-units.ts: the IPs that move together, every IP of a Service and of the Services
 * sharing one of them), for each unit the L2Advertisements that cover its pool, one election among
 * the nodes they select, and, when this node wins, the interfaces to answer on for each IP. Pure,
 * so every speaker computes the same owners from the same view.
 */
import type { Labels } from "../../lib/core/label-selector.js";
import {
  advertisesPool,
  type L2AdvertisementSpec,
  selectsNode,
} from "../../lib/core/l2-advertisement.js";
import { type AnnouncementUnit, announcementUnits } from "./announcement-units.js";
import {
  elect,
  type Election,
  type EndpointFacts,
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

/** A Service's endpoints as election counts them: ready, else serving (see election.ts). */
export type EndpointView = EndpointFacts;

export interface NodeView extends NodeFacts {
  readonly labels: Labels;
}

export interface ClusterView {
  readonly services: readonly ServiceView[];
  /** By service key; a service without an entry has no endpoint. */
  readonly endpoints: ReadonlyMap<string, EndpointView>;
  readonly nodes: ReadonlyMap<string, NodeView>;
  readonly poolLabels: ReadonlyMap<string, Labels>;
  readonly advertisements: readonly L2AdvertisementSpec[];
  readonly liveSpeakers: ReadonlySet<string>;
}

export interface IpPlan {
  readonly ip: string;
  readonly pool: string;
  /** The key of the IP's announcement unit (its lowest IP): every IP of a unit has one winner. */
  readonly unit: string;
  /** Service keys using the IP (several when shared). */
  readonly services: readonly string[];
  /** The unit's election, shared by all its IPs. */
  readonly election: Election;
  /** Interfaces this node answers on when it wins; undefined: every eligible interface. */
  readonly interfaces: readonly string[] | undefined;
}

const NO_ENDPOINTS: EndpointView = { hasEndpoint: false, nodesWithEndpoint: new Set() };
const NOBODY: Election = { winner: undefined, outcome: "noCandidates", reasons: new Map() };

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

/** The L2Advertisements covering `pool`; none for a pool of another namespace (another IronLB). */
const advertisementsOf = (view: ClusterView, pool: string): L2AdvertisementSpec[] =>
  view.poolLabels.has(pool)
    ? view.advertisements.filter((a) => advertisesPool(a, pool, view.poolLabels.get(pool) ?? {}))
    : [];

/**
 * One election for the unit. Its candidates are the nodes selected by an advertisement of every
 * pool its Services come from (one pool, but for hand-written annotations), so it is announced
 * only where each of its IPs may be; a pool without advertisement leaves the unit unannounced.
 */
function electUnit(
  view: ClusterView,
  unit: AnnouncementUnit,
  members: readonly ServiceView[],
  advsByPool: ReadonlyMap<string, readonly L2AdvertisementSpec[]>,
): Election {
  const advs = [...advsByPool.values()];
  // Not announced by anyone: skip the hashing (most IPs of other IronLB instances).
  if (advs.some((a) => a.length === 0)) return NOBODY;
  const selected = (node: string): boolean => {
    const labels = view.nodes.get(node)?.labels ?? {};
    return advs.every((forPool) => forPool.some((a) => selectsNode(a, labels)));
  };
  const services: ServiceEndpoints[] = members.map((s) => ({
    trafficPolicy: s.trafficPolicy,
    ...(view.endpoints.get(s.key) ?? NO_ENDPOINTS),
  }));
  return elect(unit.key, {
    liveSpeakers: view.liveSpeakers,
    nodes: view.nodes,
    selectedByL2Advertisement: selected,
    services,
  });
}

/** The plans of one unit's IPs (`view.services` is not read: members come from `byKey`). */
export function planUnit(
  view: ClusterView,
  unit: AnnouncementUnit,
  byKey: ReadonlyMap<string, ServiceView>,
  thisNode: string,
): IpPlan[] {
  const members = unit.services.flatMap((k) => byKey.get(k) ?? []);
  const advsByPool = new Map(
    members.map((s) => [s.pool ?? "", advertisementsOf(view, s.pool ?? "")]),
  );
  const election = electUnit(view, unit, members, advsByPool);
  const mine = election.winner === thisNode;
  return unit.ips.map((ip) => {
    const services = unit.servicesOf.get(ip) ?? [];
    const pool = byKey.get(services[0] ?? "")?.pool ?? "";
    return {
      ip,
      pool,
      unit: unit.key,
      services,
      election,
      interfaces: mine ? interfacesFor(advsByPool.get(pool) ?? [], view.nodes.get(thisNode)) : [],
    };
  });
}
/** The plan of every IP IronLB assigned, keyed by canonical IP. */
export function planAnnouncements(view: ClusterView, thisNode: string): Map<string, IpPlan> {
  const ours = view.services.filter((s) => s.pool !== undefined);
  const byKey = new Map(ours.map((s) => [s.key, s]));
  const plans = new Map<string, IpPlan>();
  for (const unit of announcementUnits(ours)) {
    for (const plan of planUnit(view, unit, byKey, thisNode)) plans.set(plan.ip, plan);
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
