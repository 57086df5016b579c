/**
 * What `kubectl ironlb` reads from the cluster, as slim records made by the adapter: the core
 * never sees API objects, so it is tested with plain literals.
 */
import type { L2AdvertisementSpec } from "../../lib/core/l2-advertisement.js";
import type { Labels } from "../../lib/core/label-selector.js";

export type Family = "IPv4" | "IPv6";

export interface FamilyCount {
  readonly used: number;
  readonly free: number;
}

export interface PoolRecord {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly autoAssign: boolean;
  readonly labels: Labels;
  /** From `status` (assignedIPv4/availableIPv4, ...); undefined before the controller wrote it. */
  readonly usage: Readonly<Record<Family, FamilyCount>> | undefined;
  /** `status.conditions` that are False (`Valid`, `Advertised`), as "type: message". */
  readonly problems: readonly string[];
}

export interface ConditionRecord {
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

export type TrafficPolicy = "Cluster" | "Local";

export interface ServiceRecord {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly loadBalancerClass: string | undefined;
  /** `status.loadBalancer.ingress[].ip`. */
  readonly ips: readonly string[];
  /** Annotation `metallb.io/ip-allocated-from-pool`. */
  readonly pool: string | undefined;
  /** Annotation `metallb.io/address-pool` (or its older spelling): the pool asked for. */
  readonly requestedPool: string | undefined;
  readonly trafficPolicy: TrafficPolicy;
  /** The `ironlb.io/IPAllocated` condition, when the controller wrote one. */
  readonly condition: ConditionRecord | undefined;
}

/** A ServiceL2Status: who announces the Service, on which interfaces. */
export interface L2StatusRecord {
  /** `namespace/name` of the Service. */
  readonly service: string;
  readonly node: string | undefined;
  readonly interfaces: readonly string[];
}

/** A speaker Lease `speaker-<node>`. */
export interface SpeakerLeaseRecord {
  readonly node: string;
  /** `spec.renewTime` in ms since the epoch; undefined when missing or unreadable. */
  readonly renewedAt: number | undefined;
  readonly durationMs: number;
}

export interface NodeRecord {
  readonly name: string;
  readonly labels: Labels;
  readonly networkUnavailable: boolean;
}

/** One endpoint of a Service's EndpointSlices. */
export interface EndpointRecord {
  readonly ready: boolean;
  readonly node: string | undefined;
}

export interface EventRecord {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  /** ms since the epoch. */
  readonly lastSeen: number | undefined;
}

/** The cluster-wide view `status`, `pools` and `explain` share. */
export interface ClusterSnapshot {
  /** The controller's namespace, where the MetalLB objects live. */
  readonly namespace: string;
  /** When the snapshot was taken (the client's clock), ms since the epoch. */
  readonly now: number;
  readonly pools: readonly PoolRecord[];
  readonly advertisements: readonly L2AdvertisementSpec[];
  readonly services: readonly ServiceRecord[];
  readonly l2Statuses: readonly L2StatusRecord[];
  readonly leases: readonly SpeakerLeaseRecord[];
  readonly nodes: readonly NodeRecord[];
}

export const serviceKey = (s: { namespace: string; name: string }): string =>
  `${s.namespace}/${s.name}`;
