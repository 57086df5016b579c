/**
 * The NDP half of the responder oracle (./reply-oracle.ts): which Neighbor Solicitations
 * deserve an advertisement, and its bytes, read and built from RFC 4861 on raw bytes with the
 * oracle's own helpers (./oracle-bytes.ts), sharing no code with ../ndp.ts or ../ipv6.ts.
 * - Valid (7.1.1): IPv6, next header ICMPv6, hop limit 255, the whole payload present, type 135
 *   code 0, 24 bytes at least, checksum right, source and target not multicast, every option of
 *   length > 0 and inside the message; from `::` (DAD) only to a solicited-node group and
 *   without a source link-layer option of any length.
 * - Ours to answer (7.2.3): target owned on this interface; Ethernet destination a group MAC or
 *   ours; not sent by us (Ethernet source, source link-layer option). The IPv6 destination of a
 *   non-DAD solicitation is not checked, so a unicast solicitation (NUD, 7.3.1: to our MAC, the
 *   IPv6 destination the target itself) is answered like a multicast one.
 * - The answer (7.2.4): R=0, O=1, a target link-layer option with our MAC, from the view's IPv6
 *   source or else the target; S=1 and unicast to the solicitor (its 1-unit source link-layer
 *   option, RFC 2464 8, else its Ethernet source; none when that is a group MAC); to DAD: S=0,
 *   to all-nodes.
 */
import { icmpv6Sum, isGroup, isZero, same, u16 } from "./oracle-bytes.js";

const SOLICITED_NODE = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff];
const ALL_NODES = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const ALL_NODES_MAC = [0x33, 0x33, 0, 0, 0, 1];

/** This interface as the NDP oracle needs it. */
export interface NdpSide {
  readonly mac: readonly number[];
  /** The owned text of the 16 bytes at `at` when owned on this interface, else undefined. */
  readonly ownedHere: (f: Uint8Array, at: number) => string | undefined;
  readonly ipv6Source: readonly number[] | undefined;
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

/** Not from our MAC; to a group MAC or to ours (a unicast solicitation). */
const fromPeerToUs = (f: Uint8Array, mac: readonly number[]): boolean =>
  !same(f, 6, mac) && (isGroup(f, 0) || same(f, 0, mac));

/** Where a valid NS not from us wants its answer: the MAC, and whether it is DAD. */
function solicitor(
  f: Uint8Array,
  v: NdpSide,
): { mac: ArrayLike<number>; dad: boolean } | undefined {
  const m = solicitation(f);
  const options = m && nsOptions(m);
  if (options === undefined || !fromPeerToUs(f, v.mac)) return undefined;
  const link = options.sourceLink;
  if (link !== undefined && same(link, 0, v.mac)) return undefined;
  if (isZero(f, 22, 16)) {
    const valid = !options.anySourceLink && same(f, 38, SOLICITED_NODE);
    return valid ? { mac: ALL_NODES_MAC, dad: true } : undefined;
  }
  const mac = link ?? f.subarray(6, 12);
  return isGroup(mac, 0) ? undefined : { mac, dad: false };
}

/** The advertisement a Neighbor Solicitation in `f` is owed on this side, or undefined. */
export function ndpAnswer(
  f: Uint8Array,
  v: NdpSide,
): { ip: string; frame: Uint8Array } | undefined {
  const to = solicitor(f, v);
  const ip = to && v.ownedHere(f, 62);
  if (to === undefined || ip === undefined) return undefined;
  const target = f.subarray(62, 78);
  const out = new Uint8Array(86);
  out.set(Array.from(to.mac), 0);
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
  return { ip, frame: out };
}
