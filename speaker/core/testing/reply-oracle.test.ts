/**
 * The fuzz oracle against golden frames written from the RFCs (the same bytes as the codec
 * goldens in ../arp.test.ts and ../ndp.test.ts; checksums computed separately, with Python's
 * ipaddress and struct, over the RFC 8200 8.1 pseudo-header), so the oracle is right on its own
 * and not merely in agreement with the responder.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex, toHex } from "./hex.js";
import { ipBytes } from "./oracle-bytes.js";
import { Oracle, expectedArpConflict } from "./reply-oracle.js";

const OUR_MAC = "02:00:00:00:00:0b";
const VIP4 = "198.18.0.200";
const VIP6 = "2001:db8:18::200";
const PAD = "00".repeat(18);
const VIP_HEX = "20010db8001800000000000000000200";
const CLIENT_HEX = "20010db8001800000000000000000100";
const SNM_HEX = "ff0200000000000000000001ff000200";
const ALL_NODES_HEX = "ff020000000000000000000000000001";
const hex = (text: string): string => text.replace(/[\s|]/g, "");

const ARP_REQUEST = `ffffffffffff 020000000064 0806 | 0001 0800 06 04 0001 |
                     020000000064 c6120064 | 000000000000 c61200c8 | ${PAD}`;
const ARP_REPLY = `020000000064 02000000000b 0806 | 0001 0800 06 04 0002 |
                   02000000000b c61200c8 | 020000000064 c6120064 | ${PAD}`;
const NS_MULTICAST = `3333ff000200 020000000064 86dd | 60000000 0020 3a ff ${CLIENT_HEX} ${SNM_HEX} |
                      87 00 1699 | 00000000 | ${VIP_HEX} | 01 01 020000000064`;
/** Unicast (NUD): to our MAC and to the target itself, no source link-layer option. */
const NS_UNICAST = `02000000000b 020000000064 86dd | 60000000 0018 3a ff ${CLIENT_HEX} ${VIP_HEX} |
                    87 00 ea39 | 00000000 | ${VIP_HEX}`;
const NS_DAD = `3333ff000200 020000000064 86dd | 60000000 0018 3a ff ${"00".repeat(16)} ${SNM_HEX} |
                87 00 48d7 | 00000000 | ${VIP_HEX}`;
const NA_SOLICITED = `020000000064 02000000000b 86dd | 60000000 0020 3a ff ${VIP_HEX} ${CLIENT_HEX} |
                      88 00 8525 | 60000000 | ${VIP_HEX} | 02 01 02000000000b`;
const NA_TO_ALL = `333300000001 02000000000b 86dd | 60000000 0020 3a ff ${VIP_HEX} ${ALL_NODES_HEX} |
                   88 00 f4f2 | 20000000 | ${VIP_HEX} | 02 01 02000000000b`;

/** The oracle of a node owning VIP4 and VIP6 on eth0, seen from `iface`. */
const oracleOn = (iface: string): Oracle =>
  new Oracle({
    iface,
    mac: OUR_MAC,
    owned: [
      { ip: VIP4, ifaces: ["eth0"] },
      { ip: VIP6, ifaces: ["eth0"] },
    ],
  });
const oracle = oracleOn("eth0");
const elsewhere = oracleOn("eth1");

test("the oracle answers the golden requests with the golden replies", () => {
  const cases: [string, string, string, "arp" | "ndp", string][] = [
    ["ARP request", ARP_REQUEST, ARP_REPLY, "arp", VIP4],
    ["multicast NS", NS_MULTICAST, NA_SOLICITED, "ndp", VIP6],
    ["unicast NS: unicast NA, S=1", NS_UNICAST, NA_SOLICITED, "ndp", VIP6],
    ["DAD NS: to all-nodes, S=0", NS_DAD, NA_TO_ALL, "ndp", VIP6],
  ];
  for (const [name, request, reply, protocol, ip] of cases) {
    const got = oracle.expectedReply(fromHex(hex(request)));
    assert.ok(got, `${name}: answered`);
    assert.equal(toHex(got.frame), hex(reply), name);
    assert.deepEqual([got.protocol, got.ip], [protocol, ip], name);
    assert.equal(elsewhere.expectedReply(fromHex(hex(request))), undefined, `${name} on eth1`);
  }
});

test("the oracle answers no unicast NS to another MAC, and none with a bad checksum", () => {
  const toPeer = hex(NS_UNICAST).replace(/^02000000000b/, "02000000000c");
  const badSum = hex(NS_UNICAST).replace("8700ea39", "8700ea38");
  for (const frame of [toPeer, badSum]) {
    assert.equal(oracle.expectedReply(fromHex(frame)), undefined, frame);
  }
});

test("the oracle's ARP verdicts and conflicts on golden frames", () => {
  const request = fromHex(hex(ARP_REQUEST));
  assert.deepEqual(elsewhere.arpVerdict(request), {
    kind: "drop",
    reason: "notOnThisInterface",
    ip: VIP4,
  });
  const reply = fromHex(hex(ARP_REPLY));
  assert.deepEqual(oracle.arpVerdict(reply), {
    kind: "drop",
    reason: "notRequest",
    ip: "198.18.0.100",
  });
  assert.deepEqual(oracle.arpVerdict(request.subarray(0, 41)), {
    kind: "drop",
    reason: "malformed",
  });
  const watch = { ownMacs: [OUR_MAC], peerMacs: [], watched: [VIP4] };
  // Someone else's reply claiming our IP; our own reply claims nothing.
  const foreign = fromHex(hex(ARP_REPLY).replace(/^(.{44})02000000000b/, "$1020000000099"));
  assert.deepEqual(expectedArpConflict(foreign, watch), {
    ip: VIP4,
    mac: "02:00:00:00:00:99",
    evidence: "arpReply",
  });
  assert.equal(expectedArpConflict(reply, watch), undefined);
});

test("the oracle's own IP parser: RFC 791 and RFC 4291 2.2 text forms, others refused", () => {
  const cases: [string, number[]][] = [
    ["198.18.0.200", [198, 18, 0, 200]],
    ["::", Array<number>(16).fill(0)],
    ["::1", [...Array<number>(15).fill(0), 1]],
    ["fe80::1:b", [0xfe, 0x80, ...Array<number>(10).fill(0), 0, 1, 0, 0x0b]],
    ["2001:db8:0:1::1:200", [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 0]],
    ["1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
  ];
  for (const [text, bytes] of cases) assert.deepEqual(ipBytes(text), bytes, text);
  for (const bad of [
    "1.2.3",
    "256.0.0.1",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "1:2::3:4:5:6:7:8",
    ":1::",
  ]) {
    assert.throws(() => ipBytes(bad), /not an IP address/, bad);
  }
});
