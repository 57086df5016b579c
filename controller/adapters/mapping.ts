/** Maps Kubernetes objects into the controller core's plain shapes. */
import type { V1Namespace, V1Service } from "@kubernetes/client-node";
import {
  ALLOCATED_FROM_POOL,
  IP_ALLOCATED_CONDITION,
  type IPAddressPool,
} from "../../lib/api/metallb.js";
import type { NamespaceInfo, PoolSpec } from "../core/pool-set.js";
import type { ServiceInfo } from "../core/service-request.js";
import type { ServiceShown } from "../core/service-outcome.js";
import type { ServiceView } from "../core/cluster-writer.js";

export function toServiceInfo(svc: V1Service): ServiceInfo {
  const spec = svc.spec ?? {};
  return {
    namespace: svc.metadata?.namespace ?? "",
    name: svc.metadata?.name ?? "",
    uid: svc.metadata?.uid,
    annotations: svc.metadata?.annotations ?? {},
    labels: svc.metadata?.labels ?? {},
    type: spec.type ?? "ClusterIP",
    loadBalancerClass: spec.loadBalancerClass,
    loadBalancerIP: spec.loadBalancerIP,
    ipFamilies: spec.ipFamilies ?? [],
    ipFamilyPolicy: spec.ipFamilyPolicy,
    ports: (spec.ports ?? []).map((p) => ({ protocol: p.protocol, port: p.port })),
    externalTrafficPolicy: spec.externalTrafficPolicy,
    selector: spec.selector ?? {},
  };
}

export function shownOf(svc: V1Service): ServiceShown {
  const condition = svc.status?.conditions?.find((c) => c.type === IP_ALLOCATED_CONDITION);
  return {
    ingress: (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
    pool: svc.metadata?.annotations?.[ALLOCATED_FROM_POOL],
    condition: condition && {
      status: condition.status === "True" ? "True" : "False",
      reason: condition.reason,
      message: condition.message,
    },
  };
}

/** RFC 3339 text whether the client handed a string or a Date. */
const timestampOf = (t: Date | string | undefined): string | undefined =>
  t === undefined
    ? undefined
    : typeof t === "string"
      ? t
      : t.toISOString().replace(/\.\d{3}Z$/, "Z");

export const toPoolSpec = (pool: IPAddressPool): PoolSpec => ({
  name: pool.metadata?.name ?? "",
  createdAt: timestampOf(pool.metadata?.creationTimestamp),
  addresses: pool.spec?.addresses ?? [],
  autoAssign: pool.spec?.autoAssign,
  avoidBuggyIPs: pool.spec?.avoidBuggyIPs,
  serviceAllocation: pool.spec?.serviceAllocation,
});

export const toNamespaceInfo = (ns: V1Namespace): NamespaceInfo => ({
  name: ns.metadata?.name ?? "",
  labels: ns.metadata?.labels ?? {},
});

export const toServiceView = (svc: V1Service): ServiceView => ({
  ref: {
    namespace: svc.metadata?.namespace ?? "",
    name: svc.metadata?.name ?? "",
    uid: svc.metadata?.uid,
  },
  info: toServiceInfo(svc),
  shown: shownOf(svc),
  conditions: svc.status?.conditions ?? [],
  generation: svc.metadata?.generation,
});

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * The Service as the controller caches it: without `managedFields` and kubectl's copy of the
 * last applied spec, which the controller never reads and which are most of a Service's size.
 */
export function slimService(svc: V1Service): V1Service {
  const metadata = { ...svc.metadata };
  delete metadata.managedFields;
  if (metadata.annotations?.[LAST_APPLIED] !== undefined) {
    const annotations = { ...metadata.annotations };
    delete annotations[LAST_APPLIED];
    metadata.annotations = annotations;
  }
  return { ...svc, metadata };
}
