/** Builds the speaker core's ClusterView from the objects its reflectors hold. */
import type { V1Endpoint, V1EndpointSlice, V1Node, V1Service } from "@kubernetes/client-node";
import {
  ALLOCATED_FROM_POOL,
  type IPAddressPool,
  type L2Advertisement,
  toL2AdvertisementSpec,
} from "../../lib/api/metallb.js";
import type { Labels } from "../../lib/core/label-selector.js";
import type { ClusterView, EndpointView, NodeView, ServiceView } from "../core/announcements.js";
import { isReady, isServing } from "../../lib/core/endpoints.js";

export const EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";
const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export function serviceView(svc: V1Service): ServiceView | undefined {
  if (svc.spec?.type !== "LoadBalancer") return undefined;
  const ips = (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
  if (ips.length === 0) return undefined;
  return {
    key: `${svc.metadata?.namespace}/${svc.metadata?.name}`,
    ips,
    pool: svc.metadata?.annotations?.[ALLOCATED_FROM_POOL],
    trafficPolicy: svc.spec.externalTrafficPolicy === "Local" ? "Local" : "Cluster",
  };
}

interface EndpointTally {
  /** Nodes with a ready endpoint; "" stands for endpoints that name no node. */
  readonly ready: Set<string>;
  /** The same for serving endpoints (ready or not: terminating pods that still serve). */
  readonly serving: Set<string>;
}

const facts = (nodes: ReadonlySet<string>): EndpointView => ({
  hasEndpoint: nodes.size > 0,
  nodesWithEndpoint: new Set([...nodes].filter((n) => n !== "")),
});

/**
 * Endpoints per Service, merged over all its EndpointSlices, counted as lib/core/endpoints.ts
 * says (ready, else serving), so an announcement survives a rollout or a drain of its last pods.
 */
export function endpointViews(slices: readonly V1EndpointSlice[]): Map<string, EndpointView> {
  const tallies = new Map<string, EndpointTally>();
  for (const slice of slices) {
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const key = `${slice.metadata?.namespace}/${svc}`;
    const tally = tallies.get(key) ?? { ready: new Set<string>(), serving: new Set<string>() };
    for (const ep of slice.endpoints ?? []) count(tally, ep);
    tallies.set(key, tally);
  }
  return new Map(
    [...tallies].map(([key, t]) => [key, facts(t.ready.size > 0 ? t.ready : t.serving)]),
  );
}

function count(tally: EndpointTally, ep: V1Endpoint): void {
  const node = ep.nodeName ?? "";
  if (isReady(ep.conditions)) tally.ready.add(node);
  if (isServing(ep.conditions)) tally.serving.add(node);
}

export function nodeViews(nodes: readonly V1Node[]): Map<string, NodeView> {
  return new Map(
    nodes.map((n) => {
      const labels = n.metadata?.labels ?? {};
      const unavailable = n.status?.conditions?.some(
        (c) => c.type === "NetworkUnavailable" && c.status === "True",
      );
      const view: NodeView = {
        labels,
        networkUnavailable: unavailable ?? false,
        excludedByLabel: EXCLUDE_LABEL in labels,
      };
      return [n.metadata?.name ?? "", view] as const;
    }),
  );
}

export function clusterView(input: {
  services: readonly V1Service[];
  slices: readonly V1EndpointSlice[];
  nodes: readonly V1Node[];
  pools: readonly IPAddressPool[];
  advertisements: readonly L2Advertisement[];
  liveSpeakers: ReadonlySet<string>;
}): ClusterView {
  const poolLabels = new Map<string, Labels>(
    input.pools.map((p) => [p.metadata?.name ?? "", p.metadata?.labels ?? {}]),
  );
  return {
    services: input.services.flatMap((s) => serviceView(s) ?? []),
    endpoints: endpointViews(input.slices),
    nodes: nodeViews(input.nodes),
    poolLabels,
    advertisements: input.advertisements.map(toL2AdvertisementSpec),
    liveSpeakers: input.liveSpeakers,
  };
}
