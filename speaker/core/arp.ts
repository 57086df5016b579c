/**
 * ARP for Ethernet and IPv4 (RFC 826), with the RFC 5227 probe and announcement forms.
 * Packet layout after the 14-byte Ethernet header (28 bytes):
 *   htype(2)=1  ptype(2)=0x0800  hlen(1)=6  plen(1)=4  op(2)
 *   sender MAC(6)  sender IP(4)  target MAC(6)  target IP(4)
 */
import { formatIp, ipFromBytes, ipToBytes, parseIp } from "../../lib/core/ip.js";
import { err, ok, type Result } from "../../lib/core/result.js";
import {
  BROADCAST_MAC,
  ETHERTYPE,
  ZERO_MAC,
  decodeEthernet,
  encodeEthernet,
  formatMac,
  macToBytes,
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

function classify(op: ArpOp, senderIp: string, targetIp: string): ArpKind {
  if (op === ARP_OP.reply) return "reply";
  if (senderIp === UNSPECIFIED_IPV4) return "probe";
  return senderIp === targetIp ? "announcement" : "request";
}

const ipv4At = (bytes: Uint8Array, offset: number): string =>
  formatIp(ipFromBytes(bytes.subarray(offset, offset + 4)));

function checkHeader(arp: DataView): ArpErrorCode | undefined {
  if (arp.getUint16(0) !== HTYPE_ETHERNET) return "BAD_HARDWARE_TYPE";
  if (arp.getUint16(2) !== ETHERTYPE.ipv4) return "BAD_PROTOCOL_TYPE";
  if (arp.getUint8(4) !== 6 || arp.getUint8(5) !== 4) return "BAD_ADDRESS_LENGTHS";
  const op = arp.getUint16(6);
  return op === ARP_OP.request || op === ARP_OP.reply ? undefined : "UNKNOWN_OP";
}

/** Decodes an Ethernet frame carrying ARP for Ethernet/IPv4. Never throws. */
export function decodeArp(frame: Uint8Array): Result<ArpPacket, ArpError> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  const { payload } = eth.value;
  if (eth.value.ethertype !== ETHERTYPE.arp) return err({ code: "NOT_ARP" });
  if (payload.length < ARP_PACKET_LENGTH) return err({ code: "TRUNCATED" });
  const view = new DataView(payload.buffer, payload.byteOffset, ARP_PACKET_LENGTH);
  const bad = checkHeader(view);
  if (bad) return err({ code: bad });
  const op = view.getUint16(6) as ArpOp;
  const senderIp = ipv4At(payload, 14);
  const targetIp = ipv4At(payload, 24);
  return ok({
    ethDst: eth.value.dst,
    ethSrc: eth.value.src,
    op,
    kind: classify(op, senderIp, targetIp),
    senderMac: formatMac(payload, 8),
    senderIp,
    targetMac: formatMac(payload, 18),
    targetIp,
  });
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
