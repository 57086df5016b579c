/**
 * What `kubectl ironlb status` and `pools` report: pool usage per family, the LoadBalancer
 * Services with their IPs, pool and announcer, and whether each speaker is alive. Pure.
 */
import type {
  ClusterSnapshot,
  FamilyCount,
  PoolRecord,
  SpeakerLeaseRecord,
  ServiceRecord,
} from "./model.js";
import { serviceKey } from "./model.js";

export interface SpeakerState {
  readonly node: string;
  /** The Lease was renewed less than its duration ago (on the client's clock). */
  readonly live: boolean;
  readonly renewedAgoMs: number | undefined;
}

export interface PoolUsage {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly autoAssign: boolean;
  readonly IPv4: FamilyCount | undefined;
  readonly IPv6: FamilyCount | undefined;
  readonly problems: readonly string[];
}

export interface ServiceRow {
  readonly namespace: string;
  readonly name: string;
  readonly ips: readonly string[];
  readonly pool: string | undefined;
  /** Nodes whose speaker reports announcing it (ServiceL2Status). */
  readonly nodes: readonly string[];
  readonly interfaces: readonly string[];
  /** Why it has no IP (`PoolExhausted`, `OtherClass`, `NotSeen`, ...); "" when it has one. */
  readonly pending: string;
}

export interface StatusReport {
  readonly pools: readonly PoolUsage[];
  readonly services: readonly ServiceRow[];
  readonly speakers: readonly SpeakerState[];
}

/** A speaker is live while now < renewTime + duration (the Lease's own rule). */
export function speakerStates(leases: readonly SpeakerLeaseRecord[], now: number): SpeakerState[] {
  return [...leases]
    .sort((a, b) => a.node.localeCompare(b.node))
    .map((l) => ({
      node: l.node,
      live: l.renewedAt !== undefined && now < l.renewedAt + l.durationMs,
      renewedAgoMs: l.renewedAt === undefined ? undefined : now - l.renewedAt,
    }));
}

/** A family only counts when the pool has addresses of it. */
const family = (c: FamilyCount | undefined): FamilyCount | undefined =>
  c && c.used + c.free > 0 ? c : undefined;

export function poolUsage(pool: PoolRecord): PoolUsage {
  return {
    name: pool.name,
    addresses: pool.addresses,
    autoAssign: pool.autoAssign,
    IPv4: family(pool.usage?.IPv4),
    IPv6: family(pool.usage?.IPv6),
    problems: pool.problems,
  };
}

/** Why a Service shows no IP, in one word: the condition's reason, `OtherClass` or `NotSeen`. */
function pendingReason(svc: ServiceRecord, lbClass: string): string {
  if (svc.ips.length > 0) return "";
  if ((svc.loadBalancerClass ?? "") !== lbClass) return "OtherClass";
  return svc.condition?.reason ?? "NotSeen";
}

function serviceRow(svc: ServiceRecord, snapshot: ClusterSnapshot, lbClass: string): ServiceRow {
  const key = serviceKey(svc);
  const statuses = snapshot.l2Statuses.filter((s) => s.service === key);
  const pending = pendingReason(svc, lbClass);
  return {
    namespace: svc.namespace,
    name: svc.name,
    ips: svc.ips,
    pool: svc.pool,
    nodes: statuses.flatMap((s) => (s.node === undefined ? [] : [s.node])),
    interfaces: [...new Set(statuses.flatMap((s) => s.interfaces))],
    pending,
  };
}

/** `lbClass`: the controller's `--lb-class`, to tell Services of another controller apart. */
export function statusReport(snapshot: ClusterSnapshot, lbClass: string): StatusReport {
  const services = snapshot.services
    .filter((s) => s.type === "LoadBalancer")
    .map((s) => serviceRow(s, snapshot, lbClass))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return {
    pools: [...snapshot.pools].sort((a, b) => a.name.localeCompare(b.name)).map(poolUsage),
    services,
    speakers: speakerStates(snapshot.leases, snapshot.now),
  };
}
