/**
 * What to do with a frame received on an interface: answer an ARP request or a Neighbor
 * Solicitation for an IP this node announces there, or drop it with a reason (`decide`); and
 * whether it shows another host claiming one of our IPs (`observe`).
 *
 * IPs are keyed by canonical text (`canonicalIp` / `formatIp`), MACs by lowercase text.
 */
import { decodeArp, encodeArpReplyTo, type ArpPacket } from "./arp.js";
import { ETHERTYPE, decodeEthernet, isGroupMac } from "./ethernet.js";
import { decodeNdp, encodeSolicitedAdvertisement, type NdpMessage } from "./ndp.js";

/** The interfaces each owned IP is announced on, as a map or a lookup function. */
export type OwnedIps =
  ReadonlyMap<string, ReadonlySet<string>> | ((ip: string) => ReadonlySet<string> | undefined);

export interface ResponderContext {
  /** The interface the frame arrived on. */
  readonly iface: string;
  /** This node's MAC on that interface, lowercase. */
  readonly mac: string;
  readonly owned: OwnedIps;
  /** IPv6 source of our advertisements (the interface's link-local); else the target itself. */
  readonly ipv6Source?: string;
}

export const DROP_REASON = {
  malformed: "malformed",
  unsupportedProtocol: "unsupportedProtocol",
  notRequest: "notRequest",
  fromSelf: "fromSelf",
  notAddressedToUs: "notAddressedToUs",
  badSender: "badSender",
  notOwned: "notOwned",
  notOnThisInterface: "notOnThisInterface",
} as const;
export type DropReason = (typeof DROP_REASON)[keyof typeof DROP_REASON];

export interface Reply {
  readonly kind: "reply";
  readonly protocol: "arp" | "ndp";
  readonly frame: Uint8Array;
  readonly ip: string;
  readonly iface: string;
}
export interface Drop {
  readonly kind: "drop";
  readonly reason: DropReason;
  /** The decoder's error code for `malformed`. */
  readonly detail?: string;
  /** The IP asked about, once known. */
  readonly ip?: string;
}
export type Decision = Reply | Drop;

const drop = (reason: DropReason, ip?: string): Drop =>
  ip === undefined ? { kind: "drop", reason } : { kind: "drop", reason, ip };

const interfacesOf = (owned: OwnedIps, ip: string): ReadonlySet<string> | undefined =>
  typeof owned === "function" ? owned(ip) : owned.get(ip);

interface Asked {
  readonly ip: string;
  readonly ethDst: string;
  /** MACs the request came from (Ethernet source, and the sender field or option). */
  readonly from: readonly (string | undefined)[];
  /** Where the reply goes; undefined when it goes to a multicast group by design. */
  readonly replyTo: string | undefined;
}

function gate(ctx: ResponderContext, asked: Asked): Drop | undefined {
  if (asked.from.includes(ctx.mac)) return drop("fromSelf", asked.ip);
  if (!isGroupMac(asked.ethDst) && asked.ethDst !== ctx.mac) {
    return drop("notAddressedToUs", asked.ip);
  }
  if (asked.replyTo !== undefined && isGroupMac(asked.replyTo)) return drop("badSender", asked.ip);
  const ifaces = interfacesOf(ctx.owned, asked.ip);
  if (ifaces === undefined) return drop("notOwned", asked.ip);
  return ifaces.has(ctx.iface) ? undefined : drop("notOnThisInterface", asked.ip);
}

function decideArp(frame: Uint8Array, ctx: ResponderContext): Decision {
  const decoded = decodeArp(frame);
  if (!decoded.ok) return { kind: "drop", reason: "malformed", detail: decoded.error.code };
  const p = decoded.value;
  if (p.kind !== "request" && p.kind !== "probe") return drop("notRequest", p.targetIp);
  const from = [p.ethSrc, p.senderMac];
  const denied = gate(ctx, { ip: p.targetIp, ethDst: p.ethDst, from, replyTo: p.senderMac });
  if (denied) return denied;
  const reply = encodeArpReplyTo(p, ctx.mac, p.targetIp);
  return { kind: "reply", protocol: "arp", frame: reply, ip: p.targetIp, iface: ctx.iface };
}

function decideNdp(frame: Uint8Array, ctx: ResponderContext): Decision {
  const decoded = decodeNdp(frame);
  if (!decoded.ok) {
    const { code } = decoded.error;
    if (code === "NOT_ICMPV6" || code === "NOT_NDP") return drop("unsupportedProtocol");
    return { kind: "drop", reason: "malformed", detail: code };
  }
  const m = decoded.value;
  if (m.type !== "solicitation") return drop("notRequest", m.target);
  const from = [m.ethSrc, m.sourceLinkAddress];
  const replyTo = m.dad ? undefined : (m.sourceLinkAddress ?? m.ethSrc);
  const denied = gate(ctx, { ip: m.target, ethDst: m.ethDst, from, replyTo });
  if (denied) return denied;
  const reply = encodeSolicitedAdvertisement(m, ctx.mac, ctx.ipv6Source);
  return { kind: "reply", protocol: "ndp", frame: reply, ip: m.target, iface: ctx.iface };
}

/** Answers ARP requests/probes and Neighbor Solicitations for owned IPs; drops the rest. */
export function decide(frame: Uint8Array, ctx: ResponderContext): Decision {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return { kind: "drop", reason: "malformed", detail: eth.error.code };
  if (eth.value.ethertype === ETHERTYPE.arp) return decideArp(frame, ctx);
  if (eth.value.ethertype === ETHERTYPE.ipv6) return decideNdp(frame, ctx);
  return drop("unsupportedProtocol");
}

export interface ObserverContext {
  /** This node's MACs (every interface), lowercase. */
  readonly ownMacs: ReadonlySet<string>;
  /** MACs of the other speakers: a takeover between speakers is not a conflict. */
  readonly peerMacs: ReadonlySet<string>;
  /** IPs we announce or are probing before a first announcement. */
  readonly watched: ReadonlySet<string> | ((ip: string) => boolean);
}

/**
 * - `arpReply`, `arpAnnouncement`, `arpRequest`: an ARP packet whose sender IP is ours
 *   (RFC 5227 2.4: any ARP packet claiming our address from another MAC).
 * - `arpProbe`: another host probing our IP (RFC 5227 2.1.1): it is about to take it.
 * - `neighborAdvertisement`: an NA for our IP; `neighborSolicitation`: an NS sent from our IP.
 * - `dadSolicitation`: another host running Duplicate Address Detection on our IP.
 */
export type ConflictEvidence =
  | "arpReply"
  | "arpAnnouncement"
  | "arpRequest"
  | "arpProbe"
  | "neighborAdvertisement"
  | "neighborSolicitation"
  | "dadSolicitation";

export interface Conflict {
  readonly ip: string;
  /** The foreign MAC that claims the IP. */
  readonly mac: string;
  readonly evidence: ConflictEvidence;
}

interface Claim {
  readonly ip: string;
  readonly mac: string;
  readonly evidence: ConflictEvidence;
}

function foreign(ctx: ObserverContext, claim: Claim): Conflict | undefined {
  const watched =
    typeof ctx.watched === "function" ? ctx.watched(claim.ip) : ctx.watched.has(claim.ip);
  if (!watched || ctx.ownMacs.has(claim.mac) || ctx.peerMacs.has(claim.mac)) return undefined;
  return claim;
}

const ARP_EVIDENCE = {
  reply: "arpReply",
  announcement: "arpAnnouncement",
  request: "arpRequest",
} as const satisfies Record<Exclude<ArpPacket["kind"], "probe">, ConflictEvidence>;

function arpClaim(p: ArpPacket): Claim {
  if (p.kind === "probe") return { ip: p.targetIp, mac: p.senderMac, evidence: "arpProbe" };
  return { ip: p.senderIp, mac: p.senderMac, evidence: ARP_EVIDENCE[p.kind] };
}

function ndpClaim(m: NdpMessage): Claim {
  if (m.type === "advertisement") {
    const mac = m.targetLinkAddress ?? m.ethSrc;
    return { ip: m.target, mac, evidence: "neighborAdvertisement" };
  }
  if (m.dad) return { ip: m.target, mac: m.ethSrc, evidence: "dadSolicitation" };
  const mac = m.sourceLinkAddress ?? m.ethSrc;
  return { ip: m.srcIp, mac, evidence: "neighborSolicitation" };
}

/** A possible address conflict shown by this frame, or undefined. Never throws. */
export function observe(frame: Uint8Array, ctx: ObserverContext): Conflict | undefined {
  const arp = decodeArp(frame);
  if (arp.ok) return foreign(ctx, arpClaim(arp.value));
  const ndp = decodeNdp(frame);
  return ndp.ok ? foreign(ctx, ndpClaim(ndp.value)) : undefined;
}
