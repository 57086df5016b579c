import assert from "node:assert/strict";
import { test } from "node:test";
import { buildPoolSet, type NamespaceInfo, poolAllowsService, type PoolSpec } from "./pool-set.js";

const namespaces: NamespaceInfo[] = [
  { name: "team-a", labels: { tier: "gold" } },
  { name: "team-b", labels: { tier: "silver" } },
];

test("a valid pool is usable with MetalLB defaults", () => {
  const set = buildPoolSet([{ name: "default", addresses: ["198.18.0.200-198.18.0.250"] }], []);
  assert.deepEqual(set.errors, new Map());
  const pool = set.byName.get("default");
  assert.ok(pool);
  assert.equal(pool.autoAssign, true);
  assert.equal(pool.avoidBuggyIPs, false);
  assert.deepEqual(pool.capacity, { IPv4: 51n, IPv6: 0n });
});

test("bad addresses are reported naming spec.addresses[i] and the value", () => {
  const cases: [string, string, string][] = [
    ["garbage", "BAD_ADDRESS", "is not an IP address"],
    ["10.0.0.0/33", "BAD_PREFIX", "invalid prefix length"],
    ["10.0.0.9-10.0.0.1", "REVERSED_RANGE", "reversed"],
    ["10.0.0.1-2001:db8::1", "MIXED_FAMILIES", "mixes IPv4 and IPv6"],
  ];
  for (const [value, code, why] of cases) {
    const set = buildPoolSet([{ name: "p", addresses: ["10.1.0.0/24", value] }], []);
    assert.equal(set.pools.length, 0, value);
    const [error, ...rest] = set.errors.get("p") ?? [];
    assert.equal(rest.length, 0);
    assert.deepEqual([error?.code, error?.field, error?.value], [code, "spec.addresses[1]", value]);
    assert.match(error?.message ?? "", /spec\.addresses\[1\]/);
    assert.ok(error?.message.includes(`"${value}"`) && error.message.includes(why), error?.message);
  }
});

test("every bad address of a pool is reported, and an empty list too", () => {
  const set = buildPoolSet(
    [
      { name: "two", addresses: ["x", "10.0.0.0/8", "y"] },
      { name: "none", addresses: [] },
    ],
    [],
  );
  assert.deepEqual(
    set.errors.get("two")?.map((e) => e.field),
    ["spec.addresses[0]", "spec.addresses[2]"],
  );
  assert.equal(set.errors.get("none")?.[0]?.code, "NO_ADDRESSES");
});

test("overlapping pools of the same age: the later name is rejected, the message names both pools", () => {
  const set = buildPoolSet(
    [
      { name: "b-wide", addresses: ["10.2.0.0/24", "10.0.0.0/16"] },
      { name: "a-narrow", addresses: ["10.0.5.0/24"] },
      { name: "c-apart", addresses: ["10.1.0.0/16"] },
    ],
    [],
  );
  assert.deepEqual(
    set.pools.map((p) => p.name),
    ["a-narrow", "c-apart"],
  );
  const error = set.errors.get("b-wide")?.[0];
  assert.equal(error?.code, "OVERLAP");
  assert.equal(error?.field, "spec.addresses[1]");
  assert.equal(error?.otherPool, "a-narrow");
  assert.ok(error?.message.includes('"b-wide"') && error.message.includes('"a-narrow"'));
});

test("overlapping pools: the newer pool is rejected whatever the names, so a serving pool keeps serving", () => {
  const set = buildPoolSet(
    [
      { name: "z-serving", createdAt: "2026-01-01T00:00:00Z", addresses: ["10.0.0.0/24"] },
      { name: "a-newcomer", createdAt: "2026-06-01T00:00:00Z", addresses: ["10.0.0.128/25"] },
      { name: "m-unsaved", addresses: ["10.0.0.7/32"] },
    ],
    [],
  );
  assert.deepEqual(
    set.pools.map((p) => p.name),
    ["z-serving"],
  );
  assert.equal(set.errors.get("a-newcomer")?.[0]?.otherPool, "z-serving");
  assert.equal(set.errors.get("m-unsaved")?.[0]?.otherPool, "z-serving");
});

test("overlap inside one pool is reported against the earlier entry", () => {
  const set = buildPoolSet([{ name: "p", addresses: ["10.0.0.0/24", "10.0.0.128/25"] }], []);
  const error = set.errors.get("p")?.[0];
  assert.deepEqual([error?.code, error?.field], ["OVERLAP", "spec.addresses[1]"]);
  assert.match(error?.message ?? "", /spec\.addresses\[0\]/);
});

test("pool order: priority (lower first), pools without priority last, then name", () => {
  const specs: PoolSpec[] = [
    { name: "z-none", addresses: ["10.0.0.0/24"] },
    { name: "b-ten", addresses: ["10.0.1.0/24"], serviceAllocation: { priority: 10 } },
    { name: "a-ten", addresses: ["10.0.2.0/24"], serviceAllocation: { priority: 10 } },
    { name: "c-one", addresses: ["10.0.3.0/24"], serviceAllocation: { priority: 1 } },
    { name: "a-zero", addresses: ["10.0.4.0/24"], serviceAllocation: { priority: 0 } },
  ];
  const set = buildPoolSet(specs, []);
  assert.deepEqual(
    set.pools.map((p) => p.name),
    ["c-one", "a-ten", "b-ten", "a-zero", "z-none"],
  );
});

test("serviceAllocation selects namespaces by name or labels, and services by labels", () => {
  const set = buildPoolSet(
    [
      {
        name: "by-name",
        addresses: ["10.0.0.0/24"],
        serviceAllocation: { namespaces: ["team-b"] },
      },
      {
        name: "by-label",
        addresses: ["10.0.1.0/24"],
        serviceAllocation: { namespaceSelectors: [{ matchLabels: { tier: "gold" } }] },
      },
      {
        name: "by-service",
        addresses: ["10.0.2.0/24"],
        serviceAllocation: {
          serviceSelectors: [
            { matchExpressions: [{ key: "app", operator: "In", values: ["web"] }] },
          ],
        },
      },
      {
        name: "selects-nothing",
        addresses: ["10.0.3.0/24"],
        serviceAllocation: { namespaceSelectors: [{ matchLabels: { tier: "none" } }] },
      },
      { name: "open", addresses: ["10.0.4.0/24"] },
    ],
    namespaces,
  );
  const allowed = (ns: string, labels: Record<string, string>): string[] =>
    set.pools.filter((p) => poolAllowsService(p, ns, labels)).map((p) => p.name);
  assert.deepEqual(allowed("team-a", {}), ["by-label", "open"]);
  assert.deepEqual(allowed("team-b", {}), ["by-name", "open"]);
  assert.deepEqual(allowed("other", { app: "web" }), ["by-service", "open"]);
});

test("a bad selector makes the pool invalid, naming the field and operator", () => {
  const set = buildPoolSet(
    [
      {
        name: "p",
        addresses: ["10.0.0.0/24"],
        serviceAllocation: {
          serviceSelectors: [{ matchExpressions: [{ key: "app", operator: "Equals" }] }],
        },
      },
    ],
    [],
  );
  const error = set.errors.get("p")?.[0];
  assert.equal(error?.code, "BAD_SELECTOR");
  assert.equal(
    error?.field,
    "spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].operator",
  );
  assert.equal(error?.value, "Equals");
  assert.equal(set.pools.length, 0);
});

test("capacity excludes .0/.255 with avoidBuggyIPs and is exact for a /64", () => {
  const set = buildPoolSet(
    [
      { name: "v4", addresses: ["10.0.0.0/23", "10.0.9.9"], avoidBuggyIPs: true },
      { name: "v6", addresses: ["2001:db8:18::/64", "198.18.0.0/24"] },
    ],
    [],
  );
  assert.deepEqual(set.byName.get("v4")?.capacity, { IPv4: 508n + 1n, IPv6: 0n });
  assert.deepEqual(set.byName.get("v6")?.capacity, { IPv4: 256n, IPv6: 2n ** 64n });
  assert.deepEqual(
    set.byName.get("v6")?.ranges.map((r) => r.family),
    ["IPv4", "IPv6"],
  );
});

test("a negative priority or an impossible namespace name makes the pool invalid, naming both", () => {
  const cases: [string, PoolSpec["serviceAllocation"], string, string, string][] = [
    [
      "negative priority",
      { priority: -1 },
      "BAD_PRIORITY",
      "spec.serviceAllocation.priority",
      "-1",
    ],
    [
      "uppercase namespace",
      { namespaces: ["team-a", "Team_B"] },
      "BAD_NAMESPACE",
      "spec.serviceAllocation.namespaces[1]",
      "Team_B",
    ],
    [
      "empty namespace",
      { namespaces: [""] },
      "BAD_NAMESPACE",
      "spec.serviceAllocation.namespaces[0]",
      "",
    ],
    [
      "namespace too long",
      { namespaces: ["n".repeat(64)] },
      "BAD_NAMESPACE",
      "spec.serviceAllocation.namespaces[0]",
      "n".repeat(64),
    ],
  ];
  for (const [name, serviceAllocation, code, field, value] of cases) {
    const set = buildPoolSet([{ name: "p", addresses: ["10.0.0.0/24"], serviceAllocation }], []);
    assert.equal(set.pools.length, 0, name);
    const error = set.errors.get("p")?.[0];
    assert.deepEqual([error?.code, error?.field, error?.value], [code, field, value], name);
    assert.ok(error?.message.includes(`${field} "${value}"`), error?.message);
  }
  const fine = buildPoolSet(
    [
      {
        name: "p",
        addresses: ["10.0.0.0/24"],
        serviceAllocation: { priority: 0, namespaces: ["a-1"] },
      },
    ],
    [],
  );
  assert.deepEqual(fine.errors, new Map());
});
