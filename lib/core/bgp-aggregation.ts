/**
 * A BGPAdvertisement's aggregation lengths against the pools it announces, MetalLB's rule: each
 * address entry of a pool (a CIDR, or a range as the fewest CIDRs that cover it exactly) must fit
 * in one aggregate, so the aggregation length may not be shorter than the entry's widest CIDR.
 * `3.3.3.2-3.3.3.254` is covered by blocks down to /26 (3.3.3.64/26, 3.3.3.128/26): length 24
 * would announce 3.3.3.0/24, addresses outside the pool, and is refused; 26 to 32 are accepted.
 * Pure.
 */
import type { BgpAdvertisementSpec } from "./bgp-advertisement.js";
import { type BgpConfigError, errorsFor } from "./bgp-peer.js";
import { bitsOf, type IpRange, parseRange } from "./ip.js";
import { advertisesPool } from "./l2-advertisement.js";
import type { Labels } from "./label-selector.js";

/** An IPAddressPool as the BGP check reads it. */
export interface PoolAddresses {
  readonly name: string;
  readonly labels: Labels;
  readonly addresses: readonly string[];
}

/** The shortest prefix length among the fewest CIDRs that exactly cover `range`. */
export function widestPrefix(range: IpRange): number {
  const bits = bitsOf(range.family);
  let widest = bits;
  let at = range.first;
  while (at <= range.last) {
    let size = 0; // log2 of the block at `at`: aligned, and not past the end
    while (size < bits && at % (1n << BigInt(size + 1)) === 0n) {
      if (at + (1n << BigInt(size + 1)) - 1n > range.last) break;
      size += 1;
    }
    widest = Math.min(widest, bits - size);
    at += 1n << BigInt(size);
  }
  return widest;
}

/** One error per address entry of the announced pools that the advertisement's length splits. */
export function aggregationErrors(
  adv: BgpAdvertisementSpec,
  pools: readonly PoolAddresses[],
): BgpConfigError[] {
  const fail = errorsFor("BGPAdvertisement", adv.name);
  const errors: BgpConfigError[] = [];
  for (const pool of pools) {
    if (!advertisesPool(adv, pool.name, pool.labels)) continue;
    for (const entry of pool.addresses) {
      const range = parseRange(entry);
      if (!range.ok) continue; // the pool's own status reports it
      const v4 = range.value.family === "IPv4";
      const length = v4 ? adv.aggregationLength : adv.aggregationLengthV6;
      const widest = widestPrefix(range.value);
      if (length >= widest) continue;
      const field = v4 ? "spec.aggregationLength" : "spec.aggregationLengthV6";
      const why =
        `is shorter than prefix /${widest} of addresses ${entry} in IPAddressPool ` +
        `"${pool.name}": the aggregate would cover addresses outside the pool`;
      errors.push(fail("BAD_AGGREGATION", field, length, why));
    }
  }
  return errors;
}
