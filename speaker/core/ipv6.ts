/**
 * The IPv6 fixed header (RFC 8200) and the ICMPv6 checksum over the IPv6 pseudo-header
 * (RFC 8200 8.1, RFC 4443 2.3). Layout of the 40-byte header:
 *   version(4)=6 traffic class(8) flow label(20) | payload length(16) next header(8) hop limit(8)
 *   source address(128) | destination address(128)
 */
import { formatIp, formatIpAt, ipFromBytes, ipToBytes, parseIp } from "../../lib/core/ip.js";
import { err, ok, type Result } from "../../lib/core/result.js";

export const IPV6_HEADER_LENGTH = 40;
export const NEXT_HEADER_ICMPV6 = 58;
export const UNSPECIFIED_IPV6 = "::";

export interface Ipv6Header {
  readonly src: string;
  readonly dst: string;
  readonly nextHeader: number;
  readonly hopLimit: number;
}

export interface Ipv6Packet extends Ipv6Header {
  /** Exactly `payload length` bytes; link-layer padding is cut off. */
  readonly payload: Uint8Array;
  /** Raw addresses, as the pseudo-header needs them. */
  readonly srcBytes: Uint8Array;
  readonly dstBytes: Uint8Array;
}

export type Ipv6ErrorCode = "TRUNCATED" | "BAD_IP_VERSION";
export interface Ipv6Error {
  readonly code: Ipv6ErrorCode;
}

/** Decodes the fixed header of an IPv6 packet. Never throws. */
export function decodeIpv6(packet: Uint8Array): Result<Ipv6Packet, Ipv6Error> {
  if (packet.length < IPV6_HEADER_LENGTH) return err({ code: "TRUNCATED" });
  if ((packet[0] ?? 0) >> 4 !== 6) return err({ code: "BAD_IP_VERSION" });
  const payloadLength = ((packet[4] ?? 0) << 8) | (packet[5] ?? 0);
  if (packet.length < IPV6_HEADER_LENGTH + payloadLength) return err({ code: "TRUNCATED" });
  const srcBytes = packet.subarray(8, 24);
  const dstBytes = packet.subarray(24, 40);
  return ok({
    src: formatIpAt(packet, 8, "IPv6"),
    dst: formatIpAt(packet, 24, "IPv6"),
    nextHeader: packet[6] ?? 0,
    hopLimit: packet[7] ?? 0,
    payload: packet.subarray(IPV6_HEADER_LENGTH, IPV6_HEADER_LENGTH + payloadLength),
    srcBytes,
    dstBytes,
  });
}

/** Parsed addresses by text: encoding an answer parses the same few each time. Bounded. */
const bytesByText = new Map<string, Uint8Array>();
const REMEMBERED_ADDRESSES = 64;

/** Bytes of an IPv6 address the caller already validated (a fresh copy); a bad one throws. */
export function ipv6Bytes(text: string): Uint8Array {
  const known = bytesByText.get(text);
  if (known !== undefined) return known.slice();
  const ip = parseIp(text);
  if (ip?.family !== "IPv6") throw new TypeError(`not an IPv6 address: ${JSON.stringify(text)}`);
  const bytes = ipToBytes(ip);
  if (bytesByText.size >= REMEMBERED_ADDRESSES) bytesByText.clear();
  bytesByText.set(text, bytes.slice());
  return bytes;
}

/** Header plus payload; traffic class and flow label are zero. */
export function encodeIpv6(header: Ipv6Header, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(IPV6_HEADER_LENGTH + payload.length);
  const view = new DataView(packet.buffer);
  view.setUint32(0, 6 << 28);
  view.setUint16(4, payload.length);
  view.setUint8(6, header.nextHeader);
  view.setUint8(7, header.hopLimit);
  packet.set(ipv6Bytes(header.src), 8);
  packet.set(ipv6Bytes(header.dst), 24);
  packet.set(payload, IPV6_HEADER_LENGTH);
  return packet;
}

/** One's-complement sum of 16-bit big-endian words, an odd last byte padded with zero. */
function onesComplementSum(bytes: Uint8Array, start: number): number {
  let sum = start;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * The ICMPv6 checksum of `message` between `src` and `dst` (16 bytes each). Computed over the
 * message as given: with the checksum field zeroed this is the value to write; over a received
 * message it is 0 exactly when the checksum is correct.
 */
export function icmpv6Checksum(src: Uint8Array, dst: Uint8Array, message: Uint8Array): number {
  // The pseudo-header's words: source, destination, 32-bit length, zeros, next header.
  const length = message.length;
  const pseudo = onesComplementSum(dst, onesComplementSum(src, 0));
  const sum = onesComplementSum(
    message,
    pseudo + (length >>> 16) + (length & 0xffff) + NEXT_HEADER_ICMPV6,
  );
  return ~sum & 0xffff;
}

/** Writes the checksum into bytes 2-3 of an ICMPv6 message (whose checksum field is zero). */
export function sealIcmpv6(header: Ipv6Header, message: Uint8Array): Uint8Array {
  const checksum = icmpv6Checksum(ipv6Bytes(header.src), ipv6Bytes(header.dst), message);
  message[2] = checksum >> 8;
  message[3] = checksum & 0xff;
  return message;
}

/** The Ethernet multicast MAC of an IPv6 multicast address: 33:33 + its last 32 bits (RFC 2464). */
export function multicastMac(ip: string): string {
  const bytes = ipv6Bytes(ip).subarray(12);
  return ["33", "33", ...Array.from(bytes, (b) => b.toString(16).padStart(2, "0"))].join(":");
}

/**
 * The solicited-node multicast group of an address (RFC 4291 2.7.1): ff02::1:ff00:0/104 plus the
 * last 24 bits of the address, and its Ethernet MAC 33:33:ff:XX:XX:XX.
 */
export function solicitedNodeMulticast(ip: string): { readonly ip: string; readonly mac: string } {
  const bytes = ipv6Bytes(ip);
  const group = ipv6Bytes("ff02::1:ff00:0");
  group.set(bytes.subarray(13), 13);
  const text = formatIp(ipFromBytes(group));
  return { ip: text, mac: multicastMac(text) };
}

/** True for ff00::/8. */
export const isMulticastIpv6 = (bytes: Uint8Array): boolean => bytes[0] === 0xff;
