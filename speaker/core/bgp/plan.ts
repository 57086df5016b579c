/**
 * BGP mode: what this node announces to which peer. Every eligible node announces (eligibility as
 * in L2, eligibility.ts, without the election): for each Service with endpoints whose pool a
 * BGPAdvertisement selecting this node covers, each IP aggregated to the advertisement's prefix
 * length goes to the advertisement's peers (every peer when it names none) that select this node,
 * with its LOCAL_PREF and communities. Pure.
 */
import type { BgpCommunity, BgpAdvertisementSpec } from "../../../lib/core/bgp-advertisement.js";
import type { BgpConfig } from "../../../lib/core/bgp-config.js";
import { errorsFor, type BgpConfigError, type PeerSpec } from "../../../lib/core/bgp-peer.js";
import { formatIp, type IpFamily, parseIp } from "../../../lib/core/ip.js";
import { advertisesPool, selectsNode } from "../../../lib/core/l2-advertisement.js";
import type { Labels } from "../../../lib/core/label-selector.js";
import type { ClusterView, ServiceView } from "../announcements.js";
import { endpointRule, nodeIneligibility, type NodeReason } from "../eligibility.js";

export interface BgpView extends Omit<ClusterView, "advertisements" | "liveSpeakers"> {
  readonly config: BgpConfig;
  /** Password per Secret name (key `password`); a missing entry: no such Secret. */
  readonly secretPasswords: ReadonlyMap<string, string>;
}

export interface PeerRoute {
  /** Canonical CIDR. */
  readonly prefix: string;
  readonly family: IpFamily;
  readonly localPref: number | undefined;
  /** Sorted, without duplicates. */
  readonly communities: readonly BgpCommunity[];
}

export interface PeerPlan {
  readonly peer: PeerSpec;
  readonly password: string | undefined;
  /** Sorted by family (IPv4 first), then prefix. */
  readonly routes: readonly PeerRoute[];
}

export interface BgpPlan {
  /** The ASN of this node's BGP instance (the first selected peer's myASN). */
  readonly asn: number | undefined;
  readonly routerId: string | undefined;
  /** The peers of this node, sorted by name. */
  readonly peers: readonly PeerPlan[];
  /** Service key -> names of the peers its IPs are announced to (only announced Services). */
  readonly services: ReadonlyMap<string, readonly string[]>;
  /** Services with an IP in a BGP-advertised pool that this node does not announce, and why. */
  readonly notAnnounced: ReadonlyMap<string, NodeReason>;
  /** Peers left out on this node, and conflicting advertisements. */
  readonly errors: readonly BgpConfigError[];
}

const NO_ENDPOINTS = { hasEndpoint: false, nodesWithEndpoint: new Set<string>() };

/** The IP's network at `length` bits, canonical CIDR. */
export function aggregate(ip: string, v4Length: number, v6Length: number): string | undefined {
  const parsed = parseIp(ip);
  if (!parsed) return undefined;
  const bits = parsed.family === "IPv4" ? 32 : 128;
  const length = parsed.family === "IPv4" ? v4Length : v6Length;
  const host = (1n << BigInt(bits - length)) - 1n;
  return `${formatIp({ family: parsed.family, value: parsed.value & ~host })}/${length}`;
}

/** Peers selecting this node that can share one BGP instance (one ASN, one router ID). */
function nodePeers(view: BgpView, labels: Labels, errors: BgpConfigError[]): PeerPlan[] {
  const selected = view.config.peers.filter((p) => selectsNode(p, labels));
  const first = selected[0];
  const plans: PeerPlan[] = [];
  for (const peer of selected) {
    const fail = errorsFor("BGPPeer", peer.name);
    if (first && peer.myASN !== first.myASN) {
      const why = `differs from ${first.myASN} of peer "${first.name}" on this node: one ASN per node`;
      errors.push(fail("BAD_ASN", "spec.myASN", String(peer.myASN), why));
      continue;
    }
    if (peer.routerID !== first?.routerID) {
      const why = `differs from peer "${first?.name ?? ""}" on this node: one router ID per node`;
      errors.push(fail("BAD_ADDRESS", "spec.routerID", peer.routerID ?? "", why));
      continue;
    }
    let password: string | undefined;
    if (peer.password.from === "inline") password = peer.password.value;
    if (peer.password.from === "secret") {
      password = view.secretPasswords.get(peer.password.secret);
      if (password === undefined) {
        const why = `names no Secret with a "password" key in the speaker's namespace`;
        errors.push(fail("BAD_PASSWORD", "spec.passwordSecret.name", peer.password.secret, why));
        continue;
      }
    }
    plans.push({ peer, password, routes: [] });
  }
  return plans;
}

type RouteTable = Map<string, Map<string, PeerRoute & { by: string }>>;
/** What a pass accumulates: routes per peer, and the conflicts found. */
interface Acc {
  readonly table: RouteTable;
  readonly errors: BgpConfigError[];
}

function addRoute({ table, errors }: Acc, peer: string, route: PeerRoute, adv: string) {
  const routes = table.get(peer) ?? new Map<string, PeerRoute & { by: string }>();
  table.set(peer, routes);
  const old = routes.get(route.prefix);
  if (!old) {
    routes.set(route.prefix, { ...route, by: adv });
    return;
  }
  if (old.localPref !== route.localPref && route.localPref !== undefined) {
    if (old.localPref !== undefined) {
      const why = `conflicts with ${old.localPref} of "${old.by}" for ${route.prefix} to peer "${peer}"`;
      errors.push(
        errorsFor("BGPAdvertisement", adv)(
          "BAD_LOCAL_PREF",
          "spec.localPref",
          String(route.localPref),
          why,
        ),
      );
    }
  }
  const communities = new Map(
    [...old.communities, ...route.communities].map((c) => [`${c.kind}:${c.value}`, c]),
  );
  routes.set(route.prefix, {
    ...old,
    localPref: old.localPref ?? route.localPref,
    communities: [...communities.values()],
  });
}

function advertise(
  svc: ServiceView,
  adv: BgpAdvertisementSpec,
  peers: readonly PeerPlan[],
  acc: Acc,
): Set<string> {
  const to = new Set<string>();
  for (const ip of svc.ips) {
    const family = parseIp(ip)?.family;
    const prefix = aggregate(ip, adv.aggregationLength, adv.aggregationLengthV6);
    if (!family || !prefix) continue;
    for (const { peer } of peers) {
      if (adv.peers.length > 0 && !adv.peers.includes(peer.name)) continue;
      if (parseIp(peer.address)?.family !== family && !peer.dualStack) continue;
      const route = { prefix, family, localPref: adv.localPref, communities: adv.communities };
      addRoute(acc, peer.name, route, adv.name);
      to.add(peer.name);
    }
  }
  return to;
}

const prefixValue = (prefix: string): bigint => parseIp(prefix.split("/")[0] ?? "")?.value ?? 0n;

/** IPv4 first, then by network address, then shorter prefix first. */
const compareRoutes = (a: PeerRoute, b: PeerRoute): number => {
  if (a.family !== b.family) return a.family === "IPv4" ? -1 : 1;
  const [va, vb] = [prefixValue(a.prefix), prefixValue(b.prefix)];
  if (va !== vb) return va < vb ? -1 : 1;
  return Number(a.prefix.split("/")[1]) - Number(b.prefix.split("/")[1]);
};

const communityText = (c: BgpCommunity): string => `${c.kind}:${c.value}`;

const sortedCommunities = (cs: readonly BgpCommunity[]): BgpCommunity[] =>
  [...cs].sort((a, b) => (communityText(a) < communityText(b) ? -1 : 1));

function finish(plans: readonly PeerPlan[], table: RouteTable): PeerPlan[] {
  return plans.map((p) => ({
    ...p,
    routes: [...(table.get(p.peer.name)?.values() ?? [])]
      .map((r) => ({
        prefix: r.prefix,
        family: r.family,
        localPref: r.localPref,
        communities: sortedCommunities(r.communities),
      }))
      .sort(compareRoutes),
  }));
}

/** The advertisements covering the Service's pool (undefined: not announced over BGP at all). */
function advertisementsOf(view: BgpView, svc: ServiceView): BgpAdvertisementSpec[] | undefined {
  const pool = svc.pool;
  const labels = pool === undefined ? undefined : view.poolLabels.get(pool);
  if (pool === undefined || labels === undefined) return undefined;
  const advs = view.config.advertisements.filter((a) => advertisesPool(a, pool, labels));
  return advs.length > 0 ? advs : undefined;
}

/** Why this node may not announce the Service (eligibility.ts), given the selecting ads. */
function ineligibility(view: BgpView, svc: ServiceView, thisNode: string, selected: boolean) {
  const endpoints = endpointRule([
    { trafficPolicy: svc.trafficPolicy, ...(view.endpoints.get(svc.key) ?? NO_ENDPOINTS) },
  ]);
  const input = { live: true, facts: view.nodes.get(thisNode), selected };
  return nodeIneligibility(thisNode, input, endpoints);
}

/** This node's BGP plan. */
export function planBgp(view: BgpView, thisNode: string): BgpPlan {
  const errors: BgpConfigError[] = [];
  const labels = view.nodes.get(thisNode)?.labels ?? {};
  const peers = nodePeers(view, labels, errors);
  const acc: Acc = { table: new Map(), errors };
  const services = new Map<string, readonly string[]>();
  const notAnnounced = new Map<string, NodeReason>();
  for (const svc of view.services) {
    const advs = advertisementsOf(view, svc);
    if (!advs) continue;
    const selecting = advs.filter((a) => selectsNode(a, labels));
    const reason = ineligibility(view, svc, thisNode, selecting.length > 0);
    if (reason !== undefined) {
      notAnnounced.set(svc.key, reason);
      continue;
    }
    const to = new Set<string>();
    for (const adv of selecting) for (const p of advertise(svc, adv, peers, acc)) to.add(p);
    if (to.size > 0) services.set(svc.key, [...to].sort());
  }
  const first = peers[0]?.peer;
  return {
    asn: first?.myASN,
    routerId: first?.routerID,
    peers: finish(peers, acc.table),
    services,
    notAnnounced,
    errors,
  };
}
