/**
 * ARP for Ethernet and IPv4 (RFC 826), with the RFC 5227 probe and announcement forms.
 * Packet layout after the 14-byte Ethernet header (28 bytes):
 *   htype(2)=1  ptype(2)=0x0800  hlen(1)=6  plen(1)=4  op(2)
 *   sender MAC(6)  sender IP(4)  target MAC(6)  target IP(4)
 * The receive path (`checkArp`, `encodeArpAnswer`) works on the frame's bytes and builds text
 * only for what it is asked; `decodeArp` gives every field as text.
 */
import { formatIpAt, ipToBytes, parseIp } from "../../lib/core/ip.js";
import { err, ok, type Result } from "../../lib/core/result.js";
import {
  BROADCAST_MAC,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE,
  MAC_LENGTH,
  MIN_FRAME_LENGTH,
  ZERO_MAC,
  checkEthernet,
  encodeEthernet,
  ethertypeOf,
  formatMac,
  macToBytes,
  writeMac,
  type EthernetErrorCode,
} from "./ethernet.js";

export const ARP_OP = { request: 1, reply: 2 } as const;
export type ArpOp = (typeof ARP_OP)[keyof typeof ARP_OP];
export const ARP_PACKET_LENGTH = 28;
export const UNSPECIFIED_IPV4 = "0.0.0.0";

/**
 * - `probe`: request with sender IP 0.0.0.0 (RFC 5227 2.1.1), someone checking an address.
 * - `announcement`: request with sender IP = target IP (RFC 5227 2.3, "gratuitous ARP").
 * - `request`: any other request, a host resolving the target IP.
 * - `reply`: op 2, including gratuitous replies; the sender IP/MAC is the claimed binding.
 */
export type ArpKind = "request" | "probe" | "announcement" | "reply";

export interface ArpPacket {
  readonly ethDst: string;
  readonly ethSrc: string;
  readonly op: ArpOp;
  readonly kind: ArpKind;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

export type ArpErrorCode =
  | EthernetErrorCode
  | "NOT_ARP"
  | "BAD_HARDWARE_TYPE"
  | "BAD_PROTOCOL_TYPE"
  | "BAD_ADDRESS_LENGTHS"
  | "UNKNOWN_OP";
export interface ArpError {
  readonly code: ArpErrorCode;
}

const HTYPE_ETHERNET = 1;

/** Where each address sits in an Ethernet frame carrying ARP. */
export const ARP_AT = {
  ethDst: 0,
  ethSrc: 6,
  senderMac: ETHERNET_HEADER_LENGTH + 8,
  senderIp: ETHERNET_HEADER_LENGTH + 14,
  targetMac: ETHERNET_HEADER_LENGTH + 18,
  targetIp: ETHERNET_HEADER_LENGTH + 24,
} as const;

/**
 * An ARP frame that passed every check of `decodeArp`, its addresses still in `frame` (at
 * `ARP_AT`): the receive path reads only the ones it needs, as bytes or with `arpIpAt`.
 */
export interface ArpFrame {
  readonly frame: Uint8Array;
  readonly op: ArpOp;
  readonly kind: ArpKind;
}

const u16At = (bytes: Uint8Array, at: number): number =>
  ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);

const IPV4_LENGTH = 4;
const isZeroIpAt = (bytes: Uint8Array, at: number): boolean =>
  bytes[at] === 0 && bytes[at + 1] === 0 && bytes[at + 2] === 0 && bytes[at + 3] === 0;
const sameIpsAt = (bytes: Uint8Array, a: number, b: number): boolean =>
  bytes[a] === bytes[b] &&
  bytes[a + 1] === bytes[b + 1] &&
  bytes[a + 2] === bytes[b + 2] &&
  bytes[a + 3] === bytes[b + 3];

/**
 * Text of the IPv4 addresses seen lately, by value, in a small direct-mapped table: a node hears
 * the same few (its IPs, its clients) over and over, and building the text is what costs most
 * in answering a request. Only ever holds `formatIpAt`'s result for the key.
 */
const RECENT_IPS = 256;
const recentIpKeys = new Int32Array(RECENT_IPS);
const recentIpTexts = new Array<string | undefined>(RECENT_IPS).fill(undefined);

/** Canonical text of the IPv4 address at `offset` (`ARP_AT.senderIp` or `ARP_AT.targetIp`). */
export function arpIpAt(frame: Uint8Array, offset: number): string {
  if (offset < 0 || frame.length - offset < IPV4_LENGTH) return formatIpAt(frame, offset, "IPv4");
  const key =
    ((frame[offset] ?? 0) << 24) |
    ((frame[offset + 1] ?? 0) << 16) |
    ((frame[offset + 2] ?? 0) << 8) |
    (frame[offset + 3] ?? 0);
  const slot = Math.imul(key, 0x9e3779b1) >>> 24;
  const known = recentIpTexts[slot];
  if (known !== undefined && recentIpKeys[slot] === key) return known;
  const text = formatIpAt(frame, offset, "IPv4");
  recentIpKeys[slot] = key;
  recentIpTexts[slot] = text;
  return text;
}

/** The sender IP is 0.0.0.0 for a probe and equals the target IP for an announcement. */
function classify(frame: Uint8Array, op: ArpOp): ArpKind {
  if (op === ARP_OP.reply) return "reply";
  if (isZeroIpAt(frame, ARP_AT.senderIp)) return "probe";
  return sameIpsAt(frame, ARP_AT.senderIp, ARP_AT.targetIp) ? "announcement" : "request";
}

function checkHeader(frame: Uint8Array): ArpErrorCode | undefined {
  const at = ETHERNET_HEADER_LENGTH;
  if (u16At(frame, at) !== HTYPE_ETHERNET) return "BAD_HARDWARE_TYPE";
  if (u16At(frame, at + 2) !== ETHERTYPE.ipv4) return "BAD_PROTOCOL_TYPE";
  if (frame[at + 4] !== MAC_LENGTH || frame[at + 5] !== IPV4_LENGTH) return "BAD_ADDRESS_LENGTHS";
  const op = u16At(frame, at + 6);
  return op === ARP_OP.request || op === ARP_OP.reply ? undefined : "UNKNOWN_OP";
}

/** Checks an Ethernet frame carrying ARP for Ethernet/IPv4, as `decodeArp`, without decoding. */
export function checkArp(frame: Uint8Array): Result<ArpFrame, ArpError> {
  const bad = checkEthernet(frame);
  if (bad !== undefined) return err({ code: bad });
  if (ethertypeOf(frame) !== ETHERTYPE.arp) return err({ code: "NOT_ARP" });
  if (frame.length < ETHERNET_HEADER_LENGTH + ARP_PACKET_LENGTH) return err({ code: "TRUNCATED" });
  const code = checkHeader(frame);
  if (code !== undefined) return err({ code });
  const op = u16At(frame, ETHERNET_HEADER_LENGTH + 6) as ArpOp;
  return ok({ frame, op, kind: classify(frame, op) });
}

/** Decodes an Ethernet frame carrying ARP for Ethernet/IPv4. Never throws. */
export function decodeArp(frame: Uint8Array): Result<ArpPacket, ArpError> {
  const checked = checkArp(frame);
  if (!checked.ok) return checked;
  const { op, kind } = checked.value;
  return ok({
    ethDst: formatMac(frame, ARP_AT.ethDst),
    ethSrc: formatMac(frame, ARP_AT.ethSrc),
    op,
    kind,
    senderMac: formatMac(frame, ARP_AT.senderMac),
    senderIp: arpIpAt(frame, ARP_AT.senderIp),
    targetMac: formatMac(frame, ARP_AT.targetMac),
    targetIp: arpIpAt(frame, ARP_AT.targetIp),
  });
}

/** Bytes 12-21 of a reply: ethertype ARP, htype Ethernet, ptype IPv4, lengths 6 and 4, op 2. */
const REPLY_HEADER = Uint8Array.from([0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02]);

/**
 * The reply to a checked request or probe, from `mac`, for the IP it asked about: the same
 * bytes as `encodeArpReplyTo(decodeArp(frame), mac, targetIp)`, copied from the request.
 */
export function encodeArpAnswer(request: ArpFrame, mac: string): Uint8Array {
  const { frame } = request;
  const out = new Uint8Array(MIN_FRAME_LENGTH);
  for (let i = 0; i < MAC_LENGTH; i++) out[i] = frame[ARP_AT.senderMac + i] ?? 0;
  writeMac(out, ARP_AT.ethSrc, mac);
  out.set(REPLY_HEADER, 12);
  writeMac(out, ARP_AT.senderMac, mac);
  for (let i = 0; i < IPV4_LENGTH; i++) out[ARP_AT.senderIp + i] = frame[ARP_AT.targetIp + i] ?? 0;
  // The requester's MAC and IP, adjacent in both, become the target's.
  for (let i = 0; i < MAC_LENGTH + IPV4_LENGTH; i++) {
    out[ARP_AT.targetMac + i] = frame[ARP_AT.senderMac + i] ?? 0;
  }
  return out;
}

function ipv4Bytes(text: string): Uint8Array {
  const ip = parseIp(text);
  if (ip?.family !== "IPv4") throw new TypeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return ipToBytes(ip);
}

export interface ArpFields {
  readonly op: ArpOp;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
  /** Ethernet destination. */
  readonly ethDst: string;
  /** Ethernet source; the sender MAC when absent. */
  readonly ethSrc?: string;
}

/** Any ARP frame, padded to 60 bytes. Addresses are validated by the caller; bad ones throw. */
export function encodeArp(fields: ArpFields): Uint8Array {
  const payload = new Uint8Array(ARP_PACKET_LENGTH);
  const view = new DataView(payload.buffer);
  view.setUint16(0, HTYPE_ETHERNET);
  view.setUint16(2, ETHERTYPE.ipv4);
  view.setUint8(4, 6);
  view.setUint8(5, 4);
  view.setUint16(6, fields.op);
  payload.set(macToBytes(fields.senderMac), 8);
  payload.set(ipv4Bytes(fields.senderIp), 14);
  payload.set(macToBytes(fields.targetMac), 18);
  payload.set(ipv4Bytes(fields.targetIp), 24);
  const header = { dst: fields.ethDst, src: fields.ethSrc ?? fields.senderMac };
  return encodeEthernet({ ...header, ethertype: ETHERTYPE.arp }, payload);
}

/** Broadcast "who has targetIp? tell senderIp". */
export const encodeArpRequest = (q: {
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetIp: string;
}): Uint8Array =>
  encodeArp({ ...q, op: ARP_OP.request, targetMac: ZERO_MAC, ethDst: BROADCAST_MAC });

/** Unicast reply "senderIp is at senderMac", sent to targetMac. */
export const encodeArpReply = (r: {
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}): Uint8Array => encodeArp({ ...r, op: ARP_OP.reply, ethDst: r.targetMac });

/** The reply to a decoded request or probe for `ip`, from `mac` (Linux answers probes alike). */
export const encodeArpReplyTo = (request: ArpPacket, mac: string, ip: string): Uint8Array =>
  encodeArpReply({
    senderMac: mac,
    senderIp: ip,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  });

/** RFC 5227 ARP announcement: broadcast request with sender IP = target IP, target MAC zero. */
export const encodeGratuitousArp = (mac: string, ip: string): Uint8Array =>
  encodeArp({
    op: ARP_OP.request,
    senderMac: mac,
    senderIp: ip,
    targetMac: ZERO_MAC,
    targetIp: ip,
    ethDst: BROADCAST_MAC,
  });

/** RFC 5227 ARP probe: broadcast request with sender IP 0.0.0.0, target MAC zero. */
export const encodeArpProbe = (mac: string, ip: string): Uint8Array =>
  encodeArp({
    op: ARP_OP.request,
    senderMac: mac,
    senderIp: UNSPECIFIED_IPV4,
    targetMac: ZERO_MAC,
    targetIp: ip,
    ethDst: BROADCAST_MAC,
  });

/**
 * The reply form of a gratuitous ARP (RFC 5944 4.6): broadcast op 2 with sender IP = target IP =
 * `ip`, and sender MAC = target MAC = `mac`, the binding to update. Some switches and routers
 * update their tables only from replies, some only from requests: an announcement sends both
 * (MetalLB does too, with the broadcast address as target MAC; RFC 5944 says our own).
 */
export const encodeGratuitousArpReply = (mac: string, ip: string): Uint8Array =>
  encodeArp({
    op: ARP_OP.reply,
    senderMac: mac,
    senderIp: ip,
    targetMac: mac,
    targetIp: ip,
    ethDst: BROADCAST_MAC,
  });
