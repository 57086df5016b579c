import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeIpv6,
  encodeIpv6,
  icmpv6Checksum,
  ipv6Bytes,
  multicastMac,
  solicitedNodeMulticast,
} from "./ipv6.js";
import { fromHex, toHex } from "./testing/hex.js";

test("solicitedNodeMulticast keeps the last 24 bits (RFC 4291 2.7.1, RFC 2464 7)", () => {
  const cases: [string, string, string][] = [
    ["2001:db8:18::200", "ff02::1:ff00:200", "33:33:ff:00:02:00"],
    ["fe80::1234:5678:9abc:def0", "ff02::1:ffbc:def0", "33:33:ff:bc:de:f0"],
    ["2001:db8::ffff:ffff", "ff02::1:ffff:ffff", "33:33:ff:ff:ff:ff"],
    ["::", "ff02::1:ff00:0", "33:33:ff:00:00:00"],
  ];
  for (const [ip, group, mac] of cases) {
    assert.deepEqual(solicitedNodeMulticast(ip), { ip: group, mac }, ip);
  }
  assert.equal(multicastMac("ff02::1"), "33:33:00:00:00:01");
  assert.throws(() => solicitedNodeMulticast("198.18.0.1"), TypeError);
});

test("icmpv6Checksum matches an independently computed value and verifies to zero", () => {
  // Neighbor Solicitation from 2001:db8:18::100 for 2001:db8:18::200, checksum field zero.
  const src = ipv6Bytes("2001:db8:18::100");
  const dst = ipv6Bytes("ff02::1:ff00:200");
  const message = fromHex("87000000 00000000 20010db8001800000000000000000200 0101020000000064");
  assert.equal(icmpv6Checksum(src, dst, message), 0x1699);
  message.set([0x16, 0x99], 2);
  assert.equal(icmpv6Checksum(src, dst, message), 0);
  // An odd length is padded with a zero byte: "01" sums like "0100".
  const odd = icmpv6Checksum(src, dst, fromHex("01"));
  const padded = icmpv6Checksum(src, dst, fromHex("0100"));
  assert.equal(odd, (padded + 1) & 0xffff, "only the length in the pseudo-header differs");
});

test("encodeIpv6 and decodeIpv6 round-trip and cut link-layer padding", () => {
  const header = { src: "fe80::b", dst: "ff02::1", nextHeader: 58, hopLimit: 255 };
  const packet = encodeIpv6(header, fromHex("aabbcc"));
  assert.equal(
    toHex(packet),
    "6000000000033aff" +
      "fe80000000000000000000000000000b" +
      "ff020000000000000000000000000001" +
      "aabbcc",
  );
  const padded = new Uint8Array(packet.length + 5);
  padded.set(packet);
  const got = decodeIpv6(padded);
  assert.ok(got.ok);
  assert.deepEqual(
    { ...got.value, payload: toHex(got.value.payload), srcBytes: 0, dstBytes: 0 },
    { ...header, payload: "aabbcc", srcBytes: 0, dstBytes: 0 },
  );
});

test("decodeIpv6 names what is wrong", () => {
  const good = toHex(
    encodeIpv6({ src: "::1", dst: "::2", nextHeader: 58, hopLimit: 1 }, fromHex("00")),
  );
  const cases: [string, string][] = [
    ["", "TRUNCATED"],
    [good.slice(0, 78), "TRUNCATED"],
    [good.slice(0, 80), "TRUNCATED"],
    ["40" + good.slice(2), "BAD_IP_VERSION"],
  ];
  for (const [input, code] of cases) {
    const got = decodeIpv6(fromHex(input));
    assert.equal(got.ok ? "ok" : got.error.code, code, input);
  }
});
