import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonicalMac,
  decodeEthernet,
  encodeEthernet,
  formatMac,
  isGroupMac,
  isGroupMacAt,
  isMacAt,
  macToBytes,
  parseMac,
  writeMac,
} from "./ethernet.js";
import { fromHex as bytes, toHex as hex } from "./testing/hex.js";

test("parseMac and formatMac convert between text and six bytes", () => {
  const cases: [string, string | undefined][] = [
    ["aa:bb:cc:dd:ee:ff", "aabbccddeeff"],
    ["AA:BB:CC:00:01:02", "aabbcc000102"],
    ["00:00:00:00:00:00", "000000000000"],
    ["aa:bb:cc:dd:ee", undefined],
    ["aa:bb:cc:dd:ee:ff:00", undefined],
    ["aa-bb-cc-dd-ee-ff", undefined],
    ["aabb.ccdd.eeff", undefined],
    ["a:bb:cc:dd:ee:ff", undefined],
    ["gg:bb:cc:dd:ee:ff", undefined],
    ["", undefined],
  ];
  for (const [text, want] of cases) {
    const parsed = parseMac(text);
    assert.equal(parsed && hex(parsed), want, text);
    if (parsed) assert.equal(formatMac(parsed), text.toLowerCase(), text);
    assert.equal(canonicalMac(text), want && text.toLowerCase(), text);
  }
});

test("formatMac reads at an offset and refuses short input", () => {
  assert.equal(formatMac(bytes("ff 02000000000b 99"), 1), "02:00:00:00:00:0b");
  assert.throws(() => formatMac(bytes("0102030405")), RangeError);
  assert.throws(() => formatMac(bytes("010203040506"), 1), RangeError);
  assert.throws(() => macToBytes("nope"), TypeError);
});

test("isGroupMac is true for broadcast and multicast, false for unicast", () => {
  const cases: [string, boolean][] = [
    ["ff:ff:ff:ff:ff:ff", true],
    ["33:33:00:00:00:01", true],
    ["01:00:5e:00:00:01", true],
    ["02:00:00:00:00:0b", false],
    ["00:11:22:33:44:55", false],
  ];
  for (const [mac, want] of cases) assert.equal(isGroupMac(mac), want, mac);
});

test("isMacAt compares bytes with a MAC's canonical text, as formatMac(...) === mac would", () => {
  const frame = bytes("02000000000b 0100 5e000001");
  const cases: [number, string, boolean][] = [
    [0, "02:00:00:00:00:0b", true],
    [0, "02:00:00:00:00:0c", false],
    [0, "02:00:00:00:00:0B", false], // not canonical: text equality never held either
    [0, "02-00-00-00-00-0b", false],
    [0, "garbage", false],
    [8, "5e:00:00:01:00:00", false], // only four bytes left
    [-1, "02:00:00:00:00:0b", false],
  ];
  for (const [offset, mac, want] of cases) {
    assert.equal(isMacAt(frame, offset, mac), want, `${mac} at ${offset}`);
    if (offset >= 0 && frame.length - offset >= 6) {
      assert.equal(formatMac(frame, offset) === mac, want, `the text comparison agrees: ${mac}`);
    }
  }
  assert.equal(isGroupMacAt(frame, 0), false);
  assert.equal(isGroupMacAt(frame, 6), true);
});

test("writeMac writes a MAC in either case and refuses what is not one", () => {
  const out = new Uint8Array(8);
  writeMac(out, 1, "02:00:00:00:00:0b");
  assert.equal(hex(out), "0002000000000b00");
  writeMac(out, 2, "AA:BB:CC:DD:EE:FF");
  assert.equal(hex(out), "0002aabbccddeeff");
  assert.throws(() => writeMac(out, 0, "02:00:00:00:00"), TypeError);
  const first = macToBytes("02:00:00:00:00:0b");
  first[0] = 0xff;
  assert.equal(hex(macToBytes("02:00:00:00:00:0b")), "02000000000b", "each caller gets a copy");
});

test("encodeEthernet writes dst, src, ethertype and pads to 60 bytes", () => {
  const frame = encodeEthernet(
    { dst: "ff:ff:ff:ff:ff:ff", src: "02:00:00:00:00:0b", ethertype: 0x0806 },
    bytes("0102"),
  );
  assert.equal(hex(frame), "ffffffffffff02000000000b0806" + "0102" + "00".repeat(44));
  const long = encodeEthernet(
    { dst: "02:00:00:00:00:64", src: "02:00:00:00:00:0b", ethertype: 0x86dd },
    new Uint8Array(100),
  );
  assert.equal(long.length, 114);
});

test("decodeEthernet splits a frame or names what is wrong", () => {
  const good = decodeEthernet(bytes("020000000064 02000000000b 0806 aabb"));
  assert.deepEqual(good.ok && { ...good.value, payload: hex(good.value.payload) }, {
    dst: "02:00:00:00:00:64",
    src: "02:00:00:00:00:0b",
    ethertype: 0x0806,
    payload: "aabb",
  });
  const bad: [string, string][] = [
    ["", "TRUNCATED"],
    ["020000000064 02000000000b 08", "TRUNCATED"],
    ["020000000064 02000000000b 8100 0064 0806", "VLAN_TAGGED"],
    ["020000000064 02000000000b 88a8 0064 8100", "VLAN_TAGGED"],
    ["020000000064 02000000000b 002e", "NOT_ETHERNET_II"],
  ];
  for (const [input, code] of bad) {
    const got = decodeEthernet(bytes(input));
    assert.equal(got.ok ? "ok" : got.error.code, code, input);
  }
});
