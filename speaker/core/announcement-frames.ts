/**
 * The frames an L2 owner sends unasked, for one IP from one interface:
 * - an announcement (on becoming owner, on schedule, and to defend against a foreign claim):
 *   IPv4 a gratuitous ARP in request form (RFC 5227 2.3) and in reply form (RFC 5944 4.6),
 *   since some switches and routers learn from only one of them (MetalLB sends both); IPv6 an
 *   unsolicited Neighbor Advertisement with the override flag, from the link-local address when
 *   the interface has one;
 * - a probe before the first announcement: an ARP probe (RFC 5227 2.1.1) or a DAD solicitation
 *   (RFC 4862 5.4.2).
 */
import { encodeArpProbe, encodeGratuitousArp, encodeGratuitousArpReply } from "./arp.js";
import { encodeDadSolicitation, encodeUnsolicitedAdvertisement } from "./ndp.js";

export interface SendingLink {
  readonly mac: string;
  readonly ipv6LinkLocal?: string | undefined;
}

const isV6 = (ip: string): boolean => ip.includes(":");

export function announcementFrames(link: SendingLink, ip: string): Uint8Array[] {
  if (isV6(ip)) return [encodeUnsolicitedAdvertisement(link.mac, ip, link.ipv6LinkLocal)];
  return [encodeGratuitousArp(link.mac, ip), encodeGratuitousArpReply(link.mac, ip)];
}

export const probeFrame = (link: SendingLink, ip: string): Uint8Array =>
  isV6(ip) ? encodeDadSolicitation(link.mac, ip) : encodeArpProbe(link.mac, ip);
