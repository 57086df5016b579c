import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ARP_AT,
  arpIpAt,
  checkArp,
  decodeArp,
  encodeArpAnswer,
  encodeArpProbe,
  encodeArpReply,
  encodeArpReplyTo,
  encodeArpRequest,
  encodeGratuitousArp,
  encodeGratuitousArpReply,
} from "./arp.js";
import { fromHex, toHex } from "./testing/hex.js";

// Node 02:00:00:00:00:0b announces 198.18.0.200 (c6 12 00 c8); the client is
// 02:00:00:00:00:64 at 198.18.0.100 (c6 12 00 64). Layout from RFC 826, padded to 60 bytes.
const OUR_MAC = "02:00:00:00:00:0b";
const CLIENT_MAC = "02:00:00:00:00:64";
const VIP = "198.18.0.200";
const CLIENT_IP = "198.18.0.100";
const PAD = "00".repeat(18);

const GOLDEN = {
  //        eth dst      eth src      type | htype ptype hl pl op | sha spa | tha tpa
  request: `ffffffffffff 020000000064 0806 | 0001 0800 06 04 0001 |
            020000000064 c6120064 | 000000000000 c61200c8 | ${PAD}`,
  reply: `020000000064 02000000000b 0806 | 0001 0800 06 04 0002 |
          02000000000b c61200c8 | 020000000064 c6120064 | ${PAD}`,
  gratuitous: `ffffffffffff 02000000000b 0806 | 0001 0800 06 04 0001 |
               02000000000b c61200c8 | 000000000000 c61200c8 | ${PAD}`,
  probe: `ffffffffffff 02000000000b 0806 | 0001 0800 06 04 0001 |
          02000000000b 00000000 | 000000000000 c61200c8 | ${PAD}`,
  // RFC 5944 4.6: op 2, sender IP = target IP = the VIP, target MAC = sender MAC, broadcast.
  gratuitousReply: `ffffffffffff 02000000000b 0806 | 0001 0800 06 04 0002 |
                    02000000000b c61200c8 | 02000000000b c61200c8 | ${PAD}`,
};
const golden = (text: string): string => toHex(fromHex(text.replace(/\|/g, "")));

test("encoders write the RFC 826 / RFC 5227 bytes", () => {
  const cases: [string, Uint8Array, string][] = [
    [
      "request",
      encodeArpRequest({ senderMac: CLIENT_MAC, senderIp: CLIENT_IP, targetIp: VIP }),
      GOLDEN.request,
    ],
    [
      "reply",
      encodeArpReply({
        senderMac: OUR_MAC,
        senderIp: VIP,
        targetMac: CLIENT_MAC,
        targetIp: CLIENT_IP,
      }),
      GOLDEN.reply,
    ],
    ["gratuitous", encodeGratuitousArp(OUR_MAC, VIP), GOLDEN.gratuitous],
    ["probe", encodeArpProbe(OUR_MAC, VIP), GOLDEN.probe],
    ["gratuitous reply", encodeGratuitousArpReply(OUR_MAC, VIP), GOLDEN.gratuitousReply],
  ];
  for (const [name, frame, want] of cases) {
    assert.equal(frame.length, 60, name);
    assert.equal(toHex(frame), golden(want), name);
  }
});

test("decodeArp reads and classifies each form", () => {
  const cases: [string, Record<string, string | number>][] = [
    [
      GOLDEN.request,
      { op: 1, kind: "request", senderIp: CLIENT_IP, targetIp: VIP, senderMac: CLIENT_MAC },
    ],
    [
      GOLDEN.reply,
      { op: 2, kind: "reply", senderIp: VIP, targetIp: CLIENT_IP, targetMac: CLIENT_MAC },
    ],
    [GOLDEN.gratuitous, { op: 1, kind: "announcement", senderIp: VIP, targetIp: VIP }],
    [GOLDEN.probe, { op: 1, kind: "probe", senderIp: "0.0.0.0", targetIp: VIP }],
  ];
  for (const [frame, want] of cases) {
    const got = decodeArp(fromHex(frame.replace(/\|/g, "")));
    assert.ok(got.ok, frame);
    for (const [field, value] of Object.entries(want)) {
      assert.equal(got.value[field as keyof typeof got.value], value, `${field} of ${frame}`);
    }
  }
});

test("decodeArp reads a request as Linux arping sends it, junk padding and all", () => {
  // arping -I eth0 198.18.0.200 from 52:54:00:12:34:56 at 198.18.0.1; some NICs pad with junk.
  const frame = fromHex(
    "ffffffffffff525400123456 0806 0001 0800 06 04 0001 525400123456 c6120001 000000000000 c61200c8" +
      "deadbeef".repeat(4) +
      "cafe",
  );
  assert.deepEqual(decodeArp(frame), {
    ok: true,
    value: {
      ethDst: "ff:ff:ff:ff:ff:ff",
      ethSrc: "52:54:00:12:34:56",
      op: 1,
      kind: "request",
      senderMac: "52:54:00:12:34:56",
      senderIp: "198.18.0.1",
      targetMac: "00:00:00:00:00:00",
      targetIp: VIP,
    },
  });
});

test("decodeArp returns an error code for every kind of bad frame", () => {
  const request = golden(GOLDEN.request);
  const patch = (at: number, replacement: string): string =>
    request.slice(0, at * 2) + replacement + request.slice(at * 2 + replacement.length);
  const cases: [string, string][] = [
    ["", "TRUNCATED"],
    [request.slice(0, 26), "TRUNCATED"],
    [request.slice(0, 2 * 41), "TRUNCATED"],
    [patch(12, "8100"), "VLAN_TAGGED"],
    [patch(12, "0800"), "NOT_ARP"],
    [patch(12, "86dd"), "NOT_ARP"],
    [patch(14, "0006"), "BAD_HARDWARE_TYPE"],
    [patch(16, "86dd"), "BAD_PROTOCOL_TYPE"],
    [patch(18, "10"), "BAD_ADDRESS_LENGTHS"],
    [patch(19, "10"), "BAD_ADDRESS_LENGTHS"],
    [patch(20, "0003"), "UNKNOWN_OP"],
    [patch(20, "0000"), "UNKNOWN_OP"],
  ];
  for (const [input, code] of cases) {
    const got = decodeArp(fromHex(input));
    assert.equal(got.ok ? "ok" : got.error.code, code, input);
  }
  assert.ok(decodeArp(fromHex(request.slice(0, 2 * 42))).ok, "42 bytes without padding is enough");
});

test("encodeArpReplyTo answers a request, and a probe the way Linux does", () => {
  const request = decodeArp(fromHex(golden(GOLDEN.request)));
  assert.ok(request.ok);
  assert.equal(toHex(encodeArpReplyTo(request.value, OUR_MAC, VIP)), golden(GOLDEN.reply));
  const probe = decodeArp(encodeArpProbe(CLIENT_MAC, VIP));
  assert.ok(probe.ok);
  const reply = decodeArp(encodeArpReplyTo(probe.value, OUR_MAC, VIP));
  assert.ok(reply.ok);
  assert.equal(reply.value.ethDst, CLIENT_MAC);
  assert.equal(reply.value.targetIp, "0.0.0.0");
  assert.equal(reply.value.senderIp, VIP);
});

test("encodeArpAnswer writes, from the request's bytes, what encodeArpReplyTo writes", () => {
  const junkPadded = fromHex(golden(GOLDEN.request) + "deadbeef".repeat(8));
  for (const frame of [
    fromHex(golden(GOLDEN.request)),
    junkPadded,
    encodeArpProbe(CLIENT_MAC, VIP),
  ]) {
    const checked = checkArp(frame);
    const decoded = decodeArp(frame);
    assert.ok(checked.ok && decoded.ok);
    const want = encodeArpReplyTo(decoded.value, OUR_MAC, decoded.value.targetIp);
    assert.equal(toHex(encodeArpAnswer(checked.value, OUR_MAC)), toHex(want));
  }
  const checked = checkArp(fromHex(golden(GOLDEN.request)));
  assert.ok(checked.ok);
  assert.throws(() => encodeArpAnswer(checked.value, "not a mac"), TypeError);
});

test("arpIpAt gives the canonical text of any address, however often addresses repeat", () => {
  const frame = new Uint8Array(42);
  let seed = 7;
  for (let i = 0; i < 5000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const value = i % 3 === 0 ? seed : seed & 0xff000fff; // many repeats and table collisions
    const octets = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
    frame.set(octets, ARP_AT.targetIp);
    assert.equal(arpIpAt(frame, ARP_AT.targetIp), octets.join("."));
  }
  assert.throws(() => arpIpAt(frame, 40), RangeError);
});

test("encoders refuse addresses the caller should have validated", () => {
  assert.throws(() => encodeGratuitousArp("bad", VIP), TypeError);
  assert.throws(() => encodeGratuitousArp(OUR_MAC, "2001:db8::1"), TypeError);
  assert.throws(() => encodeArpProbe(OUR_MAC, "198.18.0.256"), TypeError);
});
