/**
 * Seeded frame mutations for fuzz tests: generic ones (bit flips, boundary bytes, truncation,
 * trailing garbage), field-aware ones for Ethernet, ARP, IPv6, ICMPv6 and NDP options, and
 * random frames. Randomness comes in as a `Random`; the same seed gives the same frames.
 */
import { mulberry32, type Random } from "../../../lib/core/random.js";
import { icmpv6Sum } from "./oracle-bytes.js";

export { mulberry32, type Random };

const below = (random: Random, n: number): number => Math.floor(random() * n);
const oneOf = <T>(random: Random, items: readonly T[]): T =>
  items[below(random, items.length)] as T;

/** Values worth writing into address fields: ours, owned, group, zero, others. */
export interface Dictionary {
  readonly macs: readonly Uint8Array[];
  readonly ipv4: readonly Uint8Array[];
  readonly ipv6: readonly Uint8Array[];
}

type Mutation = (frame: Uint8Array, random: Random, dict: Dictionary) => Uint8Array;

const u16 = (f: Uint8Array, at: number): number => ((f[at] ?? 0) << 8) | (f[at + 1] ?? 0);
function setU16(f: Uint8Array, at: number, value: number): void {
  if (at + 1 < f.length) f.set([(value >> 8) & 0xff, value & 0xff], at);
}
const payloadLength = (f: Uint8Array): number => u16(f, 18);

const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

function bitFlips(f: Uint8Array, random: Random): Uint8Array {
  for (let n = 1 + below(random, 4); n > 0 && f.length > 0; n--) {
    const at = below(random, f.length);
    f[at] = (f[at] ?? 0) ^ (1 << below(random, 8));
  }
  return f;
}

function byteOverwrite(f: Uint8Array, random: Random): Uint8Array {
  if (f.length > 0) {
    const value = random() < 0.6 ? oneOf(random, BOUNDARY) : below(random, 256);
    f[below(random, f.length)] = value;
  }
  return f;
}

const truncate: Mutation = (f, random) => f.subarray(0, below(random, f.length + 1));

/** Appends 1..64 bytes of zeros, 0xff or random garbage (Ethernet padding or worse). */
function extend(f: Uint8Array, random: Random): Uint8Array {
  const out = new Uint8Array(f.length + 1 + below(random, 64));
  out.set(f);
  const fill = below(random, 3);
  for (let i = f.length; i < out.length; i++) {
    out[i] = fill === 0 ? 0 : fill === 1 ? 0xff : below(random, 256);
  }
  return out;
}

/** [offset, byte width, values] for the header fields of each protocol. */
type Field = readonly [number, 1 | 2, readonly number[]];
const ETHERTYPES = [0x0806, 0x86dd, 0x0800, 0x8100, 0x88a8, 0x05ff, 0x0600, 0x0000, 0xffff];
const ARP_FIELDS: readonly Field[] = [
  [14, 2, [0, 1, 6, 0x0100, 0xffff]], // hardware type
  [16, 2, [0x0800, 0x86dd, 0, 0x0008, 0xffff]], // protocol type
  [18, 1, [0, 4, 6, 7, 16, 255]], // hardware address length
  [19, 1, [0, 4, 6, 16, 255]], // protocol address length
  [20, 2, [0, 1, 2, 3, 4, 0x0100, 0x0101, 0xffff]], // op
];
const IPV6_FIELDS: readonly Field[] = [
  [14, 1, [0x60, 0x40, 0x00, 0x6f, 0x70, 0xf0]], // version and traffic class
  [20, 1, [58, 0, 6, 17, 43, 44, 59, 60, 255]], // next header
  [21, 1, [255, 254, 1, 0, 64, 128]], // hop limit
  [54, 1, [135, 136, 133, 134, 137, 128, 129, 0, 255]], // ICMPv6 type
  [55, 1, [0, 1, 255]], // ICMPv6 code
  [58, 1, [0, 0x20, 0x40, 0x60, 0x80, 0xe0, 0xff]], // NA flags, NS reserved
];

function writeField(f: Uint8Array, [at, width, values]: Field, random: Random): Uint8Array {
  const value = random() < 0.8 ? oneOf(random, values) : below(random, 1 << (8 * width));
  if (width === 2) setU16(f, at, value);
  else if (at < f.length) f[at] = value;
  return f;
}

const ethertype: Mutation = (f, random) => writeField(f, [12, 2, ETHERTYPES], random);
const arpField: Mutation = (f, random) => writeField(f, oneOf(random, ARP_FIELDS), random);
const ipv6Field: Mutation = (f, random) => writeField(f, oneOf(random, IPV6_FIELDS), random);

/** The IPv6 payload length: zero, around the ICMPv6 minimum, off by one or eight, huge. */
function ipv6PayloadLength(f: Uint8Array, random: Random): Uint8Array {
  const actual = Math.max(0, f.length - 54);
  const values = [0, 1, 4, 23, 24, 25, 32, actual, actual - 1, actual + 1, actual - 8, actual + 8];
  const value = random() < 0.9 ? oneOf(random, [...values, 0x7fff, 0xffff]) : below(random, 65536);
  setU16(f, 18, Math.max(0, value));
  return f;
}

/** Offsets of the NDP options present (walking their lengths), from byte 78. */
function optionOffsets(f: Uint8Array): number[] {
  const end = Math.min(f.length, 54 + payloadLength(f));
  const offsets: number[] = [];
  for (let at = 78; at + 1 < end && offsets.length < 8; at += 8 * (f[at + 1] || 1))
    offsets.push(at);
  return offsets;
}

/** An existing option's length (0 included) or type. */
function ndpOptionField(f: Uint8Array, random: Random): Uint8Array {
  const at = oneOf(random, optionOffsets(f).concat(78));
  const field: Field =
    random() < 0.6 ? [at + 1, 1, [0, 1, 2, 3, 255]] : [at, 1, [1, 2, 14, 0, 255]];
  return writeField(f, field, random);
}

/** Appends an option after the IPv6 payload and grows the payload length to cover it. */
export function appendOption(f: Uint8Array, option: ArrayLike<number>): Uint8Array {
  const end = Math.min(f.length, 54 + payloadLength(f));
  const out = new Uint8Array(Math.max(f.length, end + option.length));
  out.set(f.subarray(0, end));
  out.set(option, end);
  setU16(out, 18, payloadLength(f) + option.length);
  return out;
}

/** A source or target link-layer option (1 or 2 units), a nonce, an unknown or a 0-length one. */
function addOption(f: Uint8Array, random: Random, dict: Dictionary): Uint8Array {
  const mac = Array.from(oneOf(random, dict.macs));
  const options = [
    [1, 1, ...mac],
    [2, 1, ...mac],
    [1, 2, ...mac, 0, 0, 0, 0, 0, 0, 0, 0],
    [14, 1, 1, 2, 3, 4, 5, 6],
    [below(random, 256), 1, 0, 0, 0, 0, 0, 0],
    [below(random, 256), 0, 0, 0, 0, 0, 0, 0],
  ];
  return appendOption(f, oneOf(random, options));
}

/** Writes a dictionary value into an address field of the protocol the frame carries. */
function address(f: Uint8Array, random: Random, dict: Dictionary): Uint8Array {
  const arp = u16(f, 12) === 0x0806;
  const macAt = oneOf(random, arp ? [0, 6, 22, 32] : [0, 6, 80, 80]);
  const ipAt = oneOf(random, arp ? [28, 38] : [22, 38, 62]);
  const useMac = random() < 0.4;
  const value = oneOf(random, useMac ? dict.macs : arp ? dict.ipv4 : dict.ipv6);
  const at = useMac ? macAt : ipAt;
  if (at + value.length <= f.length) f.set(value, at);
  return f;
}

/** Weighted: field-aware mutations most, generic ones too. */
const MUTATIONS: readonly Mutation[] = [
  bitFlips,
  bitFlips,
  byteOverwrite,
  byteOverwrite,
  truncate,
  extend,
  ethertype,
  arpField,
  arpField,
  ipv6Field,
  ipv6Field,
  ipv6PayloadLength,
  ndpOptionField,
  addOption,
  address,
  address,
  address,
];

/** Recomputes the ICMPv6 checksum of an IPv6 frame, so mutants get past it to deeper checks. */
export function reseal(f: Uint8Array): void {
  if (f.length < 58 || u16(f, 12) !== 0x86dd) return;
  const message = f.subarray(54, Math.min(f.length, 54 + payloadLength(f)));
  if (message.length < 4) return;
  message[2] = 0;
  message[3] = 0;
  const sum = icmpv6Sum(f.subarray(22, 38), f.subarray(38, 54), message);
  message.set([sum >> 8, sum & 0xff], 2);
}

/** `length` random bytes, four from each draw. */
function randomBytes(random: Random, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const r = (random() * 4294967296) >>> 0;
    out[i] = r;
    out[i + 1] = r >>> 8;
    out[i + 2] = r >>> 16;
    out[i + 3] = r >>> 24;
  }
  return out;
}

/** Random bytes, 0..1600 long. */
export const randomFrame = (random: Random): Uint8Array => randomBytes(random, below(random, 1601));

/** Random bytes behind a plausible ARP or IPv6/ICMPv6 header, to get past the first checks. */
function randomBehindHeader(random: Random): Uint8Array {
  const f = randomBytes(random, 14 + below(random, 120));
  if (random() < 0.5) {
    f.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1].slice(0, f.length - 12), 12);
    return f;
  }
  f.set([0x86, 0xdd, 0x60].slice(0, f.length - 12), 12);
  setU16(f, 18, Math.max(0, f.length - 54));
  if (f.length > 54) f.set([58, 255], 20);
  if (f.length > 55) f.set([135, 0], 54);
  reseal(f);
  return f;
}

/** A frame: mostly 1-3 mutations of a corpus frame, resealed 60% of the time; else random. */
export function mutant(
  random: Random,
  corpus: readonly Uint8Array[],
  dict: Dictionary,
): Uint8Array {
  const roll = random();
  if (roll < 0.03) return randomFrame(random);
  if (roll < 0.08) return randomBehindHeader(random);
  let frame: Uint8Array = oneOf(random, corpus).slice();
  for (let n = 1 + below(random, 3); n > 0; n--)
    frame = oneOf(random, MUTATIONS)(frame, random, dict);
  if (random() < 0.6) reseal(frame);
  return frame;
}
