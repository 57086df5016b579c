/**
 * The chaos test's judge: snapshots of Services and pools in, invariant violations out (pure,
 * unit-tested in chaos-model.test.ts, independent of the allocator it judges).
 * - no IP held by two Services outside a valid sharing group (same key, disjoint ports, same
 *   traffic policy);
 * - every IP inside the pool its Service records (`metallb.io/ip-allocated-from-pool`);
 * - no assigned IP changes unless a pool edit dropped it (then a ClearAssignment event is due);
 * - a Service without an IP has a reason: its requested IP is held by an incompatible Service or
 *   lies outside every pool, or its pool has no free address of a family it needs.
 */
import { parseIp, parseRange, rangeContains, rangeSize, type IpRange } from "../../lib/core/ip.js";

export interface SvcSnapshot {
  readonly uid: string;
  readonly key: string;
  readonly ips: readonly string[];
  /** `metallb.io/ip-allocated-from-pool` */
  readonly pool: string | undefined;
  /** `metallb.io/address-pool` */
  readonly poolRequest: string | undefined;
  readonly requested: readonly string[];
  readonly sharingKey: string | undefined;
  readonly ports: readonly string[]; // "80/TCP"
  readonly local: boolean;
  readonly families: readonly ("IPv4" | "IPv6")[];
}

export interface PoolSnapshot {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly autoAssign: boolean;
}

const rangesOf = (pool: PoolSnapshot): IpRange[] =>
  pool.addresses.flatMap((a) => {
    const r = parseRange(a);
    return r.ok ? [r.value] : [];
  });

export function poolContains(pool: PoolSnapshot | undefined, ip: string): boolean {
  const parsed = parseIp(ip);
  return !!pool && !!parsed && rangesOf(pool).some((r) => rangeContains(r, parsed));
}

/** Two Services may hold one IP: same sharing key, no common port, same traffic policy. */
export function mayShare(a: SvcSnapshot, b: SvcSnapshot): boolean {
  return (
    a.sharingKey !== undefined &&
    a.sharingKey === b.sharingKey &&
    a.local === b.local &&
    !a.ports.some((p) => b.ports.includes(p))
  );
}

export function duplicateViolations(services: readonly SvcSnapshot[]): string[] {
  const holders = new Map<string, SvcSnapshot[]>();
  for (const s of services)
    for (const ip of s.ips) holders.set(ip, [...(holders.get(ip) ?? []), s]);
  const out: string[] = [];
  for (const [ip, list] of holders) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i], list[j]];
        if (a && b && !mayShare(a, b))
          out.push(`${ip} held by ${a.key} and ${b.key}, which may not share`);
      }
    }
  }
  return out;
}

export function outsidePoolViolations(
  services: readonly SvcSnapshot[],
  pools: ReadonlyMap<string, PoolSnapshot>,
): string[] {
  return services.flatMap((s) =>
    s.ips
      .filter((ip) => !poolContains(pools.get(s.pool ?? ""), ip))
      .map((ip) => `${s.key} holds ${ip}, outside its pool ${s.pool ?? "(none recorded)"}`),
  );
}

export interface MoveCheck {
  readonly violations: string[];
  /** Services moved because a pool edit dropped their IP: each owes a ClearAssignment event. */
  readonly demandedMoves: string[];
}

/** `dropped`: IPs a pool edit removed since the last quiet point. */
export function moveViolations(
  before: readonly SvcSnapshot[],
  after: readonly SvcSnapshot[],
  dropped: ReadonlySet<string>,
): MoveCheck {
  const now = new Map(after.map((s) => [s.uid, s]));
  const check: MoveCheck = { violations: [], demandedMoves: [] };
  for (const prev of before) {
    const cur = now.get(prev.uid);
    if (!cur) continue; // deleted
    const lost = prev.ips.filter((ip) => !cur.ips.includes(ip));
    if (lost.length === 0) continue;
    if (lost.every((ip) => dropped.has(ip))) check.demandedMoves.push(cur.key);
    else
      check.violations.push(
        `${cur.key} moved from ${prev.ips.join(",")} to ${cur.ips.join(",") || "nothing"} with no pool edit demanding it`,
      );
  }
  return check;
}

/** Free addresses of `family` in `pool`, given who holds what. */
export function freeIn(
  pool: PoolSnapshot,
  family: "IPv4" | "IPv6",
  services: readonly SvcSnapshot[],
): bigint {
  const ranges = rangesOf(pool).filter((r) => r.family === family);
  const size = ranges.reduce((n, r) => n + rangeSize(r), 0n);
  const used = new Set(
    services
      .flatMap((s) => s.ips)
      .filter((ip) => poolContains(pool, ip) && parseIp(ip)?.family === family),
  );
  return size - BigInt(used.size);
}

function pendingReason(
  s: SvcSnapshot,
  services: readonly SvcSnapshot[],
  pools: readonly PoolSnapshot[],
): string | undefined {
  if (s.requested.length > 0) {
    for (const ip of s.requested) {
      if (!pools.some((p) => poolContains(p, ip))) return `requested ${ip} is in no pool`;
      const holder = services.find((o) => o.uid !== s.uid && o.ips.includes(ip) && !mayShare(o, s));
      if (holder) return `requested ${ip} is held by ${holder.key}`;
    }
    return undefined;
  }
  const candidates = s.poolRequest
    ? pools.filter((p) => p.name === s.poolRequest)
    : pools.filter((p) => p.autoAssign);
  const full = s.families.find((f) => candidates.every((p) => freeIn(p, f, services) <= 0n));
  return full
    ? `no free ${full} address in ${candidates.map((p) => p.name).join(",") || "any pool"}`
    : undefined;
}

/** Services without an IP and without a reason to be without one. */
export function pendingViolations(
  services: readonly SvcSnapshot[],
  pools: readonly PoolSnapshot[],
): string[] {
  return services
    .filter((s) => s.ips.length === 0 && pendingReason(s, services, pools) === undefined)
    .map((s) => `${s.key} has no IP although it could get one`);
}

/** Where a Service's IPs can be announced from, at a quiet point. */
export interface AnnouncementScope {
  /** Nodes the pools' L2Advertisement selects (all of them are up at a quiet point). */
  readonly advertised: ReadonlySet<string>;
  /** Nodes running a ready pod behind the Services (they all select the same pods). */
  readonly endpoints: ReadonlySet<string>;
  /**
   * Services whose EndpointSlices list an endpoint. Speakers only know endpoints from the slices,
   * and kube-controller-manager writes them late for a while after an apiserver restart (up to
   * ~90 s in the lab), so a Service the slices do not show yet need not be answered.
   */
  readonly published: ReadonlySet<string>;
}

/**
 * The IPs some node must answer for: every IP of a Service that has an endpoint (a ready pod, and
 * the slices show it) and, with `externalTrafficPolicy: Local`, an endpoint on an advertised node
 * (else nobody may announce it).
 */
export function mustAnswer(services: readonly SvcSnapshot[], scope: AnnouncementScope): string[] {
  const anyEndpoint = scope.endpoints.size > 0 && scope.advertised.size > 0;
  const localEndpoint = [...scope.endpoints].some((n) => scope.advertised.has(n));
  const ips = services
    .filter((s) => scope.published.has(s.key) && (s.local ? localEndpoint : anyEndpoint))
    .flatMap((s) => s.ips);
  return [...new Set(ips)].sort();
}

/** What the client's neighbour probes found, against "exactly one lab node answers each IP". */
export interface AnswerCheck {
  /** IPs nobody answered (one may still be in its RFC 5227 / DAD-style probe: waited for). */
  readonly silent: string[];
  /** IPs answered by more than one MAC. */
  readonly many: string[];
  /** IPs answered by a MAC that is no lab node's. */
  readonly foreign: string[];
}

/** `answers`: IP -> the MACs that answered an ARP request or Neighbor Solicitation for it. */
export function checkAnswers(
  answers: ReadonlyMap<string, ReadonlySet<string>>,
  nodeMacs: ReadonlySet<string>,
): AnswerCheck {
  const check: AnswerCheck = { silent: [], many: [], foreign: [] };
  for (const [ip, macs] of answers) {
    const list = [...macs].sort().join(" ");
    if (macs.size === 0) check.silent.push(ip);
    if (macs.size > 1) check.many.push(`${ip}: ${list}`);
    if ([...macs].some((m) => !nodeMacs.has(m))) check.foreign.push(`${ip}: ${list}`);
  }
  return check;
}
