/**
 * What the speaker's caches keep of each object, made on arrival (the reflectors' `slim`): only
 * the fields election, eligibility, status sync and the announcer read. With 5,000 Services a
 * whole Service (managedFields, kubectl's last-applied copy, ports, selectors) and a whole
 * EndpointSlice (one entry per pod, with addresses, targetRef, zone, hints) are most of the
 * speaker's heap; these records are a few hundred bytes. A slice keeps one endpoint per distinct
 * (node, ready, serving), which is all that cluster-view.ts counts.
 */
import type {
  V1Endpoint,
  V1EndpointSlice,
  V1Node,
  V1ObjectMeta,
  V1Service,
} from "@kubernetes/client-node";
import {
  ALLOCATED_FROM_POOL,
  type IPAddressPool,
  type L2Advertisement,
  type ServiceL2Status,
} from "../../lib/api/metallb.js";
import { isReady, isServing } from "../../lib/core/endpoints.js";
import { L2_STATUS_LABELS } from "./speaker-status.js";

type Labels = Record<string, string>;
const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const NO_ADDRESSES: string[] = [];

/** The named entries of `from` that are set, or undefined when none is. */
function pick(
  from: Record<string, string> | undefined,
  keys: readonly string[],
): Record<string, string> | undefined {
  if (!from) return undefined;
  const kept = keys.flatMap((k) => (from[k] === undefined ? [] : [[k, from[k]] as const]));
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/** Identity only: name, namespace, uid, resourceVersion (the reflector compares it on re-list). */
function identity(
  meta: V1ObjectMeta | undefined,
  extra: { labels?: Labels | undefined; annotations?: Labels | undefined } = {},
): V1ObjectMeta {
  const kept: V1ObjectMeta = {};
  if (meta?.name !== undefined) kept.name = meta.name;
  if (meta?.namespace !== undefined) kept.namespace = meta.namespace;
  if (meta?.uid !== undefined) kept.uid = meta.uid;
  if (meta?.resourceVersion !== undefined) kept.resourceVersion = meta.resourceVersion;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) Object.assign(kept, { [k]: v });
  return kept;
}

/** Any Service: its key (status sync drops records of deleted ones); a LoadBalancer: its IPs too. */
export function slimService(svc: V1Service): V1Service {
  const annotations = pick(svc.metadata?.annotations, [ALLOCATED_FROM_POOL]);
  const metadata = identity(svc.metadata, { annotations });
  if (svc.spec?.type !== "LoadBalancer") return { metadata };
  const ingress = (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) =>
    i.ip ? [{ ip: i.ip }] : [],
  );
  const spec: V1Service["spec"] = { type: "LoadBalancer" };
  if (svc.spec.externalTrafficPolicy !== undefined) {
    spec.externalTrafficPolicy = svc.spec.externalTrafficPolicy;
  }
  return { metadata, spec, status: { loadBalancer: { ingress } } };
}

export function slimEndpointSlice(slice: V1EndpointSlice): V1EndpointSlice {
  const labels = pick(slice.metadata?.labels, [SERVICE_NAME_LABEL]);
  const seen = new Map<string, V1Endpoint>();
  for (const ep of slice.endpoints ?? []) {
    const ready = isReady(ep.conditions);
    const serving = isServing(ep.conditions);
    const key = `${ep.nodeName ?? ""}/${ready}/${serving}`;
    if (seen.has(key)) continue;
    const kept: V1Endpoint = { addresses: NO_ADDRESSES, conditions: { ready, serving } };
    if (ep.nodeName !== undefined) kept.nodeName = ep.nodeName;
    seen.set(key, kept);
  }
  return {
    addressType: slice.addressType,
    metadata: identity(slice.metadata, { labels }),
    endpoints: [...seen.values()],
  };
}

export function slimNode(node: V1Node): V1Node {
  const metadata = identity(node.metadata, { labels: node.metadata?.labels });
  const conditions = (node.status?.conditions ?? [])
    .filter((c) => c.type === "NetworkUnavailable")
    .map((c) => ({ type: c.type, status: c.status }));
  // InternalIPs: the BGP side's router ID and session source.
  const addresses = (node.status?.addresses ?? [])
    .filter((a) => a.type === "InternalIP")
    .map((a) => ({ type: a.type, address: a.address }));
  return { metadata, status: { conditions, addresses } };
}

export function slimL2Status(obj: ServiceL2Status): ServiceL2Status {
  const labels = pick(obj.metadata?.labels, Object.values(L2_STATUS_LABELS));
  const slim: ServiceL2Status = { metadata: identity(obj.metadata, { labels }) };
  if (obj.status) slim.status = obj.status; // node, service and interfaces: small
  return slim;
}

/** Pools: name and labels (advertisements select pools by label). */
export function slimPool(pool: IPAddressPool): IPAddressPool {
  return { metadata: identity(pool.metadata, { labels: pool.metadata?.labels }) };
}

/** Advertisements: without managedFields and annotations (their spec is what election reads). */
export function slimAdvertisement(adv: L2Advertisement): L2Advertisement {
  return { ...adv, metadata: identity(adv.metadata, { labels: adv.metadata?.labels }) };
}
