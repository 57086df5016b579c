/**
 * MetalLB's `avoidBuggyIPs`: IPv4 addresses ending in .0 or .255 confuse some CPE firmwares, so a
 * pool with the flag never hands them out. Everything here is arithmetic, never a scan.
 */
import type { IpFamily, IpRange } from "../../lib/core/ip.js";

export const isBuggyIp = (family: IpFamily, value: bigint): boolean => {
  if (family !== "IPv4") return false;
  const low = value & 0xffn;
  return low === 0n || low === 0xffn;
};

/** The first address >= `value` that a pool may hand out (itself when the flag is off). */
export function firstUsable(value: bigint, family: IpFamily, avoidBuggy: boolean): bigint {
  if (!avoidBuggy || family !== "IPv4") return value;
  const low = value & 0xffn;
  if (low === 0n) return value + 1n;
  if (low === 0xffn) return value + 2n;
  return value;
}

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
};

/** How many values in [first, last] are congruent to `residue` modulo 256. */
const countResidue = (first: bigint, last: bigint, residue: bigint): bigint =>
  floorDiv(last - residue, 256n) - floorDiv(first - 1n - residue, 256n);

/** Number of .0 and .255 addresses in an IPv4 range (0 for IPv6). */
export function countBuggy(range: IpRange): bigint {
  if (range.family !== "IPv4") return 0n;
  return countResidue(range.first, range.last, 0n) + countResidue(range.first, range.last, 255n);
}
