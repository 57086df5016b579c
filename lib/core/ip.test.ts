import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonicalIp,
  formatIp,
  formatIpAt,
  formatRange,
  ipFromBytes,
  ipToBytes,
  parseIp,
  parseRange,
  rangeSize,
} from "./ip.js";

test("parseIp and formatIp round-trip to the canonical text", () => {
  const cases: [string, string | undefined][] = [
    ["198.18.0.200", "198.18.0.200"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["2001:db8:18::200", "2001:db8:18::200"],
    ["2001:0DB8:0018:0000:0000:0000:0000:0200", "2001:db8:18::200"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::", "fe80::"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8::ffff:1.2.3.4", "2001:db8::ffff:102:304"],
    ["256.1.1.1", undefined],
    ["1.2.3", undefined],
    ["01.2.3.4", undefined],
    ["1:2:3:4:5:6:7:8:9", undefined],
    ["1::2::3", undefined],
    ["garbage", undefined],
    ["", undefined],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, input);
});

test("parseRange accepts CIDRs, ranges and single addresses, and names what is wrong", () => {
  const good: [string, string, bigint][] = [
    ["198.18.0.200-198.18.0.250", "198.18.0.200-198.18.0.250", 51n],
    ["198.18.0.0/24", "198.18.0.0-198.18.0.255", 256n],
    ["198.18.0.7/24", "198.18.0.0-198.18.0.255", 256n],
    ["198.18.0.9", "198.18.0.9", 1n],
    ["2001:db8:18::/64", "2001:db8:18::-2001:db8:18:0:ffff:ffff:ffff:ffff", 1n << 64n],
    [" 2001:db8:18::200 - 2001:db8:18::250 ", "2001:db8:18::200-2001:db8:18::250", 0x51n],
  ];
  for (const [input, text, size] of good) {
    const r = parseRange(input);
    assert.ok(r.ok, input);
    assert.equal(formatRange(r.value), text);
    assert.equal(rangeSize(r.value), size);
  }
  const bad: [string, string][] = [
    ["10.0.0.0/33", "BAD_PREFIX"],
    ["10.0.0.0/", "BAD_PREFIX"],
    ["10.0.0.0/x", "BAD_PREFIX"],
    ["10.0.0.300/24", "BAD_ADDRESS"],
    ["10.0.0.9-10.0.0.1", "REVERSED_RANGE"],
    ["10.0.0.1-2001:db8::1", "MIXED_FAMILIES"],
    ["not-an-ip", "BAD_ADDRESS"],
    ["1.2.3.4-5.6.7.8-9.9.9.9", "BAD_ADDRESS"],
  ];
  for (const [input, code] of bad) {
    const r = parseRange(input);
    assert.ok(!r.ok, input);
    assert.equal(r.error.code, code, input);
    assert.equal(r.error.value, input);
  }
});

test("bytes round-trip in network order", () => {
  const v4 = parseIp("198.18.0.1");
  assert.ok(v4);
  assert.deepEqual([...ipToBytes(v4)], [198, 18, 0, 1]);
  assert.deepEqual(ipFromBytes(ipToBytes(v4)), v4);
  const v6 = parseIp("2001:db8:18::1");
  assert.ok(v6);
  assert.equal(ipToBytes(v6).length, 16);
  assert.deepEqual(ipFromBytes(ipToBytes(v6)), v6);
  assert.throws(() => ipFromBytes(new Uint8Array(5)));
});

test("formatIpAt reads an address at an offset, as formatIp(ipFromBytes(...)) does", () => {
  const addresses = [
    "0.0.0.0",
    "198.18.0.200",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::b",
    "2001:db8::1:0:0:1",
    "2001:db8:0:1:1:1:1:1",
    "2001:db8:18::200",
  ];
  for (const text of addresses) {
    const ip = parseIp(text);
    assert.ok(ip, text);
    const bytes = new Uint8Array([0xaa, ...ipToBytes(ip), 0xbb]);
    assert.equal(formatIpAt(bytes, 1, ip.family), text);
    assert.equal(formatIpAt(bytes, 1, ip.family), formatIp(ipFromBytes(ipToBytes(ip))));
  }
  assert.throws(() => formatIpAt(new Uint8Array(4), 1, "IPv4"), RangeError);
  assert.throws(() => formatIpAt(new Uint8Array(16), 1, "IPv6"), RangeError);
});
