/**
 * The whole BGP configuration of a namespace, validated: every valid peer, advertisement and BFD
 * profile, and the errors of the others (each names its object, field and value). An invalid
 * object is left out, so one mistake never takes the other sessions down. Pure.
 */
import type { BFDProfile, BGPAdvertisement, BGPPeer, Community } from "../api/bgp.js";
import {
  type BfdProfileSpec,
  type BgpAdvertisementSpec,
  type BgpCommunity,
  communityAliases,
  validateAdvertisement,
  validateBfdProfile,
} from "./bgp-advertisement.js";
import { aggregationErrors, type PoolAddresses } from "./bgp-aggregation.js";
import { type BgpConfigError, type PeerSpec, validatePeer } from "./bgp-peer.js";

export interface BgpObjects {
  readonly namespace: string;
  readonly peers: readonly BGPPeer[];
  readonly advertisements: readonly BGPAdvertisement[];
  readonly bfdProfiles: readonly BFDProfile[];
  readonly communities: readonly Community[];
  /** The namespace's IPAddressPools, against which aggregation lengths are checked. */
  readonly pools?: readonly PoolAddresses[];
}

export interface BgpConfig {
  /** Sorted by name. */
  readonly peers: readonly PeerSpec[];
  readonly advertisements: readonly BgpAdvertisementSpec[];
  readonly bfdProfiles: ReadonlyMap<string, BfdProfileSpec>;
  readonly errors: readonly BgpConfigError[];
}

const byName = <T extends { readonly name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** The advertisements that validate and fit their pools; the others' errors go to `errors`. */
function validAdvertisements(
  objects: BgpObjects,
  aliases: ReadonlyMap<string, BgpCommunity>,
  errors: BgpConfigError[],
): BgpAdvertisementSpec[] {
  const advertisements: BgpAdvertisementSpec[] = [];
  for (const a of objects.advertisements) {
    const v = validateAdvertisement(a, aliases);
    const bad = v.ok ? aggregationErrors(v.value, objects.pools ?? []) : v.error;
    if (v.ok && bad.length === 0) advertisements.push(v.value);
    else errors.push(...bad);
  }
  return advertisements;
}

export function bgpConfig(objects: BgpObjects): BgpConfig {
  const errors: BgpConfigError[] = [];
  const bfdProfiles = new Map<string, BfdProfileSpec>();
  const known = new Set<string>();
  for (const p of objects.bfdProfiles) {
    known.add(p.metadata?.name ?? "");
    const v = validateBfdProfile(p);
    if (v.ok) bfdProfiles.set(v.value.name, v.value);
    else errors.push(...v.error);
  }
  const { aliases, errors: aliasErrors } = communityAliases(objects.communities);
  errors.push(...aliasErrors);
  const peers: PeerSpec[] = [];
  for (const p of objects.peers) {
    // A peer naming an invalid profile fails with the profile, not as "unknown".
    const v = validatePeer(p, { namespace: objects.namespace, bfdProfiles: known });
    if (v.ok && (v.value.bfdProfile === undefined || bfdProfiles.has(v.value.bfdProfile)))
      peers.push(v.value);
    else if (!v.ok) errors.push(...v.error);
  }
  const advertisements = validAdvertisements(objects, aliases, errors);
  return {
    peers: peers.sort(byName),
    advertisements: advertisements.sort(byName),
    bfdProfiles,
    errors,
  };
}
