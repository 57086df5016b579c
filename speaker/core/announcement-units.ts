/**
 * The announcement unit: the set of IPs that must be answered from one node. It holds every IP
 * of a Service (both families of a dual-stack Service) and of every Service sharing one of those
 * IPs, transitively: the connected components of the graph whose nodes are IPs and whose edges
 * join the IPs of one Service. Election runs once per unit, so a Service is never announced from
 * two nodes and Services sharing an IP always share their owner.
 *
 * A unit is keyed by its lowest IP, in canonical text (dotted quad, RFC 5952 IPv6), where "lowest"
 * is numeric order with every IPv4 address before every IPv6 address. So a single-stack Service's
 * key is its IP (the owner is the one per-IP election gave before units existed) and a dual-stack
 * Service's key is its IPv4 address, whatever order its ingress lists the families in.
 */
import { formatIp, type Ip, parseIp } from "../../lib/core/ip.js";

/** A Service as the grouping needs it. */
export interface UnitMember {
  /** `namespace/name` */
  readonly key: string;
  /** Any spelling; text that is not an address is ignored. */
  readonly ips: readonly string[];
}

export interface AnnouncementUnit {
  /** The lowest IP of the unit, canonical text: what election hashes. */
  readonly key: string;
  /** Canonical IPs, lowest first. */
  readonly ips: readonly string[];
  /** Keys of the Services using the unit's IPs, sorted. */
  readonly services: readonly string[];
  /** IP -> keys of the Services using it, sorted. */
  readonly servicesOf: ReadonlyMap<string, readonly string[]>;
}

/** Numeric order, every IPv4 address before every IPv6 address. */
export function compareIps(a: Ip, b: Ip): number {
  if (a.family !== b.family) return a.family === "IPv4" ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Union-find over canonical IPs, with path halving. */
class Components {
  private readonly parent = new Map<string, string>();

  add(ip: string): void {
    if (!this.parent.has(ip)) this.parent.set(ip, ip);
  }

  find(ip: string): string {
    let at = ip;
    let up = this.parent.get(at) ?? at;
    while (up !== at) {
      const grand = this.parent.get(up) ?? up;
      this.parent.set(at, grand);
      at = grand;
      up = this.parent.get(at) ?? at;
    }
    return at;
  }

  join(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }

  roots(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const ip of this.parent.keys()) {
      const root = this.find(ip);
      const members = out.get(root);
      if (members) members.push(ip);
      else out.set(root, [ip]);
    }
    return out;
  }
}

/**
 * The units of `services`, lowest key first. A Service without a valid IP belongs to no unit.
 * Input order never changes the answer.
 */
export function announcementUnits(services: readonly UnitMember[]): AnnouncementUnit[] {
  const parsed = new Map<string, Ip>();
  const usersOf = new Map<string, Set<string>>();
  const components = new Components();
  for (const svc of services) {
    let first: string | undefined;
    for (const raw of svc.ips) {
      const ip = parseIp(raw);
      if (!ip) continue;
      const text = formatIp(ip);
      parsed.set(text, ip);
      components.add(text);
      const users = usersOf.get(text) ?? new Set<string>();
      usersOf.set(text, users.add(svc.key));
      if (first === undefined) first = text;
      else components.join(first, text);
    }
  }
  const byIp = (a: string, b: string): number =>
    compareIps(parsed.get(a) as Ip, parsed.get(b) as Ip);
  const units = [...components.roots().values()].map((members): AnnouncementUnit => {
    const ips = members.sort(byIp);
    const servicesOf = new Map(ips.map((ip) => [ip, [...(usersOf.get(ip) ?? [])].sort()]));
    const services = [...new Set([...servicesOf.values()].flat())].sort();
    return { key: ips[0] ?? "", ips, services, servicesOf };
  });
  return units.sort((a, b) => byIp(a.key, b.key));
}
