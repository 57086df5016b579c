import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeArp,
  encodeArp,
  encodeArpProbe,
  encodeArpReply,
  encodeArpRequest,
  encodeGratuitousArp,
} from "./arp.js";
import { encodeEthernet } from "./ethernet.js";
import {
  decodeNdp,
  encodeDadSolicitation,
  encodeNeighborSolicitation,
  encodeUnsolicitedAdvertisement,
  solicitedNodeMulticast,
} from "./ndp.js";
import { decide, observe, type ObserverContext, type ResponderContext } from "./responder.js";
import { encodeIpv6, ipv6Bytes, sealIcmpv6 } from "./ipv6.js";
import { fromHex, toHex } from "./testing/hex.js";
import { UNICAST_NDP, goldenHex } from "./testing/unicast-ndp-golden.js";

const OUR_MAC = "02:00:00:00:00:0b";
const PEER_MAC = "02:00:00:00:00:0c";
const CLIENT_MAC = "02:00:00:00:00:64";
const CLIENT_IP = "198.18.0.100";
const CLIENT_IP6 = "2001:db8:18::100";
const VIP = "198.18.0.200";
const VIP6 = "2001:db8:18::200";
const OTHER_IFACE_VIP = "198.18.0.201";

const ctx: ResponderContext = {
  iface: "eth0",
  mac: OUR_MAC,
  owned: new Map([
    [VIP, new Set(["eth0"])],
    [VIP6, new Set(["eth0", "eth1"])],
    [OTHER_IFACE_VIP, new Set(["eth1"])],
  ]),
};

const ask = (targetIp: string, senderMac = CLIENT_MAC): Uint8Array =>
  encodeArpRequest({ senderMac, senderIp: CLIENT_IP, targetIp });
const solicit = (target: string, srcMac = CLIENT_MAC): Uint8Array => {
  const group = solicitedNodeMulticast(target);
  return encodeNeighborSolicitation({
    srcMac,
    srcIp: CLIENT_IP6,
    dstMac: group.mac,
    dstIp: group.ip,
    target,
    sourceLinkAddress: true,
  });
};

test("decide answers requests for owned IPs on this interface and drops the rest", () => {
  const unicastTo = (dst: string) =>
    encodeArp({
      op: 1,
      senderMac: CLIENT_MAC,
      senderIp: CLIENT_IP,
      targetMac: "00:00:00:00:00:00",
      targetIp: VIP,
      ethDst: dst,
    });
  const garbled = solicit(VIP6);
  garbled[57] = (garbled[57] ?? 0) ^ 0x01;
  // RFC 4861 7.1.1: a DAD NS carries no source link-layer option, even one not 1 unit long.
  const dadWithWideOption = fromHex(
    `3333ff000200 020000000064 86dd 60000000 0028 3a ff ${"00".repeat(16)}
     ff0200000000000000000001ff000200 87 00 4561 00000000 20010db8001800000000000000000200
     01 02 020000000064 0000000000000000`,
  );
  const ipv4 = encodeEthernet(
    { dst: OUR_MAC, src: CLIENT_MAC, ethertype: 0x0800 },
    new Uint8Array(20),
  );
  const cases: [string, Uint8Array, string][] = [
    ["ARP request for an owned IP", ask(VIP), "reply arp"],
    ["ARP probe for an owned IP", encodeArpProbe(CLIENT_MAC, VIP), "reply arp"],
    ["unicast ARP request to our MAC", unicastTo(OUR_MAC), "reply arp"],
    ["NS for an owned IP", solicit(VIP6), "reply ndp"],
    ["DAD NS for an owned IP", encodeDadSolicitation(CLIENT_MAC, VIP6), "reply ndp"],
    ["ARP request for someone else", ask("198.18.0.50"), "drop notOwned"],
    ["ARP request for an IP announced elsewhere", ask(OTHER_IFACE_VIP), "drop notOnThisInterface"],
    ["NS for someone else", solicit("2001:db8:18::50"), "drop notOwned"],
    [
      "ARP reply",
      encodeArpReply({ senderMac: CLIENT_MAC, senderIp: VIP, targetMac: OUR_MAC, targetIp: VIP }),
      "drop notRequest",
    ],
    ["ARP announcement", encodeGratuitousArp(CLIENT_MAC, VIP), "drop notRequest"],
    ["NA", encodeUnsolicitedAdvertisement(CLIENT_MAC, VIP6), "drop notRequest"],
    ["our own probe, looped back", encodeArpProbe(OUR_MAC, VIP), "drop fromSelf"],
    ["our own DAD NS, looped back", encodeDadSolicitation(OUR_MAC, VIP6), "drop fromSelf"],
    ["unicast ARP request to another MAC", unicastTo(PEER_MAC), "drop notAddressedToUs"],
    ["ARP request from a group MAC", ask(VIP, "01:00:5e:00:00:01"), "drop badSender"],
    ["truncated frame", ask(VIP).subarray(0, 20), "drop malformed TRUNCATED"],
    ["NS with a bad checksum", garbled, "drop malformed BAD_CHECKSUM"],
    [
      "DAD NS with a 2-unit source link option",
      dadWithWideOption,
      "drop malformed BAD_DAD_SOLICITATION",
    ],
    ["IPv4 packet", ipv4, "drop unsupportedProtocol"],
  ];
  for (const [name, frame, want] of cases) {
    const got = decide(frame, ctx);
    const summary =
      got.kind === "reply"
        ? `reply ${got.protocol}`
        : ["drop", got.reason, got.detail].filter(Boolean).join(" ");
    assert.equal(summary, want, name);
    if (got.kind === "reply") assert.equal(got.iface, "eth0", name);
  }
});

test("the ARP reply tells the asker our MAC for the IP", () => {
  const got = decide(ask(VIP), ctx);
  assert.equal(got.kind, "reply");
  assert.equal(got.ip, VIP);
  const want = encodeArpReply({
    senderMac: OUR_MAC,
    senderIp: VIP,
    targetMac: CLIENT_MAC,
    targetIp: CLIENT_IP,
  });
  assert.equal(toHex(got.frame), toHex(want));
});

test("the NA answers the solicitor, or all-nodes for DAD, from the configured source", () => {
  const withSource: ResponderContext = {
    ...ctx,
    owned: (ip) => (ip === VIP6 ? new Set(["eth0"]) : undefined),
    ipv6Source: "fe80::b",
  };
  const cases: [Uint8Array, Record<string, unknown>][] = [
    [
      solicit(VIP6),
      { ethDst: CLIENT_MAC, dstIp: CLIENT_IP6, srcIp: "fe80::b", solicited: true, override: true },
    ],
    [
      encodeDadSolicitation(CLIENT_MAC, VIP6),
      { ethDst: "33:33:00:00:00:01", dstIp: "ff02::1", solicited: false },
    ],
  ];
  for (const [frame, want] of cases) {
    const got = decide(frame, withSource);
    assert.ok(got.kind === "reply");
    const na = decodeNdp(got.frame);
    assert.ok(na.ok && na.value.type === "advertisement");
    assert.equal(na.value.target, VIP6);
    assert.equal(na.value.targetLinkAddress, OUR_MAC);
    for (const [field, value] of Object.entries(want)) {
      assert.equal(na.value[field as keyof typeof na.value], value, field);
    }
  }
});

const watch: ObserverContext = {
  ownMacs: new Set([OUR_MAC]),
  peerMacs: new Set([PEER_MAC]),
  watched: new Set([VIP, VIP6]),
};

test("a unicast NS to our MAC for an owned IP is answered unicast; to another MAC dropped", () => {
  const withSource: ResponderContext = { ...ctx, ipv6Source: "fe80::b" };
  const golden = (text: string) => fromHex(goldenHex(text));
  const toPeer = golden(UNICAST_NDP.probe);
  toPeer.set([2, 0, 0, 0, 0, 0x0c], 0); // the MAC a router still caches: the previous owner's
  const elsewhere: ResponderContext = { ...withSource, iface: "eth2" };
  const cases: [string, Uint8Array, ResponderContext, string][] = [
    ["kernel probe", golden(UNICAST_NDP.probe), withSource, goldenHex(UNICAST_NDP.probeAnswer)],
    [
      "no source link option",
      golden(UNICAST_NDP.bare),
      withSource,
      goldenHex(UNICAST_NDP.bareAnswer),
    ],
    ["to another MAC", toPeer, withSource, "drop notAddressedToUs"],
    [
      "on an interface it is not announced on",
      golden(UNICAST_NDP.probe),
      elsewhere,
      "drop notOnThisInterface",
    ],
  ];
  for (const [name, frame, context, want] of cases) {
    const got = decide(frame, context);
    const summary = got.kind === "reply" ? toHex(got.frame) : `drop ${got.reason}`;
    assert.equal(summary, want, name);
  }
  assert.equal(observe(golden(UNICAST_NDP.probe), watch), undefined, "a probe is no conflict");
});

test("observe reports foreign claims on watched IPs and nothing else", () => {
  const cases: [string, Uint8Array, string | undefined][] = [
    [
      "foreign ARP reply",
      encodeArpReply({
        senderMac: CLIENT_MAC,
        senderIp: VIP,
        targetMac: OUR_MAC,
        targetIp: CLIENT_IP,
      }),
      "arpReply",
    ],
    ["foreign gratuitous ARP", encodeGratuitousArp(CLIENT_MAC, VIP), "arpAnnouncement"],
    [
      "foreign host asking from our IP",
      encodeArpRequest({ senderMac: CLIENT_MAC, senderIp: VIP, targetIp: CLIENT_IP }),
      "arpRequest",
    ],
    ["foreign probe of our IP", encodeArpProbe(CLIENT_MAC, VIP), "arpProbe"],
    [
      "foreign unsolicited NA",
      encodeUnsolicitedAdvertisement(CLIENT_MAC, VIP6),
      "neighborAdvertisement",
    ],
    ["foreign DAD", encodeDadSolicitation(CLIENT_MAC, VIP6), "dadSolicitation"],
    [
      "foreign NS sent from our IP",
      encodeNeighborSolicitation({
        srcMac: CLIENT_MAC,
        srcIp: VIP6,
        dstMac: "33:33:ff:00:01:00",
        dstIp: "ff02::1:ff00:100",
        target: CLIENT_IP6,
        sourceLinkAddress: true,
      }),
      "neighborSolicitation",
    ],
    ["our own gratuitous ARP", encodeGratuitousArp(OUR_MAC, VIP), undefined],
    ["a peer speaker taking over", encodeGratuitousArp(PEER_MAC, VIP), undefined],
    ["a peer speaker's NA", encodeUnsolicitedAdvertisement(PEER_MAC, VIP6), undefined],
    ["a client asking for our IP", ask(VIP), undefined],
    ["a client soliciting our IP", solicit(VIP6), undefined],
    [
      "a foreign reply for an IP we do not watch",
      encodeGratuitousArp(CLIENT_MAC, "198.18.0.50"),
      undefined,
    ],
    ["garbage", new Uint8Array([1, 2, 3]), undefined],
  ];
  for (const [name, frame, evidence] of cases) {
    const got = observe(frame, watch);
    assert.equal(got?.evidence, evidence, name);
    if (got) assert.equal(got.mac, CLIENT_MAC, name);
  }
  // An NA without a target link-layer option is blamed on its Ethernet source.
  const message = new Uint8Array(24);
  message.set([136, 0, 0, 0, 0x20], 0);
  message.set(ipv6Bytes(VIP6), 8);
  const header = { src: VIP6, dst: "ff02::1", nextHeader: 58, hopLimit: 255 };
  const packet = encodeIpv6(header, sealIcmpv6(header, message));
  const bare = encodeEthernet(
    { dst: "33:33:00:00:00:01", src: CLIENT_MAC, ethertype: 0x86dd },
    packet,
  );
  assert.deepEqual(observe(bare, watch), {
    ip: VIP6,
    mac: CLIENT_MAC,
    evidence: "neighborAdvertisement",
  });
});

test("observe takes the watched set as a predicate too", () => {
  const byPredicate: ObserverContext = { ...watch, watched: (ip) => ip.startsWith("198.18.0.") };
  assert.deepEqual(observe(encodeGratuitousArp(CLIENT_MAC, "198.18.0.77"), byPredicate), {
    ip: "198.18.0.77",
    mac: CLIENT_MAC,
    evidence: "arpAnnouncement",
  });
  assert.ok(decodeArp(encodeGratuitousArp(CLIENT_MAC, "198.18.0.77")).ok);
});
