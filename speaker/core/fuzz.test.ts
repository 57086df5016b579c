/**
 * Robustness: 20,000 random and mutated frames from a seeded PRNG. No decoder may throw, and
 * decide() may only reply to a valid ARP request/probe or Neighbor Solicitation for an IP this
 * node announces on the interface, not sent by itself.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeArp,
  encodeArp,
  encodeArpProbe,
  encodeArpReply,
  encodeArpReplyTo,
  encodeArpRequest,
  encodeGratuitousArp,
  type ArpPacket,
} from "./arp.js";
import { decodeEthernet, isGroupMac } from "./ethernet.js";
import { decodeIpv6, icmpv6Checksum } from "./ipv6.js";
import {
  decodeNdp,
  encodeDadSolicitation,
  encodeNeighborSolicitation,
  encodeUnsolicitedAdvertisement,
  solicitedNodeMulticast,
} from "./ndp.js";
import {
  decide,
  observe,
  type Conflict,
  type Decision,
  type ObserverContext,
  type ResponderContext,
} from "./responder.js";

const OUR_MAC = "02:00:00:00:00:0b";
const CLIENT = "02:00:00:00:00:64";
const OWNED: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["198.18.0.200", new Set(["eth0"])],
  ["2001:db8:18::200", new Set(["eth0"])],
  ["198.18.0.201", new Set(["eth1"])],
]);
const ctx: ResponderContext = { iface: "eth0", mac: OUR_MAC, owned: OWNED };

/** mulberry32: small, seeded, good enough to drive mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpus(): Uint8Array[] {
  const ns = (target: string) => {
    const group = solicitedNodeMulticast(target);
    const srcIp = "2001:db8:18::100";
    return encodeNeighborSolicitation({
      srcMac: CLIENT,
      srcIp,
      dstMac: group.mac,
      dstIp: group.ip,
      target,
      sourceLinkAddress: true,
    });
  };
  return [
    encodeArpRequest({ senderMac: CLIENT, senderIp: "198.18.0.100", targetIp: "198.18.0.200" }),
    encodeArpRequest({ senderMac: CLIENT, senderIp: "198.18.0.100", targetIp: "198.18.0.201" }),
    encodeArpRequest({ senderMac: CLIENT, senderIp: "198.18.0.100", targetIp: "198.18.0.9" }),
    encodeArpProbe(CLIENT, "198.18.0.200"),
    encodeGratuitousArp(CLIENT, "198.18.0.200"),
    encodeArpReply({
      senderMac: CLIENT,
      senderIp: "198.18.0.200",
      targetMac: OUR_MAC,
      targetIp: "198.18.0.1",
    }),
    ns("2001:db8:18::200"),
    ns("2001:db8:18::9"),
    encodeDadSolicitation(CLIENT, "2001:db8:18::200"),
    encodeUnsolicitedAdvertisement(CLIENT, "2001:db8:18::200"),
  ];
}

const INTERESTING = [0x00, 0x01, 0x02, 0x06, 0x08, 0x3a, 0x80, 0x86, 0x87, 0x88, 0xdd, 0xfe, 0xff];

/** Recomputes the ICMPv6 checksum when the frame still looks like IPv6, to reach deeper checks. */
function reseal(frame: Uint8Array): void {
  const ip = decodeEthernet(frame);
  if (!ip.ok) return;
  const packet = decodeIpv6(ip.value.payload);
  if (!packet.ok || packet.value.payload.length < 4) return;
  const message = packet.value.payload;
  message.set([0, 0], 2);
  const sum = icmpv6Checksum(packet.value.srcBytes, packet.value.dstBytes, message);
  message.set([sum >> 8, sum & 0xff], 2);
}

function mutant(random: () => number, seeds: Uint8Array[]): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  if (random() < 0.1) return Uint8Array.from({ length: pick(120) }, () => pick(256));
  const frame = (seeds[pick(seeds.length)] ?? new Uint8Array(0)).slice();
  for (let edits = 1 + pick(3); edits > 0; edits--) {
    const at = pick(frame.length);
    if (random() < 0.5) frame[at] = pick(256);
    else frame[at] = INTERESTING[pick(INTERESTING.length)] ?? 0;
  }
  if (random() < 0.5) reseal(frame);
  return random() < 0.2 ? frame.subarray(0, pick(frame.length + 1)) : frame;
}

/** The independent oracle: is this frame a request decide() may answer, and for which IP? */
function answerable(frame: Uint8Array): string | undefined {
  const arp = decodeArp(frame);
  if (arp.ok) {
    const p = arp.value;
    const isRequest = p.kind === "request" || p.kind === "probe";
    const fromUs = p.senderMac === OUR_MAC || p.ethSrc === OUR_MAC;
    return isRequest && !fromUs && OWNED.get(p.targetIp)?.has("eth0") ? p.targetIp : undefined;
  }
  const ndp = decodeNdp(frame);
  if (!ndp.ok || ndp.value.type !== "solicitation") return undefined;
  const m = ndp.value;
  const fromUs = m.ethSrc === OUR_MAC || m.sourceLinkAddress === OUR_MAC;
  return !fromUs && OWNED.get(m.target)?.has("eth0") ? m.target : undefined;
}

function checkReply(frame: Uint8Array, ip: string): void {
  const arp = decodeArp(frame);
  if (arp.ok) {
    assert.equal(arp.value.kind, "reply");
    assert.equal(arp.value.senderIp, ip);
    assert.equal(arp.value.senderMac, OUR_MAC);
    return;
  }
  const na = decodeNdp(frame);
  assert.ok(
    na.ok && na.value.type === "advertisement",
    `a reply is a valid NA: ${na.ok ? "" : na.error.code} ${Buffer.from(frame).toString("hex")}`,
  );
  assert.equal(na.value.target, ip);
  assert.equal(na.value.targetLinkAddress, OUR_MAC);
}

test("20,000 random and mutated frames: nothing throws, replies only to answerable requests", () => {
  const random = prng(0x1e0b);
  const seeds = corpus();
  const watch = {
    ownMacs: new Set([OUR_MAC]),
    peerMacs: new Set<string>(),
    watched: new Set(OWNED.keys()),
  };
  let replies = 0;
  for (let i = 0; i < 20_000; i++) {
    const frame = mutant(random, seeds);
    const label = `frame ${i}: ${Buffer.from(frame).toString("hex")}`;
    decodeEthernet(frame);
    decodeIpv6(frame.subarray(14));
    observe(frame, watch);
    const decision = decide(frame, ctx);
    const expected = answerable(frame);
    if (decision.kind === "reply") {
      replies++;
      assert.equal(decision.ip, expected, label);
      checkReply(decision.frame, decision.ip);
    } else if (expected !== undefined) {
      // Valid and owned, yet dropped: only for reasons the oracle does not model.
      assert.ok(
        ["notAddressedToUs", "badSender"].includes(decision.reason),
        `${label}: ${decision.reason}`,
      );
    }
  }
  assert.ok(replies > 500, `the reply path was exercised (${replies} replies)`);
});

/** The ARP decision read from the decoded text, step by step as the responder's contract says. */
function arpDecisionByText(p: ArpPacket, c: ResponderContext): Decision {
  const dropped = (reason: string): Decision =>
    ({ kind: "drop", reason, ip: p.targetIp }) as Decision;
  if (p.kind !== "request" && p.kind !== "probe") return dropped("notRequest");
  if (p.ethSrc === c.mac || p.senderMac === c.mac) return dropped("fromSelf");
  if (!isGroupMac(p.ethDst) && p.ethDst !== c.mac) return dropped("notAddressedToUs");
  if (isGroupMac(p.senderMac)) return dropped("badSender");
  const ifaces = OWNED.get(p.targetIp);
  if (!ifaces) return dropped("notOwned");
  if (!ifaces.has(c.iface)) return dropped("notOnThisInterface");
  const frame = encodeArpReplyTo(p, c.mac, p.targetIp);
  return { kind: "reply", protocol: "arp", frame, ip: p.targetIp, iface: c.iface };
}

function arpConflictByText(p: ArpPacket, watch: ObserverContext): Conflict | undefined {
  const evidence = {
    probe: "arpProbe",
    reply: "arpReply",
    announcement: "arpAnnouncement",
  } as const;
  const ip = p.kind === "probe" ? p.targetIp : p.senderIp;
  const ours = watch.ownMacs.has(p.senderMac) || watch.peerMacs.has(p.senderMac);
  const watched = typeof watch.watched === "function" ? watch.watched(ip) : watch.watched.has(ip);
  if (!watched || ours) return undefined;
  return { ip, mac: p.senderMac, evidence: p.kind === "request" ? "arpRequest" : evidence[p.kind] };
}

test("ARP frames, read from their bytes, get the decision and conflict their text calls for", () => {
  const random = prng(0x0a59);
  const fromUs = encodeArpRequest({
    senderMac: OUR_MAC,
    senderIp: "198.18.0.1",
    targetIp: "198.18.0.200",
  });
  const elsewhere = encodeArp({
    op: 1,
    senderMac: CLIENT,
    senderIp: "198.18.0.100",
    targetMac: "00:00:00:00:00:00",
    targetIp: "198.18.0.200",
    ethDst: "02:00:00:00:00:0c",
  });
  const seeds = [...corpus().slice(0, 6), fromUs, elsewhere];
  const watch = {
    ownMacs: new Set([OUR_MAC]),
    peerMacs: new Set(["02:00:00:00:00:0c"]),
    watched: new Set(OWNED.keys()),
  };
  const show = (d: Decision) =>
    d.kind === "reply" ? { ...d, frame: Buffer.from(d.frame).toString("hex") } : d;
  let checked = 0;
  for (let i = 0; i < 20_000; i++) {
    const frame = mutant(random, seeds);
    const p = decodeArp(frame);
    if (!p.ok) continue;
    checked++;
    const label = `frame ${i}: ${Buffer.from(frame).toString("hex")}`;
    assert.deepEqual(show(decide(frame, ctx)), show(arpDecisionByText(p.value, ctx)), label);
    assert.deepEqual(observe(frame, watch), arpConflictByText(p.value, watch), label);
  }
  assert.ok(checked > 10_000, `enough valid ARP frames (${checked})`);
});
