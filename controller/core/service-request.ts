/**
 * Turns a Service into what it asks the allocator for: requested IPs, pool, sharing key,
 * families, ports and backend. Pure parsing; bad values come back as a failure naming the field.
 */
import { formatIp, type Ip, type IpFamily, parseIp } from "../../lib/core/ip.js";
import type { Labels } from "../../lib/core/label-selector.js";
import { err, ok, type Result } from "../../lib/core/result.js";
import { type AllocationFailure, FailureReason } from "./allocation-failure.js";
import type { Sharer } from "./sharing.js";

export const ANNOTATION = {
  addressPool: "metallb.io/address-pool",
  loadBalancerIPs: "metallb.io/loadBalancerIPs",
  allowSharedIp: "metallb.io/allow-shared-ip",
} as const;
/** The older spelling of each annotation; the `metallb.io/` key wins when both are set. */
export const LEGACY_PREFIX = "metallb.universe.tf/";

export interface ServicePort {
  /** Default TCP. */
  readonly protocol?: string | undefined;
  readonly port: number;
}

/** The parts of a core/v1 Service the controller looks at, mapped by the adapter. */
export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string | undefined;
  readonly annotations: Labels;
  readonly labels: Labels;
  readonly type: string;
  readonly loadBalancerClass?: string | undefined;
  /** `spec.loadBalancerIP` (deprecated by Kubernetes, still honoured). */
  readonly loadBalancerIP?: string | undefined;
  readonly ipFamilies: readonly string[];
  readonly ipFamilyPolicy?: string | undefined;
  readonly ports: readonly ServicePort[];
  readonly externalTrafficPolicy?: string | undefined;
  readonly selector: Labels;
}

export const FAMILY_POLICIES = ["SingleStack", "PreferDualStack", "RequireDualStack"] as const;
export type IpFamilyPolicy = (typeof FAMILY_POLICIES)[number];

export interface AllocationRequest extends Sharer {
  readonly namespace: string;
  readonly labels: Labels;
  /** Requested addresses, at most one per family, in `families` order. */
  readonly requestedIps: readonly Ip[];
  /** Where the requested IPs came from (annotation key or `spec.loadBalancerIP`). */
  readonly requestedField: string | undefined;
  readonly pool: string | undefined;
  /** The annotation the pool came from (`metallb.io/address-pool` or its legacy spelling). */
  readonly poolField?: string | undefined;
  /** Wanted families, primary first: one, or two for dual-stack policies. */
  readonly families: readonly IpFamily[];
  readonly policy: IpFamilyPolicy;
}

export type RequestResult = Result<AllocationRequest, AllocationFailure>;

/**
 * MetalLB's rule: with an empty `--lb-class` only Services without a class are handled; with a
 * class, only Services of exactly that class.
 */
export function handlesService(svc: ServiceInfo, lbClass: string): boolean {
  if (svc.type !== "LoadBalancer") return false;
  return (svc.loadBalancerClass ?? "") === lbClass;
}

/** The annotation `metallb.io/<name>` or, when absent, `metallb.universe.tf/<name>`. */
function annotation(svc: ServiceInfo, key: string): { key: string; value: string } | undefined {
  const legacy = LEGACY_PREFIX + key.slice(key.indexOf("/") + 1);
  for (const k of [key, legacy]) {
    const value = svc.annotations[k];
    if (value !== undefined) return { key: k, value };
  }
  return undefined;
}

/** The annotation's value and the key it was found under; an empty value counts as unset. */
function nonEmptyAnnotation(
  svc: ServiceInfo,
  key: string,
): [string, string] | [undefined, undefined] {
  const found = annotation(svc, key);
  return found?.value ? [found.value, found.key] : [undefined, undefined];
}

const bad = (field: string, value: string, why: string): Result<never, AllocationFailure> =>
  err({
    reason: FailureReason.RequestedIPUnavailable,
    message: `${field} "${value}": ${why}`,
    field,
    value,
  });

const otherFamily = (f: IpFamily): IpFamily => (f === "IPv4" ? "IPv6" : "IPv4");

function familyPolicy(svc: ServiceInfo, listed: readonly IpFamily[]): IpFamilyPolicy {
  // Unset policy with two families is what the apiserver defaults to RequireDualStack.
  const p = svc.ipFamilyPolicy;
  if ((FAMILY_POLICIES as readonly (string | undefined)[]).includes(p)) return p as IpFamilyPolicy;
  return listed.length === 2 ? "RequireDualStack" : "SingleStack";
}

/** Wanted families: ipFamilies as defaulted by the apiserver, completed for dual-stack policies. */
function wantedFamilies(
  listed: readonly IpFamily[],
  policy: IpFamilyPolicy,
  requested: readonly Ip[],
): IpFamily[] {
  const primary = listed[0] ?? requested[0]?.family ?? "IPv4";
  if (policy === "SingleStack") return [primary];
  // PreferDualStack with one listed family means a single-stack cluster: keep that one.
  if (policy === "PreferDualStack" && listed.length === 1) return [primary];
  return [primary, otherFamily(primary)];
}

/** Parses a comma-separated address list: at most one address per family. */
function parseIpList(field: string, text: string): Result<Ip[], AllocationFailure> {
  const ips: Ip[] = [];
  for (const part of text.split(",").map((s) => s.trim())) {
    const ip = parseIp(part);
    if (!ip) return bad(field, text, `"${part}" is not an IP address`);
    if (ips.some((o) => o.family === ip.family)) {
      return bad(field, text, `more than one ${ip.family} address`);
    }
    ips.push(ip);
  }
  return ok(ips);
}

/** Requested IPs, with the field they came from and its text as written. */
type Requested = { readonly field?: string; readonly text?: string; readonly ips: readonly Ip[] };

/**
 * The requested IPs: the loadBalancerIPs annotation, else `spec.loadBalancerIP`. MetalLB refuses
 * both at once; we accept both when the spec address is one of the annotation's.
 */
function requestedIps(svc: ServiceInfo): Result<Requested, AllocationFailure> {
  const ann = annotation(svc, ANNOTATION.loadBalancerIPs);
  const spec = svc.loadBalancerIP ?? "";
  if (!ann?.value) {
    if (!spec) return ok({ ips: [] });
    const field = "spec.loadBalancerIP";
    const ips = parseIpList(field, spec);
    return ips.ok ? ok({ field, text: spec, ips: ips.value }) : ips;
  }
  const ips = parseIpList(ann.key, ann.value);
  if (!ips.ok) return ips;
  const specIp = parseIp(spec.trim());
  if (spec && !(specIp && ips.value.some((ip) => ip.value === specIp.value))) {
    return bad("spec.loadBalancerIP", spec, `conflicts with ${ann.key} "${ann.value}"`);
  }
  return ok({ field: ann.key, text: ann.value, ips: ips.value });
}

function checkFamilies(
  requested: Requested & { readonly field: string },
  families: readonly IpFamily[],
  policy: IpFamilyPolicy,
): Result<never, AllocationFailure> | undefined {
  const { field, ips } = requested;
  const text = requested.text ?? ips.map(formatIp).join(",");
  const stray = ips.find((ip) => !families.includes(ip.family));
  if (stray) return bad(field, text, `${stray.family} is not a family of this Service`);
  if (policy === "RequireDualStack" && ips.length < 2) {
    return bad(field, text, "RequireDualStack needs one IPv4 and one IPv6 address");
  }
  if (policy === "SingleStack" && ips.length !== 1) return bad(field, text, "one address expected");
  return undefined;
}

const canonicalSelector = (selector: Labels): string =>
  Object.entries(selector)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** The allocation request of a Service, NotHandled when it is not ours, or a bad-value failure. */
export function serviceRequest(svc: ServiceInfo, lbClass: string): RequestResult {
  if (!handlesService(svc, lbClass)) {
    const cls = svc.loadBalancerClass ?? "";
    const message = `type ${svc.type}, loadBalancerClass "${cls}": not handled (lb-class "${lbClass}")`;
    return err({ reason: FailureReason.NotHandled, message });
  }
  const requested = requestedIps(svc);
  if (!requested.ok) return requested;
  const isFamily = (f: string): f is IpFamily => f === "IPv4" || f === "IPv6";
  const listed = [...new Set(svc.ipFamilies)].filter(isFamily);
  const policy = familyPolicy(svc, listed);
  const { field, ips } = requested.value;
  const families = wantedFamilies(listed, policy, ips);
  const familyError =
    field === undefined
      ? undefined
      : checkFamilies({ ...requested.value, field }, families, policy);
  if (familyError) return familyError;
  const order = (ip: Ip): number => families.indexOf(ip.family);
  const [pool, poolField] = nonEmptyAnnotation(svc, ANNOTATION.addressPool);
  const [sharingKey, sharingKeyField] = nonEmptyAnnotation(svc, ANNOTATION.allowSharedIp);
  return ok({
    namespace: svc.namespace,
    labels: svc.labels,
    requestedIps: [...ips].sort((a, b) => order(a) - order(b)),
    requestedField: field,
    pool,
    poolField,
    families,
    policy,
    sharingKey,
    sharingKeyField,
    ports: svc.ports.map((p) => `${(p.protocol ?? "TCP").toUpperCase()}/${p.port}`),
    trafficPolicy: svc.externalTrafficPolicy === "Local" ? "Local" : "Cluster",
    backendKey: canonicalSelector(svc.selector),
  });
}
