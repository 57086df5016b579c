import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonicalMac,
  decodeEthernet,
  encodeEthernet,
  formatMac,
  isGroupMac,
  macToBytes,
  parseMac,
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
