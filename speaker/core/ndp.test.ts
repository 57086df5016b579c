import assert from "node:assert/strict";
import { test } from "node:test";
import { icmpv6Checksum } from "./ipv6.js";
import {
  decodeNdp,
  encodeDadSolicitation,
  encodeNeighborSolicitation,
  encodeSolicitedAdvertisement,
  encodeUnsolicitedAdvertisement,
  type NeighborSolicitation,
} from "./ndp.js";
import { fromHex, toHex } from "./testing/hex.js";
import { UNICAST_NDP, goldenHex } from "./testing/unicast-ndp-golden.js";

// Node 02:00:00:00:00:0b announces 2001:db8:18::200; the client is 02:00:00:00:00:64 at
// 2001:db8:18::100. Solicited-node group of ::200: ff02::1:ff00:200, MAC 33:33:ff:00:02:00.
// Checksums computed separately over the RFC 8200 8.1 pseudo-header.
const OUR_MAC = "02:00:00:00:00:0b";
const CLIENT_MAC = "02:00:00:00:00:64";
const VIP = "2001:db8:18::200";
const CLIENT_IP = "2001:db8:18::100";
const VIP_HEX = "20010db8001800000000000000000200";
const CLIENT_HEX = "20010db8001800000000000000000100";
const SNM_HEX = "ff0200000000000000000001ff000200";
const ALL_NODES_HEX = "ff020000000000000000000000000001";

const GOLDEN = {
  // eth dst, src, type | ver/tc/flow, payload length, next header 58, hop limit 255, src, dst |
  // type code checksum | reserved or flags | target | option type, length (8-byte units), MAC
  solicitation: `3333ff000200 020000000064 86dd | 60000000 0020 3a ff ${CLIENT_HEX} ${SNM_HEX} |
                 87 00 1699 | 00000000 | ${VIP_HEX} | 01 01 020000000064`,
  solicitedAdvert: `020000000064 02000000000b 86dd | 60000000 0020 3a ff ${VIP_HEX} ${CLIENT_HEX} |
                    88 00 8525 | 60000000 | ${VIP_HEX} | 02 01 02000000000b`,
  unsolicitedAdvert: `333300000001 02000000000b 86dd | 60000000 0020 3a ff ${VIP_HEX} ${ALL_NODES_HEX} |
                      88 00 f4f2 | 20000000 | ${VIP_HEX} | 02 01 02000000000b`,
  dadSolicitation: `3333ff000200 02000000000b 86dd | 60000000 0018 3a ff ${"00".repeat(16)} ${SNM_HEX} |
                    87 00 48d7 | 00000000 | ${VIP_HEX}`,
};
/** A DAD solicitation with a 2-unit source link-layer option, which RFC 4861 7.1.1 forbids. */
const DAD_WIDE_SLLA = `3333ff000200 020000000064 86dd | 60000000 0028 3a ff ${"00".repeat(16)} ${SNM_HEX} |
                       87 00 4561 | 00000000 | ${VIP_HEX} | 01 02 020000000064 0000000000000000`;
const golden = (text: string): string => text.replace(/[\s|]/g, "");
const frameOf = (text: string): Uint8Array => fromHex(golden(text));

function solicitation(text = GOLDEN.solicitation): NeighborSolicitation {
  const got = decodeNdp(frameOf(text));
  assert.ok(got.ok && got.value.type === "solicitation", "golden solicitation decodes");
  return got.value;
}

test("encoders write the RFC 4861 bytes with a correct checksum", () => {
  const cases: [string, Uint8Array, string][] = [
    [
      "solicitation",
      encodeNeighborSolicitation({
        srcMac: CLIENT_MAC,
        srcIp: CLIENT_IP,
        dstMac: "33:33:ff:00:02:00",
        dstIp: "ff02::1:ff00:200",
        target: VIP,
        sourceLinkAddress: true,
      }),
      GOLDEN.solicitation,
    ],
    [
      "solicited advertisement",
      encodeSolicitedAdvertisement(solicitation(), OUR_MAC),
      GOLDEN.solicitedAdvert,
    ],
    [
      "unsolicited advertisement",
      encodeUnsolicitedAdvertisement(OUR_MAC, VIP),
      GOLDEN.unsolicitedAdvert,
    ],
    ["DAD solicitation", encodeDadSolicitation(OUR_MAC, VIP), GOLDEN.dadSolicitation],
    // A DAD solicitation is answered to all-nodes with S=0: the unsolicited form exactly.
    [
      "answer to DAD",
      encodeSolicitedAdvertisement(solicitation(GOLDEN.dadSolicitation), OUR_MAC),
      GOLDEN.unsolicitedAdvert,
    ],
  ];
  for (const [name, frame, want] of cases) assert.equal(toHex(frame), golden(want), name);
});

test("a solicited advertisement can come from the interface's link-local address", () => {
  const frame = encodeSolicitedAdvertisement(solicitation(), OUR_MAC, "fe80::b");
  const want = golden(GOLDEN.solicitedAdvert)
    .replace(
      `86dd60000000${"0020"}3a${"ff"}${VIP_HEX}`,
      `86dd600000000020` + `3aff${"fe80".padEnd(28, "0")}000b`,
    )
    .replace("88008525", "8800b66a");
  assert.equal(toHex(frame), want);
});

test("decodeNdp reads solicitations and advertisements", () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      GOLDEN.solicitation,
      {
        type: "solicitation",
        ethSrc: CLIENT_MAC,
        ethDst: "33:33:ff:00:02:00",
        srcIp: CLIENT_IP,
        dstIp: "ff02::1:ff00:200",
        target: VIP,
        sourceLinkAddress: CLIENT_MAC,
        dad: false,
      },
    ],
    [
      GOLDEN.dadSolicitation,
      { type: "solicitation", srcIp: "::", sourceLinkAddress: undefined, dad: true },
    ],
    [
      GOLDEN.solicitedAdvert,
      {
        type: "advertisement",
        target: VIP,
        router: false,
        solicited: true,
        override: true,
        targetLinkAddress: OUR_MAC,
      },
    ],
    [
      GOLDEN.unsolicitedAdvert,
      { type: "advertisement", dstIp: "ff02::1", solicited: false, override: true },
    ],
    // Ethernet padding after the IPv6 payload is ignored.
    [GOLDEN.dadSolicitation + "deadbeef", { type: "solicitation", dad: true }],
  ];
  for (const [frame, want] of cases) {
    const got = decodeNdp(frameOf(frame));
    assert.ok(got.ok, `${frame}: ${got.ok ? "" : got.error.code}`);
    for (const [field, value] of Object.entries(want)) {
      assert.equal(got.value[field as keyof typeof got.value], value, `${field} of ${frame}`);
    }
  }
});

/** Replaces bytes at a frame offset, then optionally recomputes the ICMPv6 checksum. */
function mutate(text: string, at: number, replacement: string, reseal = true): Uint8Array {
  const hex = golden(text);
  const frame = fromHex(
    hex.slice(0, at * 2) + replacement + hex.slice(at * 2 + replacement.length),
  );
  if (!reseal) return frame;
  const payloadLength = (frame[18] ?? 0) * 256 + (frame[19] ?? 0);
  const message = frame.subarray(54, 54 + payloadLength);
  message.set([0, 0], 2);
  const sum = icmpv6Checksum(frame.subarray(22, 38), frame.subarray(38, 54), message);
  message.set([sum >> 8, sum & 0xff], 2);
  return frame;
}

test("decodeNdp rejects what RFC 4861 7.1 says to discard, with a code", () => {
  const ns = GOLDEN.solicitation;
  const na = GOLDEN.solicitedAdvert;
  const cases: [string, Uint8Array, string][] = [
    ["empty", new Uint8Array(0), "TRUNCATED"],
    ["short IPv6 header", frameOf(ns).subarray(0, 50), "TRUNCATED"],
    ["payload cut short", frameOf(ns).subarray(0, 85), "TRUNCATED"],
    ["ICMPv6 shorter than 24", mutate(ns, 18, "0014"), "TRUNCATED"],
    ["VLAN tag", mutate(ns, 12, "8100", false), "VLAN_TAGGED"],
    ["IPv4 ethertype", mutate(ns, 12, "0800", false), "NOT_IPV6"],
    ["IP version 4", mutate(ns, 14, "40", false), "BAD_IP_VERSION"],
    ["UDP", mutate(ns, 20, "11", false), "NOT_ICMPV6"],
    ["echo request", mutate(ns, 54, "80"), "NOT_NDP"],
    ["router solicitation", mutate(ns, 54, "85"), "NOT_NDP"],
    ["hop limit 64", mutate(ns, 21, "40", false), "BAD_HOP_LIMIT"],
    ["hop limit 254", mutate(na, 21, "fe", false), "BAD_HOP_LIMIT"],
    ["code 1", mutate(ns, 55, "01"), "BAD_CODE"],
    ["bad checksum", mutate(ns, 56, "1698", false), "BAD_CHECKSUM"],
    ["target changed, checksum not", mutate(ns, 62, "30", false), "BAD_CHECKSUM"],
    ["option length 0", mutate(ns, 79, "00"), "BAD_OPTION_LENGTH"],
    ["option past the end", mutate(ns, 79, "02"), "BAD_OPTION_LENGTH"],
    ["multicast source (RFC 4291 2.7)", mutate(ns, 22, "ff02"), "MULTICAST_SOURCE"],
    ["multicast target", mutate(ns, 62, "ff02"), "MULTICAST_TARGET"],
    ["DAD with source link-layer option", mutate(ns, 22, "00".repeat(16)), "BAD_DAD_SOLICITATION"],
    [
      "DAD not to solicited-node group",
      mutate(GOLDEN.dadSolicitation, 38, ALL_NODES_HEX),
      "BAD_DAD_SOLICITATION",
    ],
    ["solicited NA to multicast", mutate(na, 38, ALL_NODES_HEX), "SOLICITED_TO_MULTICAST"],
    // RFC 4861 7.1.1: no source link-layer option at all, not merely no 1-unit (Ethernet) one.
    ["DAD with a 2-unit source link-layer option", frameOf(DAD_WIDE_SLLA), "BAD_DAD_SOLICITATION"],
  ];
  for (const [name, frame, code] of cases) {
    const got = decodeNdp(frame);
    assert.equal(got.ok ? "ok" : got.error.code, code, name);
  }
});

test("unknown options are skipped and link-layer options of other sizes ignored", () => {
  // Append a nonce option (type 14, 1 unit) after the source link-layer option.
  const base = golden(GOLDEN.solicitation).replace(/^(.{36})0020/, "$10028");
  const withNonce = mutate(base + "0e01010203040506", 0, "");
  const got = decodeNdp(withNonce);
  assert.ok(got.ok && got.value.type === "solicitation");
  assert.equal(got.value.sourceLinkAddress, CLIENT_MAC);
  // A 2-unit source link-layer option is not an Ethernet address: no MAC is read from it.
  const wide = mutate(
    golden(GOLDEN.solicitation).replace(/^(.{36})0020/, "$10028") + "0".repeat(16),
    79,
    "02",
  );
  const decoded = decodeNdp(wide);
  assert.ok(decoded.ok && decoded.value.type === "solicitation");
  assert.equal(decoded.value.sourceLinkAddress, undefined);
});

test("a unicast solicitation (RFC 4861 7.3.3 probe) is answered with a unicast NA, S=1", () => {
  const cases: [string, string, string][] = [
    ["the kernel's probe, source link option", UNICAST_NDP.probe, UNICAST_NDP.probeAnswer],
    ["no source link option: to the Ethernet source", UNICAST_NDP.bare, UNICAST_NDP.bareAnswer],
  ];
  for (const [name, ns, answer] of cases) {
    const got = decodeNdp(fromHex(goldenHex(ns)));
    assert.ok(got.ok && got.value.type === "solicitation", name);
    assert.deepEqual(
      [got.value.ethDst, got.value.dstIp, got.value.target, got.value.dad],
      [OUR_MAC, VIP, VIP, false],
      `${name}: to our MAC and the target itself`,
    );
    const na = encodeSolicitedAdvertisement(got.value, OUR_MAC, "fe80::b");
    assert.equal(toHex(na), goldenHex(answer), name);
  }
  // RFC 4861 7.1.1 holds for unicast too: a router that forwarded it (hop limit 254) is ignored.
  const forwarded = fromHex(goldenHex(UNICAST_NDP.probe));
  forwarded[21] = 254;
  const got = decodeNdp(forwarded);
  assert.equal(got.ok ? "ok" : got.error.code, "BAD_HOP_LIMIT");
});
