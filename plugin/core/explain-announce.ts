/**
 * Why a Service that has an IP is (not) answered: its pool's L2Advertisement, its endpoints,
 * which nodes may announce it (speaker election rules, per Service and the Services sharing its
 * IPs) and which node reports announcing it (ServiceL2Status). Pure.
 */
import { advertisesPool } from "../../lib/core/l2-advertisement.js";
import { type Eligibility, eligibility, NODE_REASON, type NodeVerdict } from "./eligibility.js";
import { type Finding, finding } from "./finding.js";
import { formatAge } from "./format.js";
import type { ClusterSnapshot, EndpointRecord, ServiceRecord } from "./model.js";
import { serviceKey } from "./model.js";
import { type SpeakerState, speakerStates } from "./status.js";

export interface NodeLine extends NodeVerdict {
  readonly text: string;
}

export interface Announcement {
  readonly findings: readonly Finding[];
  readonly nodes: readonly NodeLine[];
}

interface Context {
  readonly svc: ServiceRecord;
  readonly snapshot: ClusterSnapshot;
  readonly pool: string;
  readonly speakers: readonly SpeakerState[];
}

function notLiveText(node: string, speakers: readonly SpeakerState[]): string {
  const s = speakers.find((x) => x.node === node);
  if (!s) return `${node}: no speaker Lease (speaker-${node}): no speaker runs there`;
  const ago = s.renewedAgoMs === undefined ? "never" : `${formatAge(s.renewedAgoMs)} ago`;
  return `${node}: speaker not live (Lease last renewed ${ago})`;
}

export function nodeText(v: NodeVerdict, ctx: Context): string {
  switch (v.reason) {
    case undefined:
      return `${v.node}: may announce it`;
    case NODE_REASON.notLive:
      return notLiveText(v.node, ctx.speakers);
    case NODE_REASON.networkUnavailable:
      return `${v.node}: Node condition NetworkUnavailable is True`;
    case NODE_REASON.excludedByLabel:
      return `${v.node}: labelled node.kubernetes.io/exclude-from-external-load-balancers`;
    case NODE_REASON.notSelectedByL2Advertisement:
      return `${v.node}: no L2Advertisement of pool ${ctx.pool} selects this node`;
    case NODE_REASON.noLocalEndpoint:
      return `${v.node}: no ready pod of the Service here (externalTrafficPolicy Local)`;
  }
}

/** The Service and every LoadBalancer Service holding one of its IPs. */
function unitOf(svc: ServiceRecord, snapshot: ClusterSnapshot): ServiceRecord[] {
  const mine = new Set(svc.ips);
  const others = snapshot.services.filter(
    (s) =>
      s.type === "LoadBalancer" &&
      serviceKey(s) !== serviceKey(svc) &&
      s.ips.some((ip) => mine.has(ip)),
  );
  return [svc, ...others];
}

function noCandidates(el: Eligibility, ctx: Context, details: string[]): Finding {
  const { svc, snapshot } = ctx;
  if (el.localOnly) {
    return finding(
      "problem",
      "noLocalEndpoint",
      "externalTrafficPolicy Local and no ready pod on a live node that may announce it",
      {
        details,
        next: `kubectl get endpointslices -n ${svc.namespace} -l kubernetes.io/service-name=${svc.name} -o wide`,
      },
    );
  }
  const reasons = new Set(el.nodes.map((n) => n.reason));
  const next = reasons.has(NODE_REASON.notLive)
    ? `kubectl get pods -n ${snapshot.namespace} -l app.kubernetes.io/component=speaker -o wide`
    : reasons.has(NODE_REASON.notSelectedByL2Advertisement)
      ? `kubectl get l2advertisement -n ${snapshot.namespace} -o yaml`
      : "kubectl get nodes --show-labels";
  return finding("problem", "noCandidates", "no node may announce it", { details, next });
}

function announcer(el: Eligibility, ctx: Context): Finding {
  const { svc, snapshot } = ctx;
  const status = snapshot.l2Statuses.find((s) => s.service === serviceKey(svc));
  const candidates = el.nodes.filter((n) => n.reason === undefined).map((n) => n.node);
  if (status?.node === undefined) {
    return finding(
      "problem",
      "notAnnounced",
      `no speaker reports announcing it (no ServiceL2Status), though ${candidates.join(", ")} may`,
      {
        next: `kubectl get servicel2statuses -n ${snapshot.namespace}`,
      },
    );
  }
  const on = status.interfaces.length > 0 ? ` on ${status.interfaces.join(", ")}` : "";
  const owner = el.nodes.find((n) => n.node === status.node);
  if (owner?.reason === undefined) {
    return finding("ok", "announced", `announced by node ${status.node}${on}`);
  }
  return finding(
    "problem",
    "announcerNotEligible",
    `ServiceL2Status names node ${status.node}, which may not announce it (${owner.reason}); a takeover by ${candidates.join(", ")} should follow`,
    {
      next: "kubectl ironlb status",
    },
  );
}

function endpointsMissing(unit: readonly ServiceRecord[]): Finding {
  const [svc, ...sharing] = unit;
  const also =
    sharing.length > 0 ? ` (nor do ${sharing.map(serviceKey).join(", ")}, sharing its IP)` : "";
  const name = svc?.name ?? "";
  return finding(
    "problem",
    "noReadyEndpoint",
    `no ready endpoint: no ready pod backs it${also}, so no node announces it`,
    {
      next: `kubectl get endpointslices -n ${svc?.namespace ?? ""} -l kubernetes.io/service-name=${name}`,
    },
  );
}

/** Findings and per-node verdicts for a Service that shows IPs from `pool`. */
export function announcement(
  svc: ServiceRecord,
  snapshot: ClusterSnapshot,
  endpoints: ReadonlyMap<string, readonly EndpointRecord[]>,
): Announcement {
  const pool = svc.pool ?? "";
  const speakers = speakerStates(snapshot.leases, snapshot.now);
  const ctx: Context = { svc, snapshot, pool, speakers };
  const poolLabels = snapshot.pools.find((p) => p.name === pool)?.labels ?? {};
  const unit = unitOf(svc, snapshot);
  const el = eligibility({
    pool,
    poolLabels,
    advertisements: snapshot.advertisements,
    nodes: snapshot.nodes,
    live: new Set(speakers.filter((s) => s.live).map((s) => s.node)),
    unit: unit.map((s) => ({
      key: serviceKey(s),
      trafficPolicy: s.trafficPolicy,
      endpoints: endpoints.get(serviceKey(s)) ?? [],
    })),
  });
  const nodes = el.nodes.map((v) => ({ ...v, text: nodeText(v, ctx) }));
  const details = nodes.map((n) => n.text);
  if (!snapshot.pools.some((p) => p.name === pool)) {
    const text = `its pool "${pool}" is no IPAddressPool in ${snapshot.namespace}: no speaker announces it (another controller's pool, or give --controller-namespace)`;
    const next = "kubectl get ipaddresspool -A";
    return { findings: [finding("problem", "UnknownPool", text, { next })], nodes };
  }
  if (!snapshot.advertisements.some((a) => advertisesPool(a, pool, poolLabels))) {
    const text = `no L2Advertisement selects pool ${pool}: the IP is assigned but no node answers ARP/NDP for it`;
    const next = `kubectl get l2advertisement -n ${snapshot.namespace} -o yaml`;
    return { findings: [finding("problem", "NotAdvertised", text, { next })], nodes };
  }
  if (!el.hasReadyEndpoint) return { findings: [endpointsMissing(unit)], nodes };
  const anyCandidate = el.nodes.some((n) => n.reason === undefined);
  const found = anyCandidate ? announcer(el, ctx) : noCandidates(el, ctx, details);
  return { findings: [found], nodes };
}
