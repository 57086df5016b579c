/**
 * IPv6 Neighbor Discovery (RFC 4861) over Ethernet: Neighbor Solicitation (ICMPv6 type 135) and
 * Neighbor Advertisement (type 136), with the validity checks of RFC 4861 7.1.
 * ICMPv6 layout after the 40-byte IPv6 header:
 *   type(1) code(1)=0 checksum(2) | NS: reserved(4) | NA: R S O flags + reserved(4)
 *   target address(16) | options: type(1) length(1, units of 8 bytes) value
 * Link-layer address options: 1 = source (on NS), 2 = target (on NA), 6-byte MAC for Ethernet.
 */
import { formatIpAt } from "../../lib/core/ip.js";
import { err, ok, type Result } from "../../lib/core/result.js";
import {
  ETHERTYPE,
  decodeEthernet,
  encodeEthernet,
  formatMac,
  macToBytes,
  type EthernetErrorCode,
} from "./ethernet.js";
import {
  NEXT_HEADER_ICMPV6,
  UNSPECIFIED_IPV6,
  decodeIpv6,
  encodeIpv6,
  icmpv6Checksum,
  ipv6Bytes,
  isMulticastIpv6,
  sealIcmpv6,
  solicitedNodeMulticast,
  type Ipv6ErrorCode,
  type Ipv6Packet,
} from "./ipv6.js";
export { solicitedNodeMulticast } from "./ipv6.js";

export const ICMPV6_TYPE = { neighborSolicitation: 135, neighborAdvertisement: 136 } as const;
export const NDP_OPTION = { sourceLinkAddress: 1, targetLinkAddress: 2 } as const;
export const ALL_NODES = { ip: "ff02::1", mac: "33:33:00:00:00:01" } as const;
export const NDP_HOP_LIMIT = 255;
const MESSAGE_LENGTH = 24;
const FLAG = { router: 0x80, solicited: 0x40, override: 0x20 } as const;

interface NdpCommon {
  readonly ethDst: string;
  readonly ethSrc: string;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly target: string;
}
export interface NeighborSolicitation extends NdpCommon {
  readonly type: "solicitation";
  readonly sourceLinkAddress: string | undefined;
  /** Duplicate Address Detection: the source is the unspecified address `::`. */
  readonly dad: boolean;
}
export interface NeighborAdvertisement extends NdpCommon {
  readonly type: "advertisement";
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly targetLinkAddress: string | undefined;
}
export type NdpMessage = NeighborSolicitation | NeighborAdvertisement;

export type NdpErrorCode =
  | EthernetErrorCode
  | Ipv6ErrorCode
  | "NOT_IPV6"
  | "NOT_ICMPV6"
  | "NOT_NDP"
  | "BAD_HOP_LIMIT"
  | "BAD_CODE"
  | "BAD_CHECKSUM"
  | "BAD_OPTION_LENGTH"
  | "MULTICAST_SOURCE"
  | "MULTICAST_TARGET"
  | "BAD_DAD_SOLICITATION"
  | "SOLICITED_TO_MULTICAST";
export interface NdpError {
  readonly code: NdpErrorCode;
}

function checkMessage(ip: Ipv6Packet): NdpErrorCode | undefined {
  const msg = ip.payload;
  if (ip.nextHeader !== NEXT_HEADER_ICMPV6) return "NOT_ICMPV6";
  if (msg.length < 4) return "TRUNCATED";
  const type = msg[0];
  if (type !== ICMPV6_TYPE.neighborSolicitation && type !== ICMPV6_TYPE.neighborAdvertisement) {
    return "NOT_NDP";
  }
  if (ip.hopLimit !== NDP_HOP_LIMIT) return "BAD_HOP_LIMIT";
  if (isMulticastIpv6(ip.srcBytes)) return "MULTICAST_SOURCE";
  if (msg[1] !== 0) return "BAD_CODE";
  if (msg.length < MESSAGE_LENGTH) return "TRUNCATED";
  if (icmpv6Checksum(ip.srcBytes, ip.dstBytes, msg) !== 0) return "BAD_CHECKSUM";
  return isMulticastIpv6(msg.subarray(8, 24)) ? "MULTICAST_TARGET" : undefined;
}

interface LinkOptions {
  /** The MAC of the first 1-unit (Ethernet, RFC 2464 8) option of each type. */
  readonly macs: Map<number, string>;
  /** Whether a source link-layer address option is present, whatever its length. */
  readonly hasSourceLink: boolean;
}

/** Ethernet link-layer address options by type (first of each); rejects zero-length options. */
function parseLinkOptions(options: Uint8Array): Result<LinkOptions, NdpError> {
  const macs = new Map<number, string>();
  let hasSourceLink = false;
  for (let at = 0; at < options.length;) {
    const units = options[at + 1] ?? 0;
    if (units === 0 || at + units * 8 > options.length) return err({ code: "BAD_OPTION_LENGTH" });
    const type = options[at] ?? 0;
    if (type === NDP_OPTION.sourceLinkAddress) hasSourceLink = true;
    if (units === 1 && !macs.has(type)) macs.set(type, formatMac(options, at + 2));
    at += units * 8;
  }
  return ok({ macs, hasSourceLink });
}

const SOLICITED_NODE_PREFIX = ipv6Bytes("ff02::1:ff00:0").subarray(0, 13);
const isSolicitedNode = (bytes: Uint8Array): boolean =>
  SOLICITED_NODE_PREFIX.every((b, i) => bytes[i] === b);

function toMessage(
  common: NdpCommon,
  ip: Ipv6Packet,
  links: LinkOptions,
): Result<NdpMessage, NdpError> {
  const msg = ip.payload;
  if (msg[0] === ICMPV6_TYPE.neighborSolicitation) {
    const sourceLinkAddress = links.macs.get(NDP_OPTION.sourceLinkAddress);
    const dad = common.srcIp === UNSPECIFIED_IPV6;
    // RFC 4861 7.1.1: a DAD solicitation carries no source link-layer option, of any length.
    if (dad && (links.hasSourceLink || !isSolicitedNode(ip.dstBytes))) {
      return err({ code: "BAD_DAD_SOLICITATION" });
    }
    return ok({ ...common, type: "solicitation", sourceLinkAddress, dad });
  }
  const flags = msg[4] ?? 0;
  const solicited = (flags & FLAG.solicited) !== 0;
  if (solicited && isMulticastIpv6(ip.dstBytes)) return err({ code: "SOLICITED_TO_MULTICAST" });
  return ok({
    ...common,
    type: "advertisement",
    router: (flags & FLAG.router) !== 0,
    solicited,
    override: (flags & FLAG.override) !== 0,
    targetLinkAddress: links.macs.get(NDP_OPTION.targetLinkAddress),
  });
}

/** Decodes an Ethernet frame carrying a Neighbor Solicitation or Advertisement. Never throws. */
export function decodeNdp(frame: Uint8Array): Result<NdpMessage, NdpError> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  if (eth.value.ethertype !== ETHERTYPE.ipv6) return err({ code: "NOT_IPV6" });
  const ip = decodeIpv6(eth.value.payload);
  if (!ip.ok) return ip;
  const bad = checkMessage(ip.value);
  if (bad) return err({ code: bad });
  const msg = ip.value.payload;
  const links = parseLinkOptions(msg.subarray(MESSAGE_LENGTH));
  if (!links.ok) return links;
  const common = {
    ethDst: eth.value.dst,
    ethSrc: eth.value.src,
    srcIp: ip.value.src,
    dstIp: ip.value.dst,
    target: formatIpAt(msg, 8, "IPv6"),
  };
  return toMessage(common, ip.value, links.value);
}

interface Addressing {
  readonly srcMac: string;
  readonly srcIp: string;
  readonly dstMac: string;
  readonly dstIp: string;
  readonly target: string;
}

function encodeNdp(a: Addressing, message: Uint8Array): Uint8Array {
  message.set(ipv6Bytes(a.target), 8);
  const header = {
    src: a.srcIp,
    dst: a.dstIp,
    nextHeader: NEXT_HEADER_ICMPV6,
    hopLimit: NDP_HOP_LIMIT,
  };
  const packet = encodeIpv6(header, sealIcmpv6(header, message));
  return encodeEthernet({ dst: a.dstMac, src: a.srcMac, ethertype: ETHERTYPE.ipv6 }, packet);
}

function newMessage(icmpType: number, option?: { type: number; mac: string }): Uint8Array {
  const message = new Uint8Array(MESSAGE_LENGTH + (option ? 8 : 0));
  message[0] = icmpType;
  if (option) message.set([option.type, 1, ...macToBytes(option.mac)], MESSAGE_LENGTH);
  return message;
}

export interface AdvertisementFields extends Addressing {
  readonly solicited: boolean;
  readonly override: boolean;
  readonly router?: boolean;
}

/** Any Neighbor Advertisement, with a target link-layer address option carrying `srcMac`. */
export function encodeNeighborAdvertisement(f: AdvertisementFields): Uint8Array {
  const option = { type: NDP_OPTION.targetLinkAddress, mac: f.srcMac };
  const message = newMessage(ICMPV6_TYPE.neighborAdvertisement, option);
  const flags =
    (f.router === true ? FLAG.router : 0) |
    (f.solicited ? FLAG.solicited : 0) |
    (f.override ? FLAG.override : 0);
  message[4] = flags;
  return encodeNdp(f, message);
}

/** Any Neighbor Solicitation; with `sourceLinkAddress` true it carries `srcMac` as option 1. */
export function encodeNeighborSolicitation(
  f: Addressing & { readonly sourceLinkAddress: boolean },
): Uint8Array {
  const option = f.sourceLinkAddress
    ? { type: NDP_OPTION.sourceLinkAddress, mac: f.srcMac }
    : undefined;
  return encodeNdp(f, newMessage(ICMPV6_TYPE.neighborSolicitation, option));
}

/**
 * The answer to a decoded solicitation, advertising its target at `mac` (R=0, O=1). To the solicitor's
 * address and MAC (its source link-layer option, else the Ethernet source) with S=1; to a DAD
 * solicitation (source `::`) to all-nodes with S=0, as RFC 4861 7.2.4 requires. The IPv6 source
 * is `srcIp` (the interface's link-local address) when given, else the target itself.
 */
export function encodeSolicitedAdvertisement(
  ns: NeighborSolicitation,
  mac: string,
  srcIp?: string,
): Uint8Array {
  const to = ns.dad ? ALL_NODES : { ip: ns.srcIp, mac: ns.sourceLinkAddress ?? ns.ethSrc };
  return encodeNeighborAdvertisement({
    srcMac: mac,
    srcIp: srcIp ?? ns.target,
    dstMac: to.mac,
    dstIp: to.ip,
    target: ns.target,
    solicited: !ns.dad,
    override: true,
  });
}

/** Unsolicited advertisement (S=0, O=1) to all-nodes: the IPv6 counterpart of gratuitous ARP. */
export const encodeUnsolicitedAdvertisement = (
  mac: string,
  ip: string,
  srcIp?: string,
): Uint8Array =>
  encodeNeighborAdvertisement({
    srcMac: mac,
    srcIp: srcIp ?? ip,
    dstMac: ALL_NODES.mac,
    dstIp: ALL_NODES.ip,
    target: ip,
    solicited: false,
    override: true,
  });

/** DAD probe (RFC 4862 5.4.2): source `::`, to the target's solicited-node group, no options. */
export function encodeDadSolicitation(mac: string, ip: string): Uint8Array {
  const group = solicitedNodeMulticast(ip);
  return encodeNeighborSolicitation({
    srcMac: mac,
    srcIp: UNSPECIFIED_IPV6,
    dstMac: group.mac,
    dstIp: group.ip,
    target: ip,
    sourceLinkAddress: false,
  });
}
