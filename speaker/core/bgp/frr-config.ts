/**
 * This node's BGP plan as one FRR configuration file (FRR 8.x syntax, applied whole with
 * frr-reload.py). Every line is written as FRR 8.4 prints it in `show running-config`
 * (`neighbor X bfd` beside its profile, `ebgp-multihop 255`, well-known communities by name and
 * in FRR's order, no BFD value equal to FRR's default): frr-reload.py deletes every running line
 * the file lacks and adds every file line it does not find, so a line in another spelling is
 * removed and re-added on each reload, and `no neighbor X bfd` or a multihop change resets the
 * peer's BFD and BGP sessions. One `router bgp` in the default VRF; each neighbor with its
 * timers, port, password, multihop, source, BFD profile and graceful restart (`neighbor X
 * graceful-restart`, plus `bgp graceful-restart preserve-fw-state` once, as MetalLB's FRR mode;
 * never `bfd check-control-plane-failure`: docs/bgp.md "Graceful restart"), activated in its own
 * address family (both with `dualStackAddressFamily`); a `network` statement per announced
 * prefix; what goes to each peer chosen by an outbound route-map over prefix-lists, one entry
 * per set of attributes (LOCAL_PREF, communities); nothing learned from peers. Pure: plan in,
 * text out.
 */
import type { BfdProfileSpec, BgpCommunity } from "../../../lib/core/bgp-advertisement.js";
import type { IpFamily } from "../../../lib/core/ip.js";
import { parseIp } from "../../../lib/core/ip.js";
import type { BgpPlan, PeerPlan, PeerRoute } from "./plan.js";

export interface FrrInput {
  readonly node: string;
  readonly plan: BgpPlan;
  /** The router ID when no peer sets one: the node's IPv4 address. */
  readonly nodeIp: string | undefined;
  readonly bfdProfiles: ReadonlyMap<string, BfdProfileSpec>;
}

export const DENY_ALL_IN = "ironlb-deny-in";
const outMap = (peer: string): string => `ironlb-${peer}-out`;
const AF = { IPv4: "ipv4", IPv6: "ipv6" } as const;
const PREFIX_LIST = { IPv4: "ip", IPv6: "ipv6" } as const;

const familyOf = (address: string): IpFamily => parseIp(address)?.family ?? "IPv4";

/** The families a peer's session carries. */
function familiesOf(p: PeerPlan): IpFamily[] {
  const own = familyOf(p.peer.address);
  if (!p.peer.dualStack) return [own];
  return ["IPv4", "IPv6"];
}

function neighbor(p: PeerPlan): string[] {
  const { peer } = p;
  const n = ` neighbor ${peer.address}`;
  const lines = [`${n} remote-as ${peer.peerASN}`];
  if (peer.port !== 179) lines.push(`${n} port ${peer.port}`);
  lines.push(`${n} timers ${peer.keepaliveTime} ${peer.holdTime}`);
  if (peer.connectTime !== undefined) lines.push(`${n} timers connect ${peer.connectTime}`);
  if (p.password !== undefined) lines.push(`${n} password ${p.password}`);
  if (peer.ebgpMultiHop) lines.push(`${n} ebgp-multihop 255`);
  if (peer.sourceAddress !== undefined) lines.push(`${n} update-source ${peer.sourceAddress}`);
  if (peer.bfdProfile !== undefined) lines.push(`${n} bfd`, `${n} bfd profile ${peer.bfdProfile}`);
  if (peer.gracefulRestart) lines.push(`${n} graceful-restart`);
  return lines;
}

function addressFamily(plan: BgpPlan, family: IpFamily): string[] {
  const peers = plan.peers.filter((p) => familiesOf(p).includes(family));
  const prefixes = new Set(
    plan.peers.flatMap((p) => p.routes.filter((r) => r.family === family).map((r) => r.prefix)),
  );
  if (peers.length === 0) return [];
  const lines = [` address-family ${AF[family]} unicast`];
  for (const prefix of prefixes) lines.push(`  network ${prefix}`);
  for (const { peer } of peers) {
    lines.push(`  neighbor ${peer.address} activate`);
    lines.push(`  neighbor ${peer.address} route-map ${DENY_ALL_IN} in`);
    lines.push(`  neighbor ${peer.address} route-map ${outMap(peer.name)} out`);
  }
  lines.push(" exit-address-family");
  return lines;
}

/** FRR's names of the well-known standard communities (RFC 1997, 7999, 8326, 8642, IANA). */
const WELL_KNOWN = new Map<number, string>([
  [0, "internet"],
  [0xffff0000, "graceful-shutdown"],
  [0xffff0001, "accept-own"],
  [0xffff0002, "route-filter-translated-v4"],
  [0xffff0003, "route-filter-v4"],
  [0xffff0004, "route-filter-translated-v6"],
  [0xffff0005, "route-filter-v6"],
  [0xffff0006, "llgr-stale"],
  [0xffff0007, "no-llgr"],
  [0xffff0008, "accept-own-nexthop"],
  [0xffff029a, "blackhole"],
  [0xffffff01, "no-export"],
  [0xffffff02, "no-advertise"],
  [0xffffff03, "local-AS"],
  [0xffffff04, "no-peer"],
]);

/** Standard communities as FRR prints them: by 32-bit value, well-known ones by name. */
function standardCommunities(values: readonly string[]): string[] {
  const numeric = values.map((v) => {
    const [high = 0, low = 0] = v.split(":").map(Number);
    return high * 65536 + low;
  });
  return [...new Set(numeric)]
    .sort((a, b) => a - b)
    .map((n) => WELL_KNOWN.get(n) ?? `${Math.floor(n / 65536)}:${n % 65536}`);
}

const attributeKey = (r: PeerRoute): string =>
  JSON.stringify([r.localPref ?? null, r.communities.map((c) => `${c.kind}:${c.value}`)]);

function setLines(localPref: number | undefined, communities: readonly BgpCommunity[]): string[] {
  const lines: string[] = [];
  if (localPref !== undefined) lines.push(` set local-preference ${localPref}`);
  const standard = standardCommunities(
    communities.filter((c) => c.kind === "standard").map((c) => c.value),
  );
  const large = communities.filter((c) => c.kind === "large").map((c) => c.value);
  if (standard.length > 0) lines.push(` set community ${standard.join(" ")} additive`);
  if (large.length > 0) lines.push(` set large-community ${large.join(" ")} additive`);
  return lines;
}

/** Prefix-lists and the outbound route-map of one peer: one group per set of attributes. */
function outboundPolicy(p: PeerPlan): { lists: string[]; map: string[] } {
  const groups = new Map<string, PeerRoute[]>();
  for (const r of p.routes)
    groups.set(attributeKey(r), [...(groups.get(attributeKey(r)) ?? []), r]);
  const lists: string[] = [];
  const map: string[] = [];
  let group = 0;
  let seq = 0;
  for (const routes of groups.values()) {
    group += 1;
    for (const family of ["IPv4", "IPv6"] as const) {
      const mine = routes.filter((r) => r.family === family);
      if (mine.length === 0) continue;
      const list = `ironlb-${p.peer.name}-${group}-${AF[family]}`;
      for (const [i, r] of mine.entries())
        lists.push(
          `${PREFIX_LIST[family]} prefix-list ${list} seq ${(i + 1) * 5} permit ${r.prefix}`,
        );
      seq += 10;
      const first = mine[0] as PeerRoute;
      map.push(`route-map ${outMap(p.peer.name)} permit ${seq}`);
      map.push(` match ${PREFIX_LIST[family]} address prefix-list ${list}`);
      map.push(...setLines(first.localPref, first.communities), "exit", "!");
    }
  }
  // Always defined, so a peer with nothing to announce gets nothing (and not everything).
  map.push(`route-map ${outMap(p.peer.name)} deny 65535`, "exit", "!");
  return { lists, map };
}

/** FRR's BFD defaults: a profile line with this value is not printed by FRR, so not written. */
const BFD_DEFAULT = {
  detectMultiplier: 3,
  receiveInterval: 300,
  transmitInterval: 300,
  echoInterval: 50,
  minimumTtl: 254,
} as const;

function bfdProfile(p: BfdProfileSpec): string[] {
  const set = (v: number | undefined, key: keyof typeof BFD_DEFAULT): v is number =>
    v !== undefined && v !== BFD_DEFAULT[key];
  const lines = [` profile ${p.name}`];
  if (set(p.detectMultiplier, "detectMultiplier"))
    lines.push(`  detect-multiplier ${p.detectMultiplier}`);
  if (set(p.receiveInterval, "receiveInterval"))
    lines.push(`  receive-interval ${p.receiveInterval}`);
  if (set(p.transmitInterval, "transmitInterval"))
    lines.push(`  transmit-interval ${p.transmitInterval}`);
  if (p.echoMode) lines.push("  echo-mode");
  if (set(p.echoInterval, "echoInterval")) {
    lines.push(`  echo transmit-interval ${p.echoInterval}`);
    lines.push(`  echo receive-interval ${p.echoInterval}`);
  }
  if (p.passiveMode) lines.push("  passive-mode");
  if (set(p.minimumTtl, "minimumTtl")) lines.push(`  minimum-ttl ${p.minimumTtl}`);
  lines.push(" exit", " !");
  return lines;
}

function bfd(input: FrrInput): string[] {
  const used = [...new Set(input.plan.peers.flatMap((p) => p.peer.bfdProfile ?? []))].sort();
  const profiles = used.flatMap((name) => input.bfdProfiles.get(name) ?? []);
  if (profiles.length === 0) return [];
  const lines = ["bfd", ...profiles.flatMap(bfdProfile)];
  lines.push("exit", "!");
  return lines;
}

/** The whole file. With no peer on this node, no `router bgp` at all. */
export function renderFrrConfig(input: FrrInput): string {
  const { plan } = input;
  const lines = [
    `! Written by the IronLB speaker of node ${input.node}; changes made here are overwritten.`,
    "frr defaults traditional",
    "!",
  ];
  if (plan.asn !== undefined && plan.peers.length > 0) {
    const policies = plan.peers.map(outboundPolicy);
    lines.push(...policies.flatMap((p) => p.lists));
    if (policies.some((p) => p.lists.length > 0)) lines.push("!");
    lines.push(`route-map ${DENY_ALL_IN} deny 10`, "exit", "!");
    lines.push(...policies.flatMap((p) => p.map));
    lines.push(`router bgp ${plan.asn}`);
    const routerId = plan.routerId ?? input.nodeIp;
    if (routerId !== undefined) lines.push(` bgp router-id ${routerId}`);
    lines.push(" no bgp default ipv4-unicast");
    // The forwarding state (kube-proxy's rules) outlives FRR: a peer may keep our routes until
    // FRR is back (the F bit of RFC 4724). Only with a graceful-restart peer, as it means nothing
    // to the others.
    if (plan.peers.some((p) => p.peer.gracefulRestart))
      lines.push(" bgp graceful-restart preserve-fw-state");
    lines.push(" no bgp network import-check");
    lines.push(...plan.peers.flatMap(neighbor));
    lines.push(...addressFamily(plan, "IPv4"), ...addressFamily(plan, "IPv6"), "exit", "!");
  }
  lines.push(...bfd(input));
  return `${lines.join("\n")}\n`;
}
