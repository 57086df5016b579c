/**
 * The L2Announcer's unit-test bench: fake sockets and timers, recorded multicast groups, and
 * one-line descriptions of the frames it sends (l2-announcer*.test.ts).
 */
import assert from "node:assert/strict";
import { decodeArp, encodeArpRequest } from "../../core/arp.js";
import { decodeNdp } from "../../core/ndp.js";
import { FakeFrameSocket } from "../../core/testing/fake-frame-socket.js";
import {
  L2Announcer,
  type AddressConflictReport,
  type L2AnnouncerOptions,
} from "../l2-announcer.js";
import type { MulticastGroups } from "../multicast-groups.js";
import { ManualTimers } from "../../../lib/adapters/testing/manual-timers.js";

export const MAC0 = "02:00:00:00:00:0b";
export const MAC1 = "02:00:00:00:01:0b";
export const CLIENT = { mac: "02:00:00:00:00:64", ip: "198.18.0.100", ip6: "2001:db8:18::100" };
export const STRANGER = "02:00:00:00:00:99";
export const PEER = "02:00:00:00:00:0c";
export const VIP = "198.18.0.200";
export const VIP6 = "2001:db8:18::200";
export const LINKS = [
  { name: "eth0", mac: MAC0, ipv6LinkLocal: "fe80::b" },
  { name: "eth1", mac: MAC1 },
];

/** One line per frame sent, short enough to compare whole sequences. */
export function describe(frame: Uint8Array): string {
  const arp = decodeArp(frame);
  if (arp.ok) {
    const p = arp.value;
    if (p.kind !== "reply") return `${p.kind} ${p.targetIp} from ${p.senderMac}`;
    const gratuitous = p.targetIp === p.senderIp && p.ethDst === "ff:ff:ff:ff:ff:ff";
    return `${gratuitous ? "gratuitous reply" : "reply"} ${p.senderIp} from ${p.senderMac}`;
  }
  const ndp = decodeNdp(frame);
  if (!ndp.ok) return `undecodable ${ndp.error.code}`;
  const m = ndp.value;
  if (m.type === "solicitation") return `${m.dad ? "dad" : "ns"} ${m.target} from ${m.ethSrc}`;
  return `na${m.solicited ? " solicited" : ""} ${m.target} src ${m.srcIp} from ${m.ethSrc}`;
}

export class RecordingGroups implements MulticastGroups {
  readonly joined = new Map<string, number>();
  join(iface: string, group: string): void {
    const key = `${group}%${iface}`;
    this.joined.set(key, (this.joined.get(key) ?? 0) + 1);
  }
  leave(iface: string, group: string): void {
    const key = `${group}%${iface}`;
    const n = (this.joined.get(key) ?? 0) - 1;
    if (n > 0) this.joined.set(key, n);
    else this.joined.delete(key);
  }
  close(): void {
    this.joined.clear();
  }
}

export function setup(options: Partial<L2AnnouncerOptions> = {}) {
  const timers = new ManualTimers(1000);
  const sockets = new Map<string, FakeFrameSocket>();
  const groups = new RecordingGroups();
  const conflicts: AddressConflictReport[] = [];
  const errors: string[] = [];
  const announcer = new L2Announcer({
    timers,
    groups,
    openSocket: (link) => {
      const socket = new FakeFrameSocket();
      sockets.set(link.name, socket);
      return socket;
    },
    onConflict: (c) => conflicts.push(c),
    onError: (e) => errors.push(`${e.code} ${e.message}`),
    ...options,
  });
  announcer.setInterfaces(LINKS);
  const socket = (iface: string): FakeFrameSocket => {
    const s = sockets.get(iface);
    assert.ok(s, `no socket on ${iface}`);
    return s;
  };
  /** Frames sent on `iface` since the last call. */
  const sent = (iface = "eth0"): string[] => socket(iface).sent.splice(0).map(describe);
  return { announcer, timers, sockets, socket, sent, groups, conflicts, errors };
}

export const own = (...entries: [string, string[]][]) => new Map(entries);
export const ask = (ip: string) =>
  encodeArpRequest({ senderMac: CLIENT.mac, senderIp: CLIENT.ip, targetIp: ip });

/** An IPv4 announcement: the request form and the reply form of gratuitous ARP. */
export const announced = (ip: string, mac = MAC0) => [
  `announcement ${ip} from ${mac}`,
  `gratuitous reply ${ip} from ${mac}`,
];
