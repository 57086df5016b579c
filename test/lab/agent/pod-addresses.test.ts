import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addressesAt,
  freeIndex,
  gatewayAddresses,
  indexOf,
  MAX_POD_INDEX,
  parsePodCidrs,
  type PodCidrs,
} from "./pod-addresses.js";

const cidrsOf = (...texts: string[]): PodCidrs => {
  const parsed = parsePodCidrs(texts);
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
  return parsed.value;
};
const dual = cidrsOf("2001:db8:19:2::/64", "198.19.2.0/24");

test("parsePodCidrs orders IPv4 first and derives the last usable index", () => {
  const cases: { cidrs: string[]; lastIndex: number; first: string }[] = [
    { cidrs: ["198.19.2.0/24"], lastIndex: 254, first: "198.19.2.0" },
    { cidrs: ["2001:db8:19:2::/64"], lastIndex: MAX_POD_INDEX, first: "2001:db8:19:2::" },
    { cidrs: ["2001:db8:19:2::/64", "198.19.2.0/24"], lastIndex: 254, first: "198.19.2.0" },
    { cidrs: ["198.19.2.0/30"], lastIndex: 2, first: "198.19.2.0" },
    { cidrs: ["2001:db8::/120", "198.19.0.0/16"], lastIndex: 255, first: "198.19.0.0" },
  ];
  for (const c of cases) {
    const cidrs = cidrsOf(...c.cidrs);
    assert.equal(cidrs.lastIndex, c.lastIndex, c.cidrs.join(","));
    assert.equal(addressesAt(cidrs, 0)[0], c.first, c.cidrs.join(","));
  }
});

test("parsePodCidrs rejects what cannot hold pods", () => {
  const cases: { cidrs: string[]; error: RegExp }[] = [
    { cidrs: [], error: /no pod CIDR/ },
    { cidrs: ["198.19.2.0/31"], error: /too small/ },
    { cidrs: ["198.19.2.0/24", "198.19.3.0/24"], error: /more than one IPv4/ },
    { cidrs: ["198.19.2.7"], error: /not a CIDR/ },
    { cidrs: ["nonsense/24"], error: /not a CIDR/ },
  ];
  for (const c of cases) {
    const parsed = parsePodCidrs(c.cidrs);
    assert.ok(!parsed.ok, c.cidrs.join(","));
    assert.match(parsed.error, c.error);
  }
});

test("a pod index gives one address per family; index 1 is the gateway", () => {
  assert.deepEqual(addressesAt(dual, 7), ["198.19.2.7", "2001:db8:19:2::7"]);
  assert.deepEqual(addressesAt(dual, 254), ["198.19.2.254", "2001:db8:19:2::fe"]);
  assert.deepEqual(gatewayAddresses(dual), ["198.19.2.1", "2001:db8:19:2::1"]);
});

test("indexOf finds a pod address's index, only for usable pod addresses", () => {
  const cases: { ip: string; index: number | undefined }[] = [
    { ip: "198.19.2.7", index: 7 },
    { ip: "2001:db8:19:2::fe", index: 254 },
    { ip: "198.19.2.1", index: undefined }, // gateway
    { ip: "198.19.2.0", index: undefined }, // network
    { ip: "198.19.2.255", index: undefined }, // broadcast
    { ip: "2001:db8:19:2::1:0", index: undefined }, // beyond the IPv4 range: no twin address
    { ip: "198.19.3.7", index: undefined }, // another node's
    { ip: "garbage", index: undefined },
  ];
  for (const c of cases) assert.equal(indexOf(dual, c.ip), c.index, c.ip);
});

test("freeIndex takes the preferred index when free, else the lowest free one", () => {
  const small = cidrsOf("198.19.2.0/29"); // pods .2 - .6
  const cases: { used: number[]; preferred?: number; want: number | undefined }[] = [
    { used: [], want: 2 },
    { used: [2, 3], want: 4 },
    { used: [2, 4], want: 3 },
    { used: [], preferred: 5, want: 5 },
    { used: [5], preferred: 5, want: 2 },
    { used: [], preferred: 1, want: 2 }, // the gateway is never a pod
    { used: [], preferred: 7, want: 2 }, // broadcast
    { used: [2, 3, 4, 5, 6], want: undefined },
  ];
  for (const c of cases) {
    assert.equal(freeIndex(small, new Set(c.used), c.preferred), c.want, JSON.stringify(c));
  }
});
