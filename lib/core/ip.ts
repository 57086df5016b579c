/**
 * IP addresses as numbers: parsing, formatting, CIDRs and ranges for IPv4 and IPv6.
 * An address is `{ family, value }` with `value` a bigint (IPv4: 32 bits, IPv6: 128 bits), so
 * arithmetic on /64 pools is exact. Packet decoders skip the bigint: `formatIpAt` turns the
 * bytes of a frame straight into canonical text.
 */
import { err, ok, type Result } from "./result.js";

export type IpFamily = "IPv4" | "IPv6";
export interface Ip {
  readonly family: IpFamily;
  readonly value: bigint;
}
/** An inclusive range of addresses of one family. */
export interface IpRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
}

export const bitsOf = (family: IpFamily): number => (family === "IPv4" ? 32 : 128);

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseV4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!V4_PART.test(part)) return undefined;
    value = value * 256 + Number(part);
  }
  return BigInt(value);
}

function parseV6Groups(text: string): bigint[] | undefined {
  if (text === "") return [];
  const groups: bigint[] = [];
  const parts = text.split(":");
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes(".")) {
      const v4 = parseV4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(BigInt(`0x${part}`));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseV6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseV6Groups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseV6Groups(halves[1] ?? "") : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses a textual IPv4 or IPv6 address (no zone, no prefix). */
export function parseIp(text: string): Ip | undefined {
  if (text.includes(":")) {
    const value = parseV6(text);
    return value === undefined ? undefined : { family: "IPv6", value };
  }
  const value = parseV4(text);
  return value === undefined ? undefined : { family: "IPv4", value };
}

/** RFC 5952 text of eight 16-bit groups: the longest run (>= 2) of zero groups, first on a tie. */
function formatV6Groups(groups: readonly number[]): string {
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i >= 2) best = { start: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(":");
  const head = hex.slice(0, best.start).join(":");
  const tail = hex.slice(best.start + best.len).join(":");
  return `${head}::${tail}`;
}

/** The unsigned 32-bit big-endian value of the 4 bytes at `offset`. */
const uint32At = (bytes: Uint8Array, offset: number): number =>
  (((bytes[offset] ?? 0) << 24) |
    ((bytes[offset + 1] ?? 0) << 16) |
    ((bytes[offset + 2] ?? 0) << 8) |
    (bytes[offset + 3] ?? 0)) >>>
  0;

const formatV4 = (n: number): string =>
  `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;

/** Canonical text: dotted quad, or RFC 5952 IPv6. */
export function formatIp(ip: Ip): string {
  if (ip.family === "IPv4") return formatV4(Number(ip.value));
  const groups = Array.from({ length: 8 }, (_, i) =>
    Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn),
  );
  return formatV6Groups(groups);
}

/**
 * Canonical text of the address in `bytes` at `offset`, 4 bytes for IPv4 or 16 for IPv6, read
 * straight from the bytes (no bigint): for decoders on the receive path. Throws RangeError when
 * the bytes are not there.
 */
export function formatIpAt(bytes: Uint8Array, offset: number, family: IpFamily): string {
  const length = bitsOf(family) / 8;
  if (offset < 0 || bytes.length - offset < length) {
    throw new RangeError(`an ${family} address is ${length} bytes, got ${bytes.length - offset}`);
  }
  if (family === "IPv4") return formatV4(uint32At(bytes, offset));
  const groups: number[] = [];
  for (let i = offset; i < offset + length; i += 2) {
    groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  }
  return formatV6Groups(groups);
}

/** Canonical form of an address string, or undefined when it is not an address. */
export const canonicalIp = (text: string): string | undefined => {
  const ip = parseIp(text);
  return ip && formatIp(ip);
};

export type IpRangeError =
  | { readonly code: "BAD_ADDRESS"; readonly value: string }
  | { readonly code: "BAD_PREFIX"; readonly value: string }
  | { readonly code: "MIXED_FAMILIES"; readonly value: string }
  | { readonly code: "REVERSED_RANGE"; readonly value: string };

/** Parses `a.b.c.d/n`, `x::/n`, `first-last`, or a single address (as a /32 or /128). */
export function parseRange(text: string): Result<IpRange, IpRangeError> {
  const value = text.trim();
  if (value.includes("/")) return parseCidr(value);
  if (value.includes("-")) {
    const [a, b, ...rest] = value.split("-").map((s) => s.trim());
    const first = parseIp(a ?? "");
    const last = parseIp(b ?? "");
    if (rest.length > 0 || !first || !last) return err({ code: "BAD_ADDRESS", value });
    if (first.family !== last.family) return err({ code: "MIXED_FAMILIES", value });
    if (first.value > last.value) return err({ code: "REVERSED_RANGE", value });
    return ok({ family: first.family, first: first.value, last: last.value });
  }
  const ip = parseIp(value);
  if (!ip) return err({ code: "BAD_ADDRESS", value });
  return ok({ family: ip.family, first: ip.value, last: ip.value });
}

function parseCidr(value: string): Result<IpRange, IpRangeError> {
  const [addr, prefixText, ...rest] = value.split("/");
  const ip = parseIp(addr ?? "");
  if (!ip || rest.length > 0) return err({ code: "BAD_ADDRESS", value });
  const bits = bitsOf(ip.family);
  if (!/^\d{1,3}$/.test(prefixText ?? "") || Number(prefixText) > bits) {
    return err({ code: "BAD_PREFIX", value });
  }
  const host = BigInt(bits - Number(prefixText));
  const mask = (1n << host) - 1n;
  return ok({ family: ip.family, first: ip.value & ~mask, last: (ip.value & ~mask) | mask });
}

export const rangeSize = (r: IpRange): bigint => r.last - r.first + 1n;

export const rangeContains = (r: IpRange, ip: Ip): boolean =>
  r.family === ip.family && ip.value >= r.first && ip.value <= r.last;

export const rangesOverlap = (a: IpRange, b: IpRange): boolean =>
  a.family === b.family && a.first <= b.last && b.first <= a.last;

export function formatRange(r: IpRange): string {
  const first = formatIp({ family: r.family, value: r.first });
  if (r.first === r.last) return first;
  return `${first}-${formatIp({ family: r.family, value: r.last })}`;
}

/** 4 bytes (IPv4) or 16 bytes (IPv6), network order. */
export function ipToBytes(ip: Ip): Uint8Array {
  const n = bitsOf(ip.family) / 8;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number((ip.value >> BigInt(8 * (n - 1 - i))) & 0xffn);
  return out;
}

/** Reads 4 or 16 bytes in network order as an address. */
export function ipFromBytes(bytes: Uint8Array): Ip {
  if (bytes.length !== 4 && bytes.length !== 16) {
    throw new Error(`an IP address is 4 or 16 bytes, got ${bytes.length}`);
  }
  if (bytes.length === 4) return { family: "IPv4", value: BigInt(uint32At(bytes, 0)) };
  const value = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  return { family: "IPv6", value };
}
