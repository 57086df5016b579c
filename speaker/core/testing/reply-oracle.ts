/**
 * An independent oracle for the responder, for fuzz tests: which frames deserve an answer, and
 * the exact bytes of that answer. Written from the RFCs on raw bytes, sharing no code with the
 * codecs it judges, so the two can disagree:
 * - ARP (RFC 826, RFC 5227 2.1.1): a request or probe (op 1, sender IP 0.0.0.0 or not equal to
 *   the target IP) for Ethernet/IPv4, for an IP owned on this interface.
 * - NDP (RFC 4861 7.1.1, 7.2.3): a valid Neighbor Solicitation for an IP owned on this interface.
 * Both: not sent by us (Ethernet source or sender link address), to a group MAC or ours, and
 * answerable (the MAC the answer goes to is not a group MAC). Policy beyond the RFCs, as the
 * responder documents it: only a 1-unit source link-layer option is an Ethernet address (others
 * are skipped, RFC 2464 8), and a non-DAD solicitation's IPv6 destination is not checked.
 */

/** An owned IP: its canonical text, its 4 or 16 bytes, and the interfaces it is announced on. */
export interface OwnedAddress {
  readonly text: string;
  readonly bytes: readonly number[];
  readonly ifaces: readonly string[];
}

export interface OracleView {
  readonly iface: string;
  readonly mac: readonly number[];
  readonly owned: readonly OwnedAddress[];
  /** The IPv6 source of our advertisements; else the target itself. */
  readonly ipv6Source?: readonly number[];
}

export interface ExpectedReply {
  readonly protocol: "arp" | "ndp";
  readonly ip: string;
  readonly frame: Uint8Array;
}

const u16 = (f: Uint8Array, at: number): number => ((f[at] ?? 0) << 8) | (f[at + 1] ?? 0);

function same(f: Uint8Array, at: number, want: ArrayLike<number>): boolean {
  for (let i = 0; i < want.length; i++) if (f[at + i] !== want[i]) return false;
  return true;
}

function isZero(f: Uint8Array, at: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (f[at + i] !== 0) return false;
  return true;
}

const isGroup = (f: Uint8Array, at: number): boolean => ((f[at] ?? 0) & 1) === 1;

function ownedHere(f: Uint8Array, at: number, size: 4 | 16, v: OracleView): string | undefined {
  for (const o of v.owned) {
    if (o.bytes.length === size && same(f, at, o.bytes) && o.ifaces.includes(v.iface)) {
      return o.text;
    }
  }
  return undefined;
}

/** Not from us; to a group MAC or to ours. Ethernet source at 6, destination at 0. */
const fromPeerToUs = (f: Uint8Array, v: OracleView, senderAt: number | undefined): boolean =>
  !same(f, 6, v.mac) &&
  (senderAt === undefined || !same(f, senderAt, v.mac)) &&
  (isGroup(f, 0) || same(f, 0, v.mac));

// ARP after the 14-byte Ethernet header: htype 14, ptype 16, hlen 18, plen 19, op 20,
// sender MAC 22, sender IP 28, target MAC 32, target IP 38.
function arpAnswer(f: Uint8Array, v: OracleView): ExpectedReply | undefined {
  if (f.length < 42 || u16(f, 14) !== 1 || u16(f, 16) !== 0x0800) return undefined;
  if (f[18] !== 6 || f[19] !== 4 || u16(f, 20) !== 1) return undefined;
  const probe = isZero(f, 28, 4);
  const announcement = !probe && same(f, 28, f.subarray(38, 42));
  if (announcement || !fromPeerToUs(f, v, 22) || isGroup(f, 22)) return undefined;
  const ip = ownedHere(f, 38, 4, v);
  if (ip === undefined) return undefined;
  const out = new Uint8Array(60);
  out.set(f.subarray(22, 28), 0);
  out.set(v.mac, 6);
  out.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2], 12);
  out.set(v.mac, 22);
  out.set(f.subarray(38, 42), 28);
  out.set(f.subarray(22, 32), 32); // the asker's MAC and IP, adjacent in both
  return { protocol: "arp", ip, frame: out };
}

/** The ICMPv6 checksum field value over the pseudo-header (RFC 8200 8.1); 0 checks a message. */
export function icmpv6Sum(src: Uint8Array, dst: Uint8Array, message: Uint8Array): number {
  let sum = message.length + 58;
  const add = (b: Uint8Array) => {
    for (let i = 0; i < b.length; i += 2) sum += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  };
  add(src);
  add(dst);
  add(message);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

interface NsOptions {
  /** The first 1-unit source link-layer option's MAC (RFC 2464 8: Ethernet addresses). */
  readonly sourceLink: Uint8Array | undefined;
  /** A source link-layer option of any length is present. */
  readonly anySourceLink: boolean;
}

/** RFC 4861 4.6, 7.1.1: every option has a length > 0 and fits; undefined when one does not. */
function nsOptions(m: Uint8Array): NsOptions | undefined {
  let sourceLink: Uint8Array | undefined;
  let anySourceLink = false;
  let at = 24;
  while (at < m.length) {
    const length = 8 * (m[at + 1] ?? 0);
    if (length === 0 || at + length > m.length) return undefined;
    if (m[at] === 1) anySourceLink = true;
    if (m[at] === 1 && length === 8 && sourceLink === undefined) {
      sourceLink = m.subarray(at + 2, at + 8);
    }
    at += length;
  }
  return { sourceLink, anySourceLink };
}

const SOLICITED_NODE = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff];
const ALL_NODES = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const ALL_NODES_MAC = Uint8Array.from([0x33, 0x33, 0, 0, 0, 1]);

// IPv6 after the Ethernet header: version 14, payload length 18, next header 20, hop limit 21,
// source 22, destination 38; the ICMPv6 message from 54, its target at 8.

/** The ICMPv6 message of an IPv6 frame with hop limit 255 (RFC 4861 7.1.1), else undefined. */
function icmpv6OnLink(f: Uint8Array): Uint8Array | undefined {
  if (f.length < 54 || (f[14] ?? 0) >> 4 !== 6 || f[20] !== 58 || f[21] !== 255) return undefined;
  const length = u16(f, 18);
  return f.length < 54 + length ? undefined : f.subarray(54, 54 + length);
}

/** The message of a valid NS (RFC 4861 7.1.1; a multicast source is never valid), else undefined. */
function solicitation(f: Uint8Array): Uint8Array | undefined {
  const m = icmpv6OnLink(f);
  if (m === undefined || m.length < 24 || m[0] !== 135 || m[1] !== 0) return undefined;
  if (f[22] === 0xff || m[8] === 0xff) return undefined;
  return icmpv6Sum(f.subarray(22, 38), f.subarray(38, 54), m) === 0 ? m : undefined;
}

/** Where a valid NS not from us wants its answer: the MAC, and whether it is DAD. */
function solicitor(f: Uint8Array, v: OracleView): { mac: Uint8Array; dad: boolean } | undefined {
  const m = solicitation(f);
  const options = m && nsOptions(m);
  if (options === undefined || !fromPeerToUs(f, v, undefined)) return undefined;
  const link = options.sourceLink;
  if (link !== undefined && same(link, 0, v.mac)) return undefined;
  if (isZero(f, 22, 16)) {
    const valid = !options.anySourceLink && same(f, 38, SOLICITED_NODE);
    return valid ? { mac: ALL_NODES_MAC, dad: true } : undefined;
  }
  const mac = link ?? f.subarray(6, 12);
  return isGroup(mac, 0) ? undefined : { mac, dad: false };
}

function ndpAnswer(f: Uint8Array, v: OracleView): ExpectedReply | undefined {
  const to = solicitor(f, v);
  const ip = to && ownedHere(f, 62, 16, v);
  if (to === undefined || ip === undefined) return undefined;
  const target = f.subarray(62, 78);
  const out = new Uint8Array(86);
  out.set(to.mac, 0);
  out.set(v.mac, 6);
  out.set([0x86, 0xdd, 0x60, 0, 0, 0, 0, 32, 58, 255], 12);
  out.set(v.ipv6Source ?? target, 22);
  out.set(to.dad ? ALL_NODES : f.subarray(22, 38), 38);
  // R=0, S=1 unless answering DAD (RFC 4861 7.2.4), O=1; a target link-layer option.
  out.set([136, 0, 0, 0, to.dad ? 0x20 : 0x60, 0, 0, 0], 54);
  out.set(target, 62);
  out.set([2, 1, ...v.mac], 78);
  const sum = icmpv6Sum(out.subarray(22, 38), out.subarray(38, 54), out.subarray(54));
  out.set([sum >> 8, sum & 0xff], 56);
  return { protocol: "ndp", ip, frame: out };
}

/** The answer the responder owes this frame on `view`'s interface, or undefined: none. */
export function expectedReply(frame: Uint8Array, view: OracleView): ExpectedReply | undefined {
  if (frame.length < 14) return undefined;
  const type = u16(frame, 12);
  if (type === 0x0806) return arpAnswer(frame, view);
  return type === 0x86dd ? ndpAnswer(frame, view) : undefined;
}
