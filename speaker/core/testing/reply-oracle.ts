/**
 * An independent oracle for the responder, for fuzz tests: which frames deserve an answer, the
 * exact bytes of that answer, and for ARP the drop reason and the address conflict a frame
 * shows. Written from the RFCs on raw bytes with its own helpers (./oracle-bytes.ts: IP and MAC
 * parsing, checksum), importing nothing from the code it judges, so the two can disagree:
 * - ARP (RFC 826, RFC 5227 2.1.1): a request or probe (op 1, sender IP 0.0.0.0 or not equal to
 *   the target IP) for Ethernet/IPv4, for an IP owned on this interface, not sent by us
 *   (Ethernet source or sender MAC), to a group MAC or ours, from a sender MAC that is no group
 *   MAC. Drop reasons in the responder's documented order (../responder.ts).
 * - NDP (RFC 4861 7.1.1, 7.2.3, 7.2.4): ./ndp-oracle.ts, unicast solicitations included.
 */
import { ndpAnswer } from "./ndp-oracle.js";
import {
  ipBytes,
  ipv4Text,
  isGroup,
  isZero,
  macBytes,
  macText,
  same,
  u16,
} from "./oracle-bytes.js";

/** An owned IP: its canonical text and the interfaces it is announced on. */
export interface OwnedAddress {
  readonly ip: string;
  readonly ifaces: readonly string[];
}

export interface OracleView {
  readonly iface: string;
  /** The interface's MAC, "aa:bb:cc:dd:ee:ff". */
  readonly mac: string;
  readonly owned: readonly OwnedAddress[];
  /** The IPv6 source of our advertisements; else the target itself. */
  readonly ipv6Source?: string;
}

export interface ExpectedReply {
  readonly protocol: "arp" | "ndp";
  readonly ip: string;
  readonly frame: Uint8Array;
}

/** Why the responder drops a frame: its documented contract (../responder.ts). */
export const ORACLE_DROP_REASONS = [
  "malformed",
  "unsupportedProtocol",
  "notRequest",
  "fromSelf",
  "notAddressedToUs",
  "badSender",
  "notOwned",
  "notOnThisInterface",
] as const;
export type OracleDropReason = (typeof ORACLE_DROP_REASONS)[number];

export type ArpVerdict =
  | { readonly kind: "reply"; readonly reply: ExpectedReply }
  | { readonly kind: "drop"; readonly reason: OracleDropReason; readonly ip?: string };

/** Who we and the other speakers are, and the IPs we announce or probe. */
export interface OracleWatch {
  readonly ownMacs: readonly string[];
  readonly peerMacs: readonly string[];
  readonly watched: readonly string[];
}

export interface ExpectedConflict {
  readonly ip: string;
  readonly mac: string;
  readonly evidence: "arpRequest" | "arpProbe" | "arpReply" | "arpAnnouncement";
}

interface Owned {
  readonly ip: string;
  readonly bytes: readonly number[];
  readonly ifaces: readonly string[];
}

/** A view with its addresses as bytes, parsed once by the oracle's own parser. */
export class Oracle {
  private readonly mac: number[];
  private readonly owned: Owned[];
  private readonly ipv6Source: number[] | undefined;

  constructor(private readonly view: OracleView) {
    this.mac = macBytes(view.mac);
    this.owned = view.owned.map((o) => ({ ...o, bytes: ipBytes(o.ip) }));
    this.ipv6Source = view.ipv6Source === undefined ? undefined : ipBytes(view.ipv6Source);
  }

  /** The answer the responder owes this frame on the view's interface, or undefined: none. */
  expectedReply(f: Uint8Array): ExpectedReply | undefined {
    if (f.length < 14) return undefined;
    const type = u16(f, 12);
    if (type === 0x0806) {
      const verdict = this.arpVerdict(f);
      return verdict.kind === "reply" ? verdict.reply : undefined;
    }
    if (type !== 0x86dd) return undefined;
    const side = { mac: this.mac, ipv6Source: this.ipv6Source };
    const answer = ndpAnswer(f, { ...side, ownedHere: (g, at) => this.ownedHere(g, at, 16) });
    return answer && { protocol: "ndp", ...answer };
  }

  // ARP after the 14-byte Ethernet header: htype 14, ptype 16, hlen 18, plen 19, op 20,
  // sender MAC 22, sender IP 28, target MAC 32, target IP 38.

  /** The decision on a frame with ethertype ARP (0x0806), drop reason included. */
  arpVerdict(f: Uint8Array): ArpVerdict {
    if (!validArp(f)) return { kind: "drop", reason: "malformed" };
    const drop = (reason: OracleDropReason): ArpVerdict => ({ kind: "drop", reason, ip });
    const ip = ipv4Text(f, 38);
    const kind = arpKind(f);
    if (kind !== "request" && kind !== "probe") return drop("notRequest");
    if (same(f, 6, this.mac) || same(f, 22, this.mac)) return drop("fromSelf");
    if (!isGroup(f, 0) && !same(f, 0, this.mac)) return drop("notAddressedToUs");
    if (isGroup(f, 22)) return drop("badSender");
    const owned = this.owned.find((o) => o.bytes.length === 4 && same(f, 38, o.bytes));
    if (owned === undefined) return drop("notOwned");
    if (!owned.ifaces.includes(this.view.iface)) return drop("notOnThisInterface");
    const out = new Uint8Array(60);
    out.set(f.subarray(22, 28), 0);
    out.set(this.mac, 6);
    out.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2], 12);
    out.set(this.mac, 22);
    out.set(f.subarray(38, 42), 28);
    out.set(f.subarray(22, 32), 32); // the asker's MAC and IP, adjacent in both
    return { kind: "reply", reply: { protocol: "arp", ip: owned.ip, frame: out } };
  }

  /** The owned text of the 4 or 16 bytes at `at` when owned on this interface. */
  private ownedHere(f: Uint8Array, at: number, size: 4 | 16): string | undefined {
    const here = (o: Owned) => o.bytes.length === size && o.ifaces.includes(this.view.iface);
    return this.owned.find((o) => here(o) && same(f, at, o.bytes))?.ip;
  }
}

/** Ethernet/IPv4 ARP (RFC 826): 42 bytes at least, htype 1, ptype 0x0800, lengths 6 and 4, op 1 or 2. */
function validArp(f: Uint8Array): boolean {
  if (f.length < 42 || u16(f, 12) !== 0x0806 || u16(f, 14) !== 1 || u16(f, 16) !== 0x0800) {
    return false;
  }
  return f[18] === 6 && f[19] === 4 && (u16(f, 20) === 1 || u16(f, 20) === 2);
}

/** RFC 5227: a probe's sender IP is 0.0.0.0, an announcement's sender IP is its target IP. */
function arpKind(f: Uint8Array): "request" | "probe" | "announcement" | "reply" {
  if (u16(f, 20) === 2) return "reply";
  if (isZero(f, 28, 4)) return "probe";
  return same(f, 28, f.subarray(38, 42)) ? "announcement" : "request";
}

const EVIDENCE = {
  request: "arpRequest",
  probe: "arpProbe",
  reply: "arpReply",
  announcement: "arpAnnouncement",
} as const;

/**
 * The address conflict a valid ARP frame shows (RFC 5227 2.1.1, 2.4): its sender claims the
 * sender IP, a probe's sender the target IP; a conflict when that IP is watched and the sender
 * MAC is neither ours nor another speaker's. Undefined for anything else.
 */
export function expectedArpConflict(f: Uint8Array, w: OracleWatch): ExpectedConflict | undefined {
  if (!validArp(f)) return undefined;
  const kind = arpKind(f);
  const ip = ipv4Text(f, kind === "probe" ? 38 : 28);
  const mac = macText(f, 22);
  if (!w.watched.includes(ip) || w.ownMacs.includes(mac) || w.peerMacs.includes(mac)) {
    return undefined;
  }
  return { ip, mac, evidence: EVIDENCE[kind] };
}
