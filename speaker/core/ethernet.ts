/**
 * Ethernet II framing (IEEE 802.3 type-interpreted frames) and MAC address text helpers.
 * Frames are handled without the 4-byte FCS, which the NIC adds and strips.
 * MAC addresses travel through the core as canonical lowercase text, "aa:bb:cc:dd:ee:ff"; the
 * receive path compares and copies them against frame bytes without building that text
 * (`isMacAt`, `isGroupMacAt`, `writeMac`).
 */
import { err, ok, type Result } from "../../lib/core/result.js";

export const ETHERTYPE = {
  ipv4: 0x0800,
  arp: 0x0806,
  ipv6: 0x86dd,
  vlan: 0x8100,
  qinq: 0x88a8,
} as const;

export const ETHERNET_HEADER_LENGTH = 14;
/** The shortest frame on the wire, FCS excluded; shorter frames are zero-padded. */
export const MIN_FRAME_LENGTH = 60;
export const MAC_LENGTH = 6;
export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";
export const ZERO_MAC = "00:00:00:00:00:00";

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Six bytes from "aa:bb:cc:dd:ee:ff" (either case), or undefined when the text is not a MAC. */
export function parseMac(text: string): Uint8Array | undefined {
  if (!MAC_TEXT.test(text)) return undefined;
  const bytes = new Uint8Array(MAC_LENGTH);
  for (let i = 0; i < MAC_LENGTH; i++) bytes[i] = parseInt(text.slice(3 * i, 3 * i + 2), 16);
  return bytes;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Canonical text of the six bytes at `offset`; throws when fewer than six bytes are there. */
export function formatMac(bytes: Uint8Array, offset = 0): string {
  if (offset < 0 || bytes.length - offset < MAC_LENGTH) {
    throw new RangeError(`a MAC address is ${MAC_LENGTH} bytes, got ${bytes.length - offset}`);
  }
  let text = HEX_BYTE[bytes[offset] ?? 0] ?? "00";
  for (let i = 1; i < MAC_LENGTH; i++) text += `:${HEX_BYTE[bytes[offset + i] ?? 0] ?? "00"}`;
  return text;
}

/**
 * Bytes of MACs by their canonical text, remembered: the receive path compares every frame with
 * the same few MACs (this node's), so each is parsed once. Bounded; a value, never mutated.
 */
const macBytesByText = new Map<string, Uint8Array>();
const REMEMBERED_MACS = 64;

function canonicalMacBytes(mac: string): Uint8Array | undefined {
  const known = macBytesByText.get(mac);
  if (known !== undefined) return known;
  const bytes = canonicalMac(mac) === mac ? parseMac(mac) : undefined;
  if (bytes === undefined) return undefined;
  if (macBytesByText.size >= REMEMBERED_MACS) macBytesByText.clear();
  macBytesByText.set(mac, bytes);
  return bytes;
}

/**
 * Whether the six bytes at `offset` are `mac`, given as canonical lowercase text: the same as
 * `formatMac(bytes, offset) === mac`, without building the text. False when the bytes are short.
 */
export function isMacAt(bytes: Uint8Array, offset: number, mac: string): boolean {
  const want = canonicalMacBytes(mac);
  if (want === undefined || offset < 0 || bytes.length - offset < MAC_LENGTH) return false;
  for (let i = 0; i < MAC_LENGTH; i++) if (bytes[offset + i] !== want[i]) return false;
  return true;
}

/** True when the MAC at `offset` is broadcast or multicast (`isGroupMac` on the bytes). */
export const isGroupMacAt = (bytes: Uint8Array, offset: number): boolean =>
  ((bytes[offset] ?? 0) & 1) === 1;

/** Writes a MAC the caller already validated at `offset`; a bad one throws, as `macToBytes`. */
export function writeMac(out: Uint8Array, offset: number, mac: string): void {
  out.set(canonicalMacBytes(mac) ?? macToBytes(mac), offset);
}

/** Canonical lowercase text of a MAC, or undefined when the text is not a MAC. */
export const canonicalMac = (text: string): string | undefined =>
  MAC_TEXT.test(text) ? text.toLowerCase() : undefined;

/** Bytes of a MAC the caller already validated; a bad one is a broken invariant and throws. */
export function macToBytes(mac: string): Uint8Array {
  const bytes = canonicalMacBytes(mac)?.slice() ?? parseMac(mac);
  if (!bytes) throw new TypeError(`not a MAC address: ${JSON.stringify(mac)}`);
  return bytes;
}

/** True for broadcast and multicast (group) addresses: the I/G bit of the first octet is set. */
export const isGroupMac = (mac: string): boolean => (parseInt(mac.slice(0, 2), 16) & 1) === 1;

export interface EthernetHeader {
  readonly dst: string;
  readonly src: string;
  readonly ethertype: number;
}

export interface EthernetFrame extends EthernetHeader {
  /** Everything after the header, padding included; upper layers know their own length. */
  readonly payload: Uint8Array;
}

export type EthernetErrorCode = "TRUNCATED" | "VLAN_TAGGED" | "NOT_ETHERNET_II";
export interface EthernetError {
  readonly code: EthernetErrorCode;
}

/**
 * Splits a frame into header and payload. Never throws. 802.1Q / 802.1ad tagged frames are
 * rejected (`VLAN_TAGGED`): a speaker listens on the VLAN interface, where frames arrive untagged.
 * 802.3 length-interpreted frames (type field below 0x0600) are `NOT_ETHERNET_II`.
 */
export function decodeEthernet(frame: Uint8Array): Result<EthernetFrame, EthernetError> {
  const bad = checkEthernet(frame);
  if (bad !== undefined) return err({ code: bad });
  return ok({
    dst: formatMac(frame, 0),
    src: formatMac(frame, MAC_LENGTH),
    ethertype: ethertypeOf(frame),
    payload: frame.subarray(ETHERNET_HEADER_LENGTH),
  });
}

/** The type field of a frame at least a header long. */
export const ethertypeOf = (frame: Uint8Array): number =>
  ((frame[12] ?? 0) << 8) | (frame[13] ?? 0);

/** What `decodeEthernet` would reject the frame for, or undefined; reads the type field only. */
export function checkEthernet(frame: Uint8Array): EthernetErrorCode | undefined {
  if (frame.length < ETHERNET_HEADER_LENGTH) return "TRUNCATED";
  const ethertype = ethertypeOf(frame);
  if (ethertype === ETHERTYPE.vlan || ethertype === ETHERTYPE.qinq) return "VLAN_TAGGED";
  return ethertype < 0x0600 ? "NOT_ETHERNET_II" : undefined;
}

/** Header plus payload, zero-padded to the 60-byte minimum. */
export function encodeEthernet(header: EthernetHeader, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(Math.max(MIN_FRAME_LENGTH, ETHERNET_HEADER_LENGTH + payload.length));
  frame.set(macToBytes(header.dst), 0);
  frame.set(macToBytes(header.src), MAC_LENGTH);
  frame[12] = header.ethertype >> 8;
  frame[13] = header.ethertype & 0xff;
  frame.set(payload, ETHERNET_HEADER_LENGTH);
  return frame;
}
