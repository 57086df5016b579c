/**
 * What to do with a frame received on an interface: answer an ARP request or a Neighbor
 * Solicitation for an IP this node announces there, or drop it with a reason (`decide`); and
 * whether it shows another host claiming one of our IPs (`observe`). A caller that needs both
 * decodes the frame once (`receive`) and asks `decideReceived` and `observeReceived`.
 *
 * IPs are keyed by canonical text (`canonicalIp` / `formatIp`), MACs by lowercase text. ARP
 * frames are judged on their bytes: only the IPs looked up, and a conflicting MAC, become text.
 */
import { ARP_AT, arpIpAt, checkArp, encodeArpAnswer, type ArpFrame } from "./arp.js";
import {
  ETHERTYPE,
  checkEthernet,
  ethertypeOf,
  formatMac,
  isGroupMac,
  isGroupMacAt,
  isMacAt,
} from "./ethernet.js";
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
const malformed = (detail: string): Drop => ({ kind: "drop", reason: "malformed", detail });
const UNSUPPORTED = drop("unsupportedProtocol");

const interfacesOf = (owned: OwnedIps, ip: string): ReadonlySet<string> | undefined =>
  typeof owned === "function" ? owned(ip) : owned.get(ip);

/** A frame decoded once: what `decideReceived` and `observeReceived` work from. */
export type Received =
  | { readonly protocol: "arp"; readonly arp: ArpFrame }
  | { readonly protocol: "ndp"; readonly message: NdpMessage }
  /** Neither: `drop` is the decision for it (malformed or unsupported); it shows no conflict. */
  | { readonly protocol: "none"; readonly drop: Drop };

/** Decodes a received frame for `decideReceived` and `observeReceived`. Never throws. */
export function receive(frame: Uint8Array): Received {
  const bad = checkEthernet(frame);
  if (bad !== undefined) return { protocol: "none", drop: malformed(bad) };
  const ethertype = ethertypeOf(frame);
  if (ethertype === ETHERTYPE.arp) {
    const arp = checkArp(frame);
    if (arp.ok) return { protocol: "arp", arp: arp.value };
    return { protocol: "none", drop: malformed(arp.error.code) };
  }
  if (ethertype !== ETHERTYPE.ipv6) return { protocol: "none", drop: UNSUPPORTED };
  const ndp = decodeNdp(frame);
  if (ndp.ok) return { protocol: "ndp", message: ndp.value };
  const { code } = ndp.error;
  const unsupported = code === "NOT_ICMPV6" || code === "NOT_NDP";
  return { protocol: "none", drop: unsupported ? UNSUPPORTED : malformed(code) };
}

/** The last gates, shared by ARP and NDP: is `ip` announced on this interface? */
function ownedHere(ctx: ResponderContext, ip: string): Drop | undefined {
  const ifaces = interfacesOf(ctx.owned, ip);
  if (ifaces === undefined) return drop("notOwned", ip);
  return ifaces.has(ctx.iface) ? undefined : drop("notOnThisInterface", ip);
}

/** From us, not to us (unicast elsewhere), or from a group MAC: dropped, in that order. */
function gateArp(ctx: ResponderContext, frame: Uint8Array, ip: string): Drop | undefined {
  const { mac } = ctx;
  if (isMacAt(frame, ARP_AT.ethSrc, mac) || isMacAt(frame, ARP_AT.senderMac, mac)) {
    return drop("fromSelf", ip);
  }
  if (!isGroupMacAt(frame, ARP_AT.ethDst) && !isMacAt(frame, ARP_AT.ethDst, mac)) {
    return drop("notAddressedToUs", ip);
  }
  if (isGroupMacAt(frame, ARP_AT.senderMac)) return drop("badSender", ip);
  return ownedHere(ctx, ip);
}

function decideArp(p: ArpFrame, ctx: ResponderContext): Decision {
  const ip = arpIpAt(p.frame, ARP_AT.targetIp);
  if (p.kind !== "request" && p.kind !== "probe") return drop("notRequest", ip);
  const denied = gateArp(ctx, p.frame, ip);
  if (denied) return denied;
  const reply = encodeArpAnswer(p, ctx.mac);
  return { kind: "reply", protocol: "arp", frame: reply, ip, iface: ctx.iface };
}

/** The NDP counterpart of `gateArp`, on decoded text. */
function gateNdp(
  ctx: ResponderContext,
  m: NdpMessage & { type: "solicitation" },
): Drop | undefined {
  const ip = m.target;
  if (m.ethSrc === ctx.mac || m.sourceLinkAddress === ctx.mac) return drop("fromSelf", ip);
  if (!isGroupMac(m.ethDst) && m.ethDst !== ctx.mac) return drop("notAddressedToUs", ip);
  const replyTo = m.dad ? undefined : (m.sourceLinkAddress ?? m.ethSrc);
  if (replyTo !== undefined && isGroupMac(replyTo)) return drop("badSender", ip);
  return ownedHere(ctx, ip);
}

function decideNdp(m: NdpMessage, ctx: ResponderContext): Decision {
  if (m.type !== "solicitation") return drop("notRequest", m.target);
  const denied = gateNdp(ctx, m);
  if (denied) return denied;
  const reply = encodeSolicitedAdvertisement(m, ctx.mac, ctx.ipv6Source);
  return { kind: "reply", protocol: "ndp", frame: reply, ip: m.target, iface: ctx.iface };
}

/** `decide` on a frame already decoded by `receive`. */
export function decideReceived(received: Received, ctx: ResponderContext): Decision {
  if (received.protocol === "arp") return decideArp(received.arp, ctx);
  if (received.protocol === "ndp") return decideNdp(received.message, ctx);
  return received.drop;
}

/** Answers ARP requests/probes and Neighbor Solicitations for owned IPs; drops the rest. */
export const decide = (frame: Uint8Array, ctx: ResponderContext): Decision =>
  decideReceived(receive(frame), ctx);

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

const isWatched = (ctx: ObserverContext, ip: string): boolean =>
  typeof ctx.watched === "function" ? ctx.watched(ip) : ctx.watched.has(ip);
const isOurs = (ctx: ObserverContext, mac: string): boolean =>
  ctx.ownMacs.has(mac) || ctx.peerMacs.has(mac);

function foreign(ctx: ObserverContext, claim: Claim): Conflict | undefined {
  return isWatched(ctx, claim.ip) && !isOurs(ctx, claim.mac) ? claim : undefined;
}

const ARP_EVIDENCE = {
  reply: "arpReply",
  announcement: "arpAnnouncement",
  request: "arpRequest",
  probe: "arpProbe",
} as const satisfies Record<ArpFrame["kind"], ConflictEvidence>;

/**
 * The sender of any ARP packet claims its sender IP, except a probe's (0.0.0.0), which claims
 * the target it is about to take. The MAC becomes text only for a watched IP.
 */
function observeArp(p: ArpFrame, ctx: ObserverContext): Conflict | undefined {
  const ip = arpIpAt(p.frame, p.kind === "probe" ? ARP_AT.targetIp : ARP_AT.senderIp);
  if (!isWatched(ctx, ip)) return undefined;
  const mac = formatMac(p.frame, ARP_AT.senderMac);
  return isOurs(ctx, mac) ? undefined : { ip, mac, evidence: ARP_EVIDENCE[p.kind] };
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

/** `observe` on a frame already decoded by `receive`. */
export function observeReceived(received: Received, ctx: ObserverContext): Conflict | undefined {
  if (received.protocol === "arp") return observeArp(received.arp, ctx);
  if (received.protocol === "ndp") return foreign(ctx, ndpClaim(received.message));
  return undefined;
}

/** A possible address conflict shown by this frame, or undefined. Never throws. */
export const observe = (frame: Uint8Array, ctx: ObserverContext): Conflict | undefined =>
  observeReceived(receive(frame), ctx);
