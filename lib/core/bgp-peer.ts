/**
 * BGPPeer validation (metallb.io/v1beta2): from the API object to the session IronLB configures,
 * or the errors naming each field and value at fault. Pure; shared by whoever reports the errors
 * and by the speaker, which configures only valid peers.
 */
import type { BGPPeer } from "../api/bgp.js";
import { canonicalIp, parseIp } from "./ip.js";
import { type LabelSelector, parseLabelSelector } from "./label-selector.js";
import { err, ok, type Result } from "./result.js";

export type BgpObjectKind = "BGPPeer" | "BGPAdvertisement" | "BFDProfile" | "Community";

export type BgpErrorCode =
  | "BAD_ASN"
  | "BAD_ADDRESS"
  | "BAD_PORT"
  | "BAD_DURATION"
  | "BAD_TIMERS"
  | "BAD_PASSWORD"
  | "BAD_SELECTOR"
  | "UNKNOWN_BFD_PROFILE"
  | "VRF_UNSUPPORTED"
  | "BAD_COMMUNITY"
  | "BAD_LOCAL_PREF"
  | "BAD_AGGREGATION"
  | "BAD_INTERVAL";

export interface BgpConfigError {
  readonly kind: BgpObjectKind;
  readonly name: string;
  readonly code: BgpErrorCode;
  /** The field at fault, e.g. `spec.holdTime`. */
  readonly field: string;
  readonly value: string;
  readonly message: string;
}

/** Where a peer's password comes from: written inline, or a Secret of the speaker's namespace. */
export type PeerPassword =
  | { readonly from: "none" }
  | { readonly from: "inline"; readonly value: string }
  | { readonly from: "secret"; readonly secret: string };

export interface PeerSpec {
  readonly name: string;
  readonly myASN: number;
  readonly peerASN: number;
  /** Canonical text. */
  readonly address: string;
  readonly port: number;
  readonly sourceAddress: string | undefined;
  readonly routerID: string | undefined;
  /** Seconds; FRR's `timers KEEPALIVE HOLD`. */
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly connectTime: number | undefined;
  readonly ebgpMultiHop: boolean;
  readonly password: PeerPassword;
  readonly nodeSelectors: readonly LabelSelector[];
  readonly bfdProfile: string | undefined;
  /** Also carry the other family's prefixes over this session. */
  readonly dualStack: boolean;
  /** BGP graceful restart (RFC 4724) with this peer: it keeps this node's routes while FRR restarts. */
  readonly gracefulRestart: boolean;
}

/** A helper to build errors for one object. */
export const errorsFor =
  (kind: BgpObjectKind, name: string) =>
  (code: BgpErrorCode, field: string, value: unknown, why: string): BgpConfigError => {
    const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
    return {
      kind,
      name,
      code,
      field,
      value: text,
      message: `${kind} "${name}": ${field} "${text}" ${why}`,
    };
  };

const UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** A Go duration ("90s", "9m0s", "1h", "0") in seconds; undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(m[1]) * (UNITS[m[2] ?? ""] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total * 1e9) / 1e9 : undefined;
}

const MAX_ASN = 4294967295;
const isAsn = (v: unknown): v is number => inBounds(v, 0, MAX_ASN);

type Spec = NonNullable<BGPPeer["spec"]>;
type Fail = ReturnType<typeof errorsFor>;

/** Whole seconds in [min, max], or the default when unset. */
function seconds(spec: Spec, field: "holdTime" | "keepaliveTime" | "connectTime", fail: Fail) {
  const raw = spec[field];
  if (raw === undefined) return { value: undefined, error: undefined };
  const value = parseDuration(raw);
  if (value === undefined || !Number.isInteger(value) || value > 65535) {
    const why = "is not a whole number of seconds up to 65535 in Go duration form (90s, 3m0s)";
    return { value: undefined, error: fail("BAD_DURATION", `spec.${field}`, raw, why) };
  }
  return { value, error: undefined };
}

/** MetalLB's defaults: hold 90 s, keepalive a third of hold; FRR wants hold 0 or >= 3. */
function timers(spec: Spec, fail: Fail, errors: BgpConfigError[]) {
  const hold = seconds(spec, "holdTime", fail);
  const keepalive = seconds(spec, "keepaliveTime", fail);
  const connect = seconds(spec, "connectTime", fail);
  for (const e of [hold.error, keepalive.error, connect.error]) if (e) errors.push(e);
  const holdTime = hold.value ?? (keepalive.value !== undefined ? keepalive.value * 3 : 90);
  const keepaliveTime = keepalive.value ?? Math.floor(holdTime / 3);
  if (hold.value !== undefined && holdTime !== 0 && holdTime < 3)
    errors.push(fail("BAD_TIMERS", "spec.holdTime", spec.holdTime, "must be 0 or at least 3s"));
  if (keepaliveTime > holdTime && holdTime !== 0)
    errors.push(
      fail("BAD_TIMERS", "spec.keepaliveTime", spec.keepaliveTime, "must not exceed holdTime"),
    );
  if (connect.value === 0)
    errors.push(fail("BAD_DURATION", "spec.connectTime", spec.connectTime, "must be at least 1s"));
  return { holdTime, keepaliveTime, connectTime: connect.value };
}

function optionalIp(
  spec: Spec,
  field: "sourceAddress" | "routerID",
  fail: Fail,
  errors: BgpConfigError[],
) {
  const raw = spec[field];
  if (raw === undefined || raw === "") return undefined;
  const ip = parseIp(raw);
  const v4Only = field === "routerID";
  if (!ip || (v4Only && ip.family !== "IPv4")) {
    errors.push(
      fail(
        "BAD_ADDRESS",
        `spec.${field}`,
        raw,
        v4Only ? "is not an IPv4 address" : "is not an IP address",
      ),
    );
    return undefined;
  }
  return canonicalIp(raw);
}

function password(
  spec: Spec,
  namespace: string,
  fail: Fail,
  errors: BgpConfigError[],
): PeerPassword {
  const inline = spec.password;
  const ref = spec.passwordSecret;
  if (inline !== undefined && inline !== "" && ref?.name) {
    errors.push(
      fail("BAD_PASSWORD", "spec.passwordSecret", ref.name, "is set with spec.password: use one"),
    );
    return { from: "none" };
  }
  if (ref?.name) {
    if (ref.namespace && ref.namespace !== namespace) {
      const why = `is not the speaker's namespace "${namespace}", the only one it may read Secrets from`;
      errors.push(fail("BAD_PASSWORD", "spec.passwordSecret.namespace", ref.namespace, why));
    }
    return { from: "secret", secret: ref.name };
  }
  if (inline === undefined || inline === "") return { from: "none" };
  const bad = passwordProblem(inline);
  if (bad) errors.push(fail("BAD_PASSWORD", "spec.password", "<redacted>", bad));
  return { from: "inline", value: inline };
}

/** FRR reads a password as one word of printable ASCII, at most 80 characters (TCP MD5). */
export const passwordProblem = (p: string): string | undefined =>
  /^[\x21-\x7e]{1,80}$/.test(p)
    ? undefined
    : "must be 1 to 80 printable ASCII characters without spaces (FRR's TCP-MD5 password)";

/** An integer in [min, max]. */
export const inBounds = (v: unknown, min: number, max: number): boolean =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

/** What IronLB refuses although MetalLB's schema accepts it, and selectors that do not parse. */
function unsupported(spec: Spec, fail: Fail, errors: BgpConfigError[]): void {
  if (spec.vrf)
    errors.push(
      fail(
        "VRF_UNSUPPORTED",
        "spec.vrf",
        spec.vrf,
        "is not supported by IronLB: sessions run in the default VRF only",
      ),
    );
  for (const [i, s] of (spec.nodeSelectors ?? []).entries()) {
    const parsed = parseLabelSelector(s);
    if (!parsed.ok)
      errors.push(fail("BAD_SELECTOR", `spec.nodeSelectors[${i}]`, s, parsed.error.message));
  }
}

function basics(spec: Spec, fail: Fail, errors: BgpConfigError[]) {
  for (const f of ["myASN", "peerASN"] as const)
    if (!isAsn(spec[f]))
      errors.push(fail("BAD_ASN", `spec.${f}`, spec[f], "is not an AS number (0 to 4294967295)"));
  const address = canonicalIp(spec.peerAddress ?? "");
  if (address === undefined)
    errors.push(
      fail("BAD_ADDRESS", "spec.peerAddress", spec.peerAddress ?? "", "is not an IP address"),
    );
  const port = spec.peerPort ?? 179;
  if (!inBounds(port, 1, 16384))
    errors.push(fail("BAD_PORT", "spec.peerPort", port, "is not a port from 1 to 16384"));
  unsupported(spec, fail, errors);
  return { address: address ?? "", port };
}

/** A peer as IronLB configures it, or every error found in it. */
export function validatePeer(
  peer: BGPPeer,
  ctx: { readonly namespace: string; readonly bfdProfiles: ReadonlySet<string> },
): Result<PeerSpec, BgpConfigError[]> {
  const name = peer.metadata?.name ?? "";
  const spec = peer.spec ?? {};
  const fail = errorsFor("BGPPeer", name);
  const errors: BgpConfigError[] = [];
  const { address, port } = basics(spec, fail, errors);
  const times = timers(spec, fail, errors);
  const bfd = spec.bfdProfile || undefined;
  if (bfd !== undefined && !ctx.bfdProfiles.has(bfd))
    errors.push(
      fail("UNKNOWN_BFD_PROFILE", "spec.bfdProfile", bfd, "names no BFDProfile of this namespace"),
    );
  const spec2 = {
    name,
    myASN: spec.myASN ?? 0,
    peerASN: spec.peerASN ?? 0,
    address,
    port,
    sourceAddress: optionalIp(spec, "sourceAddress", fail, errors),
    routerID: optionalIp(spec, "routerID", fail, errors),
    ...times,
    ebgpMultiHop: spec.ebgpMultiHop === true,
    password: password(spec, ctx.namespace, fail, errors),
    nodeSelectors: spec.nodeSelectors ?? [],
    bfdProfile: bfd,
    dualStack: spec.dualStackAddressFamily === true,
    gracefulRestart: spec.enableGracefulRestart === true,
  };
  return errors.length > 0 ? err(errors) : ok(spec2);
}
