/**
 * Why a Service has no IP, from the `ironlb.io/IPAllocated` condition the controller writes
 * (reasons: controller/core/allocation-failure.ts), with the usage of the pools it names. Pure.
 */
import { type Finding, finding } from "./finding.js";
import type { ClusterSnapshot, Family, PoolRecord, ServiceRecord } from "./model.js";

const FAMILIES: readonly Family[] = ["IPv4", "IPv6"];

/** `pool web is exhausted: 51 of 51 used`, `pool web: IPv4 3 of 51 used, IPv6 0 of 51 used`. */
export function poolUsageText(name: string, pool: PoolRecord | undefined): string {
  if (!pool) return `pool ${name} does not exist`;
  const usage = pool.usage;
  if (!usage) return `pool ${name} has no usage in its status yet (controller not running?)`;
  const families = FAMILIES.filter((f) => usage[f].used + usage[f].free > 0);
  if (families.length === 0) return `pool ${name} has no usable addresses`;
  const counts = families.map((f) => {
    const { used, free } = usage[f];
    return `${families.length > 1 ? `${f} ` : ""}${used} of ${used + free} used`;
  });
  const full = families.filter((f) => usage[f].free === 0);
  const state =
    full.length === 0
      ? ""
      : full.length === families.length
        ? " is exhausted"
        : ` has no free ${full.join(" or ")} address`;
  return `pool ${name}${state}: ${counts.join(", ")}`;
}

/** Pools the condition message quotes ("web-pool"), then the pool the Service asks for. */
function namedPools(svc: ServiceRecord, snapshot: ClusterSnapshot): string[] {
  const message = svc.condition?.message ?? "";
  const quoted = snapshot.pools.map((p) => p.name).filter((n) => message.includes(`"${n}"`));
  const asked = svc.requestedPool === undefined ? [] : [svc.requestedPool];
  return [...new Set([...quoted, ...asked])];
}

function poolDetails(svc: ServiceRecord, snapshot: ClusterSnapshot): string[] {
  return namedPools(svc, snapshot).flatMap((name) => {
    const pool = snapshot.pools.find((p) => p.name === name);
    return [poolUsageText(name, pool), ...(pool?.problems ?? []).map((p) => `pool ${name}: ${p}`)];
  });
}

interface Wording {
  readonly text: string;
  readonly next: (svc: ServiceRecord, ns: string) => string;
}

const listPools = (_: ServiceRecord, ns: string): string => `kubectl get ipaddresspool -n ${ns}`;

/** Plain words for each reason of the condition. */
const WORDS: Readonly<Record<string, Wording>> = {
  NoMatchingPool: { text: "no pool may serve this Service", next: listPools },
  PoolExhausted: {
    text: "no free address in the pools this Service may use",
    next: (svc, ns) =>
      svc.requestedPool === undefined
        ? `kubectl ironlb pools -n ${ns}`
        : `kubectl edit ipaddresspool ${svc.requestedPool} -n ${ns}   # add addresses`,
  },
  SharingConflict: {
    text: "the IP it wants is held by a Service it may not share with (allow-shared-ip key, ports or externalTrafficPolicy differ)",
    next: (svc) => `kubectl get service ${svc.name} -n ${svc.namespace} -o yaml`,
  },
  RequestedIPUnavailable: {
    text: "the IP it asks for cannot be given",
    next: (svc) => `kubectl get service ${svc.name} -n ${svc.namespace} -o yaml`,
  },
};

/** Findings for a handled LoadBalancer Service that shows no IP. */
export function allocationFindings(svc: ServiceRecord, snapshot: ClusterSnapshot): Finding[] {
  const ns = snapshot.namespace;
  const condition = svc.condition;
  if (!condition) {
    return [
      finding(
        "problem",
        "NotSeen",
        "pending: the controller has not seen it (is the controller running?)",
        {
          next: `kubectl get pods -n ${ns} -l app.kubernetes.io/component=controller`,
        },
      ),
    ];
  }
  const words = WORDS[condition.reason];
  const text = words
    ? `${words.text}: ${condition.message}`
    : `no IP (${condition.reason}): ${condition.message}`;
  return [
    finding("problem", condition.reason, text, {
      details: poolDetails(svc, snapshot),
      next: words?.next(svc, ns) ?? `kubectl describe service ${svc.name} -n ${svc.namespace}`,
    }),
  ];
}
