/**
 * BGPAdvertisement, Community and BFDProfile validation (metallb.io/v1beta1). An advertisement
 * says which pools are announced, to which peers, from which nodes, and with which attributes:
 * the prefix length IPs are aggregated to, LOCAL_PREF and communities (written out, or an alias
 * from a Community object). Pure.
 */
import type { BFDProfile, BGPAdvertisement, Community } from "../api/bgp.js";
import { errorsFor, type BgpConfigError, inBounds } from "./bgp-peer.js";
import type { L2AdvertisementSpec } from "./l2-advertisement.js";
import { parseLabelSelector } from "./label-selector.js";
import { err, ok, type Result } from "./result.js";

/** A BGP community as FRR writes it: standard `AA:NN` or large `A:B:C`. */
export interface BgpCommunity {
  readonly kind: "standard" | "large";
  readonly value: string;
}

/** Pool and node selection as in L2 (lib/core/l2-advertisement.ts), plus the BGP attributes. */
export interface BgpAdvertisementSpec extends L2AdvertisementSpec {
  readonly aggregationLength: number;
  readonly aggregationLengthV6: number;
  readonly localPref: number | undefined;
  readonly communities: readonly BgpCommunity[];
  /** Peer names; empty: every peer. */
  readonly peers: readonly string[];
}

export interface BfdProfileSpec {
  readonly name: string;
  readonly receiveInterval: number | undefined;
  readonly transmitInterval: number | undefined;
  readonly detectMultiplier: number | undefined;
  readonly echoInterval: number | undefined;
  readonly echoMode: boolean;
  readonly passiveMode: boolean;
  readonly minimumTtl: number | undefined;
}

const U16 = 65535;
const U32 = 4294967295;
const inRange = (text: string, max: number): boolean =>
  /^\d{1,10}$/.test(text) && Number(text) <= max;

/** `AA:NN` (16 bits each) or `large:A:B:C` (32 bits each); undefined when neither. */
export function parseCommunity(text: string): BgpCommunity | undefined {
  const parts = text.split(":");
  if (parts.length === 2 && parts.every((p) => inRange(p, U16)))
    return { kind: "standard", value: parts.map(Number).join(":") };
  if (parts.length === 4 && parts[0] === "large" && parts.slice(1).every((p) => inRange(p, U32)))
    return { kind: "large", value: parts.slice(1).map(Number).join(":") };
  return undefined;
}

/** Community aliases (name -> community) from every Community object; bad values are errors. */
export function communityAliases(objects: readonly Community[]): {
  aliases: Map<string, BgpCommunity>;
  errors: BgpConfigError[];
} {
  const aliases = new Map<string, BgpCommunity>();
  const errors: BgpConfigError[] = [];
  for (const obj of objects) {
    const fail = errorsFor("Community", obj.metadata?.name ?? "");
    for (const [i, c] of (obj.spec?.communities ?? []).entries()) {
      const parsed = parseCommunity(c.value ?? "");
      if (parsed && c.name) aliases.set(c.name, parsed);
      else {
        const why = "is not a community: AA:NN (0-65535 each) or large:A:B:C (0-4294967295 each)";
        errors.push(fail("BAD_COMMUNITY", `spec.communities[${i}].value`, c.value ?? "", why));
      }
    }
  }
  return { aliases, errors };
}

type Fail = ReturnType<typeof errorsFor>;

function selectors(spec: NonNullable<BGPAdvertisement["spec"]>, fail: Fail): BgpConfigError[] {
  const errors: BgpConfigError[] = [];
  for (const field of ["ipAddressPoolSelectors", "nodeSelectors"] as const) {
    for (const [i, s] of (spec[field] ?? []).entries()) {
      const parsed = parseLabelSelector(s);
      if (!parsed.ok)
        errors.push(fail("BAD_SELECTOR", `spec.${field}[${i}]`, s, parsed.error.message));
    }
  }
  return errors;
}

function lengths(
  spec: NonNullable<BGPAdvertisement["spec"]>,
  fail: Fail,
  errors: BgpConfigError[],
) {
  const v4 = spec.aggregationLength ?? 32;
  const v6 = spec.aggregationLengthV6 ?? 128;
  if (!inBounds(v4, 1, 32))
    errors.push(
      fail("BAD_AGGREGATION", "spec.aggregationLength", v4, "is not a prefix length from 1 to 32"),
    );
  if (!inBounds(v6, 1, 128))
    errors.push(
      fail(
        "BAD_AGGREGATION",
        "spec.aggregationLengthV6",
        v6,
        "is not a prefix length from 1 to 128",
      ),
    );
  const pref = spec.localPref;
  if (pref !== undefined && !inBounds(pref, 0, U32))
    errors.push(fail("BAD_LOCAL_PREF", "spec.localPref", pref, "is not from 0 to 4294967295"));
  return { aggregationLength: v4, aggregationLengthV6: v6, localPref: pref };
}

export function validateAdvertisement(
  adv: BGPAdvertisement,
  aliases: ReadonlyMap<string, BgpCommunity>,
): Result<BgpAdvertisementSpec, BgpConfigError[]> {
  const name = adv.metadata?.name ?? "";
  const spec = adv.spec ?? {};
  const fail = errorsFor("BGPAdvertisement", name);
  const errors = selectors(spec, fail);
  const attrs = lengths(spec, fail, errors);
  const communities: BgpCommunity[] = [];
  for (const [i, text] of (spec.communities ?? []).entries()) {
    const c = parseCommunity(text) ?? aliases.get(text);
    if (c) communities.push(c);
    else {
      const why =
        "is neither AA:NN, large:A:B:C, nor the name of a community in a Community object";
      errors.push(fail("BAD_COMMUNITY", `spec.communities[${i}]`, text, why));
    }
  }
  if (errors.length > 0) return err(errors);
  return ok({
    name,
    ipAddressPools: spec.ipAddressPools,
    ipAddressPoolSelectors: spec.ipAddressPoolSelectors,
    nodeSelectors: spec.nodeSelectors,
    ...attrs,
    communities,
    peers: spec.peers ?? [],
  });
}

const BFD_BOUNDS = {
  receiveInterval: [10, 60000],
  transmitInterval: [10, 60000],
  detectMultiplier: [2, 255],
  echoInterval: [10, 60000],
  minimumTtl: [1, 254],
} as const;

export function validateBfdProfile(p: BFDProfile): Result<BfdProfileSpec, BgpConfigError[]> {
  const name = p.metadata?.name ?? "";
  const spec = p.spec ?? {};
  const fail = errorsFor("BFDProfile", name);
  const errors: BgpConfigError[] = [];
  for (const [field, [min, max]] of Object.entries(BFD_BOUNDS)) {
    const v = spec[field as keyof typeof BFD_BOUNDS];
    if (v !== undefined && !inBounds(v, min, max))
      errors.push(fail("BAD_INTERVAL", `spec.${field}`, v, `is not from ${min} to ${max}`));
  }
  if (errors.length > 0) return err(errors);
  return ok({
    name,
    receiveInterval: spec.receiveInterval,
    transmitInterval: spec.transmitInterval,
    detectMultiplier: spec.detectMultiplier,
    echoInterval: spec.echoInterval,
    echoMode: spec.echoMode === true,
    passiveMode: spec.passiveMode === true,
    minimumTtl: spec.minimumTtl,
  });
}
