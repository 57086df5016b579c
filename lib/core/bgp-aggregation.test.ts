/**
 * Expected prefix lengths from Python's ipaddress.summarize_address_range (the fewest CIDRs
 * covering a range); the refused/accepted pairs are MetalLB's own validation cases.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BgpAdvertisementSpec } from "./bgp-advertisement.js";
import { aggregationErrors, type PoolAddresses, widestPrefix } from "./bgp-aggregation.js";
import { bgpConfig } from "./bgp-config.js";
import { parseRange } from "./ip.js";

const widest = (text: string): number => {
  const r = parseRange(text);
  assert.ok(r.ok, text);
  return widestPrefix(r.value);
};

const adv = (over: Partial<BgpAdvertisementSpec> = {}): BgpAdvertisementSpec => ({
  name: "a",
  ipAddressPools: undefined,
  ipAddressPoolSelectors: undefined,
  nodeSelectors: undefined,
  aggregationLength: 32,
  aggregationLengthV6: 128,
  localPref: undefined,
  communities: [],
  peers: [],
  ...over,
});

const pool = (name: string, addresses: string[], labels = {}): PoolAddresses => ({
  name,
  labels,
  addresses,
});

describe("widestPrefix", () => {
  for (const [text, want] of [
    ["3.3.3.2-3.3.3.254", 26],
    ["198.18.0.200-198.18.0.250", 28],
    ["10.0.0.0-10.0.255.255", 16],
    ["2001:db8:18::200-2001:db8:18::250", 122],
    ["198.18.100.10-198.18.100.19", 30],
    ["0.0.0.0-255.255.255.255", 0],
    ["10.0.0.5", 32],
    ["1.2.3.0/28", 28],
    ["10.20.30.40/24", 24],
  ] as const)
    test(`${text} -> /${want}`, () => assert.equal(widest(text), want));
});

describe("aggregationErrors", () => {
  test("a length shorter than a CIDR of the pool is refused, naming field and value", () => {
    const errors = aggregationErrors(adv({ aggregationLength: 26 }), [
      pool("p", ["10.20.30.40/24", "1.2.3.0/28"]),
    ]);
    assert.deepEqual(
      errors.map((e) => [e.code, e.field, e.value]),
      [["BAD_AGGREGATION", "spec.aggregationLength", "26"]],
    );
    assert.match(
      errors[0]?.message ?? "",
      /prefix \/28 of addresses 1\.2\.3\.0\/28 in IPAddressPool "p"/,
    );
  });

  test("a range is judged by the widest CIDR covering it", () => {
    const p = [pool("p", ["3.3.3.2-3.3.3.254"])];
    assert.equal(aggregationErrors(adv({ aggregationLength: 24 }), p).length, 1);
    assert.deepEqual(aggregationErrors(adv({ aggregationLength: 26 }), p), []);
  });

  test("IPv6 entries against aggregationLengthV6", () => {
    const p = [pool("p", ["2001:db8:18::200-2001:db8:18::250", "198.18.0.0/24"])];
    const errors = aggregationErrors(adv({ aggregationLength: 24, aggregationLengthV6: 120 }), p);
    assert.deepEqual(
      errors.map((e) => [e.field, e.value]),
      [["spec.aggregationLengthV6", "120"]],
    );
  });

  test("only pools the advertisement announces count", () => {
    const pools = [pool("wide", ["10.0.0.0/16"]), pool("narrow", ["1.2.3.0/28"], { tier: "x" })];
    const length = { aggregationLength: 16 };
    assert.equal(aggregationErrors(adv(length), pools).length, 1); // every pool
    assert.deepEqual(aggregationErrors(adv({ ...length, ipAddressPools: ["wide"] }), pools), []);
    const bySelector = adv({ ...length, ipAddressPoolSelectors: [{ matchLabels: { tier: "x" } }] });
    assert.equal(aggregationErrors(bySelector, pools).length, 1);
  });

  test("bgpConfig leaves the advertisement out and reports it", () => {
    const config = bgpConfig({
      namespace: "metallb-system",
      peers: [],
      bfdProfiles: [],
      communities: [],
      advertisements: [
        { metadata: { name: "agg" }, spec: { aggregationLength: 24, ipAddressPools: ["p"] } },
        { metadata: { name: "ok" }, spec: { aggregationLength: 26, ipAddressPools: ["p"] } },
      ],
      pools: [pool("p", ["3.3.3.2-3.3.3.254"])],
    });
    assert.deepEqual(
      config.advertisements.map((a) => a.name),
      ["ok"],
    );
    assert.deepEqual(
      config.errors.map((e) => [e.kind, e.name, e.field, e.value]),
      [["BGPAdvertisement", "agg", "spec.aggregationLength", "24"]],
    );
  });
});
