/**
 * Pod addresses from a node's pod CIDRs. A pod gets one host number (its "index") that is used in
 * every family, so 198.19.2.7 and 2001:db8:19:2::7 belong to the same pod. Index 1 is the
 * gateway (the node-side veth of every pod on that node), 0 the network, and in IPv4 the last
 * address is the broadcast; pods start at 2. Pure.
 */
import {
  formatIp,
  parseIp,
  parseRange,
  rangeContains,
  type IpRange,
} from "../../../lib/core/ip.js";
import { err, ok, type Result } from "../../../lib/core/result.js";

export const GATEWAY_INDEX = 1;
export const FIRST_POD_INDEX = 2;
/** Keeps the search small on wide (IPv6) pod CIDRs: a lab node never runs this many pods. */
export const MAX_POD_INDEX = 65_535;

/** A node's pod CIDRs, IPv4 first, at most one per family. */
export interface PodCidrs {
  readonly ranges: readonly IpRange[];
  /** Highest usable pod index in every family. */
  readonly lastIndex: number;
}

export function parsePodCidrs(cidrs: readonly string[]): Result<PodCidrs, string> {
  const ranges: IpRange[] = [];
  for (const text of cidrs) {
    const parsed = parseRange(text);
    if (!parsed.ok || !text.includes("/")) return err(`pod CIDR "${text}" is not a CIDR`);
    if (ranges.some((r) => r.family === parsed.value.family)) {
      return err(`more than one ${parsed.value.family} pod CIDR in ${cidrs.join(",")}`);
    }
    ranges.push(parsed.value);
  }
  if (ranges.length === 0) return err("the node has no pod CIDR");
  ranges.sort((a, b) => (a.family === b.family ? 0 : a.family === "IPv4" ? -1 : 1));
  const lastIndex = Math.min(
    MAX_POD_INDEX,
    ...ranges.map((r) => {
      const size = r.last - r.first + 1n;
      const last = r.family === "IPv4" ? size - 2n : size - 1n;
      return last > BigInt(MAX_POD_INDEX) ? MAX_POD_INDEX : Number(last);
    }),
  );
  if (lastIndex < FIRST_POD_INDEX) return err(`pod CIDRs ${cidrs.join(",")} are too small`);
  return ok({ ranges, lastIndex });
}

/** The addresses at host number `index`, IPv4 first. */
export const addressesAt = (cidrs: PodCidrs, index: number): string[] =>
  cidrs.ranges.map((r) => formatIp({ family: r.family, value: r.first + BigInt(index) }));

export const gatewayAddresses = (cidrs: PodCidrs): string[] => addressesAt(cidrs, GATEWAY_INDEX);

/** The pod index of `ip` when it is a pod address inside these CIDRs. */
export function indexOf(cidrs: PodCidrs, ip: string): number | undefined {
  const parsed = parseIp(ip);
  const range = parsed && cidrs.ranges.find((r) => rangeContains(r, parsed));
  if (!parsed || !range) return undefined;
  const index = Number(parsed.value - range.first);
  return index >= FIRST_POD_INDEX && index <= cidrs.lastIndex ? index : undefined;
}

/**
 * A free pod index: `preferred` when it is usable and free (a pod that already shows an IP
 * keeps it across agent restarts), else the lowest free one; undefined when the node is full.
 */
export function freeIndex(
  cidrs: PodCidrs,
  used: ReadonlySet<number>,
  preferred?: number,
): number | undefined {
  if (
    preferred !== undefined &&
    preferred >= FIRST_POD_INDEX &&
    preferred <= cidrs.lastIndex &&
    !used.has(preferred)
  ) {
    return preferred;
  }
  for (let i = FIRST_POD_INDEX; i <= cidrs.lastIndex; i++) if (!used.has(i)) return i;
  return undefined;
}
