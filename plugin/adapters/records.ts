/** API objects to the slim records the plugin's core reads (plugin/core/model.ts). */
import type {
  CoreV1Event,
  V1EndpointSlice,
  V1Lease,
  V1Node,
  V1Service,
} from "@kubernetes/client-node";
import {
  ALLOCATED_FROM_POOL,
  IP_ALLOCATED_CONDITION,
  type IPAddressPool,
  type ServiceL2Status,
} from "../../lib/api/metallb.js";
import type {
  EndpointRecord,
  EventRecord,
  L2StatusRecord,
  NodeRecord,
  PoolRecord,
  ServiceRecord,
  SpeakerLeaseRecord,
} from "../core/model.js";
import { DURATION_ANNOTATION, LEASE_PREFIX } from "../../lib/api/speaker-lease.js";
import { usableEndpoints } from "../../lib/core/endpoints.js";

/** Written by the speaker's Lease keeper (speaker/adapters/lease-keeper.ts). */
const ADDRESS_POOL = ["metallb.io/address-pool", "metallb.universe.tf/address-pool"];
const L2_LABELS = { name: "metallb.io/service-name", namespace: "metallb.io/service-namespace" };

/** ms since the epoch of a Date or an RFC 3339 string; undefined otherwise. */
export function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function usageOf(s: IPAddressPool["status"]): PoolRecord["usage"] {
  if (typeof s?.assignedIPv4 !== "number") return undefined;
  const n = (x: number | undefined): number => (typeof x === "number" ? x : 0);
  return {
    IPv4: { used: s.assignedIPv4, free: n(s.availableIPv4) },
    IPv6: { used: n(s.assignedIPv6), free: n(s.availableIPv6) },
  };
}

export function poolRecord(pool: IPAddressPool): PoolRecord {
  const s = pool.status;
  const usage = usageOf(s);
  return {
    name: pool.metadata?.name ?? "",
    addresses: pool.spec?.addresses ?? [],
    autoAssign: pool.spec?.autoAssign ?? true,
    labels: pool.metadata?.labels ?? {},
    usage,
    problems: (s?.conditions ?? [])
      .filter((c) => c.status === "False")
      .map((c) => `${c.type}: ${c.message}`),
  };
}

function conditionOf(svc: V1Service): ServiceRecord["condition"] {
  const c = svc.status?.conditions?.find((x) => x.type === IP_ALLOCATED_CONDITION);
  return c && { status: c.status, reason: c.reason, message: c.message };
}

export function serviceRecord(svc: V1Service): ServiceRecord {
  const { metadata = {}, spec = {} } = svc;
  const annotations = metadata.annotations ?? {};
  return {
    namespace: metadata.namespace ?? "",
    name: metadata.name ?? "",
    type: spec.type ?? "ClusterIP",
    loadBalancerClass: spec.loadBalancerClass,
    ips: (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
    pool: annotations[ALLOCATED_FROM_POOL],
    requestedPool: ADDRESS_POOL.map((k) => annotations[k]).find((v) => v !== undefined && v !== ""),
    trafficPolicy: spec.externalTrafficPolicy === "Local" ? "Local" : "Cluster",
    condition: conditionOf(svc),
  };
}

export function l2StatusRecord(obj: ServiceL2Status): L2StatusRecord | undefined {
  const labels = obj.metadata?.labels ?? {};
  const namespace = obj.status?.serviceNamespace ?? labels[L2_LABELS.namespace];
  const name = obj.status?.serviceName ?? labels[L2_LABELS.name];
  if (!namespace || !name) return undefined;
  return {
    service: `${namespace}/${name}`,
    node: obj.status?.node,
    interfaces: (obj.status?.interfaces ?? []).map((i) => i.name),
  };
}

export function speakerLeaseRecord(lease: V1Lease): SpeakerLeaseRecord | undefined {
  const name = lease.metadata?.name ?? "";
  if (!name.startsWith(LEASE_PREFIX)) return undefined;
  const annotated = Number(lease.metadata?.annotations?.[DURATION_ANNOTATION]);
  const seconds = lease.spec?.leaseDurationSeconds ?? 15;
  return {
    node: lease.spec?.holderIdentity ?? name.slice(LEASE_PREFIX.length),
    renewedAt: timeOf(lease.spec?.renewTime),
    durationMs: annotated > 0 ? annotated : seconds * 1000,
  };
}

export const nodeRecord = (node: V1Node): NodeRecord => ({
  name: node.metadata?.name ?? "",
  labels: node.metadata?.labels ?? {},
  networkUnavailable:
    node.status?.conditions?.some((c) => c.type === "NetworkUnavailable" && c.status === "True") ??
    false,
});

/**
 * Endpoints as the speaker counts them (lib/core/endpoints.ts): when the Service has no ready
 * endpoint, its serving ones count as ready here.
 */
export function endpointRecords(slices: readonly V1EndpointSlice[]): EndpointRecord[] {
  const all = slices.flatMap((s) => s.endpoints ?? []);
  const usable = new Set(usableEndpoints(all));
  return all.map((e) => ({ ready: usable.has(e), node: e.nodeName }));
}

export const eventRecord = (e: CoreV1Event): EventRecord => ({
  type: e.type ?? "Normal",
  reason: e.reason ?? "",
  message: e.message ?? "",
  count: e.count ?? e.series?.count ?? 1,
  lastSeen:
    timeOf(e.lastTimestamp) ??
    timeOf(e.series?.lastObservedTime) ??
    timeOf(e.eventTime) ??
    timeOf(e.firstTimestamp) ??
    timeOf(e.metadata.creationTimestamp),
});
