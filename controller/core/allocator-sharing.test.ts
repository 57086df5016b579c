import assert from "node:assert/strict";
import { test } from "node:test";
import { Allocator, type AllocationResult } from "./allocator.js";
import { buildPoolSet, type PoolSpec } from "./pool-set.js";
import { type AllocationRequest, type ServiceInfo, serviceRequest } from "./service-request.js";

const req = (over: Partial<ServiceInfo> = {}): AllocationRequest => {
  const base: ServiceInfo = {
    namespace: "default",
    name: "svc",
    annotations: {},
    labels: {},
    type: "LoadBalancer",
    ipFamilies: ["IPv4"],
    ports: [{ port: 80 }],
    selector: { app: "web" },
  };
  const r = serviceRequest({ ...base, ...over }, "");
  assert.ok(r.ok, JSON.stringify(over));
  return r.value;
};
const allocatorWith = (...specs: PoolSpec[]): Allocator => {
  const a = new Allocator();
  a.setPools(buildPoolSet(specs, []));
  return a;
};
const show = (r: AllocationResult): string =>
  r.ok ? `${r.value.ips.join(",")}@${r.value.pool}` : r.error.reason;
const shared = (key: string, port: number, ip = "10.0.0.5"): Partial<ServiceInfo> => ({
  annotations: { "metallb.io/allow-shared-ip": key, "metallb.io/loadBalancerIPs": ip },
  ports: [{ port }],
});

test("two Services with one sharing key and different ports share an IP; an overlapping port is refused", () => {
  const a = allocatorWith({ name: "p", addresses: ["10.0.0.0/24"] });
  assert.equal(show(a.allocate("ns/http", req(shared("web", 80)))), "10.0.0.5@p");
  assert.equal(show(a.allocate("ns/https", req(shared("web", 443)))), "10.0.0.5@p");
  const third = a.allocate("ns/again", req(shared("web", 443)));
  assert.equal(show(third), "SharingConflict");
  assert.match(third.ok ? "" : third.error.message, /10\.0\.0\.5 is used by ns\/https.*TCP\/443/);
  assert.deepEqual(a.counts("p")?.assignedIPv4, 1n);
});

test("sharing is refused unless key, traffic policy and (for Local) selector agree", () => {
  const local = { externalTrafficPolicy: "Local" };
  const cases: [string, Partial<ServiceInfo>, Partial<ServiceInfo>, string][] = [
    ["different keys", shared("a", 80), shared("b", 81), "SharingConflict"],
    [
      "newcomer without key",
      shared("a", 80),
      { ...shared("a", 81), annotations: { "metallb.io/loadBalancerIPs": "10.0.0.5" } },
      "SharingConflict",
    ],
    [
      "holder without key",
      { ...shared("a", 80), annotations: { "metallb.io/loadBalancerIPs": "10.0.0.5" } },
      shared("a", 81),
      "SharingConflict",
    ],
    [
      "different traffic policy",
      shared("a", 80),
      { ...shared("a", 81), ...local },
      "SharingConflict",
    ],
    [
      "Local, different selectors",
      { ...shared("a", 80), ...local },
      { ...shared("a", 81), ...local, selector: { app: "db" } },
      "SharingConflict",
    ],
    [
      "Local, same selectors",
      { ...shared("a", 80), ...local },
      { ...shared("a", 81), ...local },
      "10.0.0.5@p",
    ],
    [
      "Cluster, different selectors",
      shared("a", 80),
      { ...shared("a", 81), selector: { app: "db" } },
      "10.0.0.5@p",
    ],
    [
      "same port, other protocol",
      shared("dns", 53),
      { ...shared("dns", 53), ports: [{ port: 53, protocol: "UDP" }] },
      "10.0.0.5@p",
    ],
  ];
  for (const [name, first, second, want] of cases) {
    const a = allocatorWith({ name: "p", addresses: ["10.0.0.0/24"] });
    assert.equal(show(a.allocate("ns/first", req(first))), "10.0.0.5@p", name);
    assert.equal(show(a.allocate("ns/second", req(second))), want, name);
  }
});

test("a sharing conflict names the annotation that asked for the IP and the sharing key's", () => {
  const cases: [string, Partial<ServiceInfo>, RegExp][] = [
    [
      "other key",
      shared("b", 81),
      /^metallb\.io\/loadBalancerIPs "10\.0\.0\.5": .* "a", not metallb\.io\/allow-shared-ip "b"$/,
    ],
    [
      "other legacy key",
      {
        annotations: {
          "metallb.universe.tf/allow-shared-ip": "b",
          "metallb.universe.tf/loadBalancerIPs": "10.0.0.5",
        },
      },
      /^metallb\.universe\.tf\/loadBalancerIPs "10\.0\.0\.5": .*not metallb\.universe\.tf\/allow-shared-ip "b"$/,
    ],
    ["same port", shared("a", 80), /^metallb\.io\/loadBalancerIPs "10\.0\.0\.5": .*TCP\/80$/],
    [
      "spec.loadBalancerIP, no key",
      { loadBalancerIP: "10.0.0.5" },
      /^spec\.loadBalancerIP "10\.0\.0\.5": .*set the same metallb\.io\/allow-shared-ip \("a"\)/,
    ],
  ];
  for (const [name, second, message] of cases) {
    const a = allocatorWith({ name: "p", addresses: ["10.0.0.0/24"] });
    assert.equal(show(a.allocate("ns/first", req(shared("a", 80)))), "10.0.0.5@p", name);
    const r = a.allocate("ns/second", req(second));
    assert.equal(show(r), "SharingConflict", name);
    assert.match(r.ok ? "" : r.error.message, message, name);
  }
});

test("without requested IPs, Services with one sharing key land on the same address", () => {
  const a = allocatorWith({ name: "p", addresses: ["10.0.0.0/24"] });
  const key = (port: number): Partial<ServiceInfo> => ({
    annotations: { "metallb.io/allow-shared-ip": "k" },
    ports: [{ port }],
  });
  a.allocate("ns/other", req());
  a.allocate("ns/gap", req());
  assert.equal(show(a.allocate("ns/a", req(key(80)))), "10.0.0.2@p");
  a.release("ns/other");
  assert.equal(show(a.allocate("ns/b", req(key(443)))), "10.0.0.2@p");
  assert.equal(show(a.allocate("ns/c", req(key(443)))), "10.0.0.0@p");
  a.release("ns/a");
  assert.deepEqual(a.ipsOf("ns/b"), ["10.0.0.2"]);
  assert.equal(show(a.allocate("ns/d", req())), "10.0.0.3@p");
});

test("a full pool whose shared address conflicts: SharingConflict with a key, else PoolExhausted", () => {
  const a = allocatorWith({ name: "one", addresses: ["10.0.0.1/32"] });
  const key = { annotations: { "metallb.io/allow-shared-ip": "k" } };
  assert.equal(show(a.allocate("ns/a", req(key))), "10.0.0.1@one");
  assert.equal(show(a.allocate("ns/b", req(key))), "SharingConflict");
  assert.equal(show(a.allocate("ns/c", req())), "PoolExhausted");
});

const dual = (policy: string, families = ["IPv4", "IPv6"]): Partial<ServiceInfo> => ({
  ipFamilies: families,
  ipFamilyPolicy: policy,
});

test("dual-stack policies", () => {
  const v4 = { name: "v4", addresses: ["10.0.0.0/24"], serviceAllocation: { priority: 1 } };
  const v6 = { name: "v6", addresses: ["2001:db8:6::/64"], serviceAllocation: { priority: 2 } };
  const both = {
    name: "both",
    addresses: ["10.0.1.0/24", "2001:db8:18::/64"],
    serviceAllocation: { priority: 3 },
  };
  const cases: [string, PoolSpec[], Partial<ServiceInfo>, string][] = [
    ["Require, IPv4-only pool", [v4], dual("RequireDualStack"), "NoMatchingPool"],
    ["Require, one pool per family", [v4, v6], dual("RequireDualStack"), "NoMatchingPool"],
    ["Require, dual pool", [v4, both], dual("RequireDualStack"), "10.0.1.0,2001:db8:18::@both"],
    [
      "Require, IPv6 first",
      [both],
      dual("RequireDualStack", ["IPv6", "IPv4"]),
      "2001:db8:18::,10.0.1.0@both",
    ],
    ["Prefer, IPv4-only pool", [v4], dual("PreferDualStack"), "10.0.0.0@v4"],
    ["Prefer, IPv6-only pool", [v6], dual("PreferDualStack"), "2001:db8:6::@v6"],
    [
      "Prefer, a dual pool wins over an earlier single pool",
      [v4, both],
      dual("PreferDualStack"),
      "10.0.1.0,2001:db8:18::@both",
    ],
    [
      "Single IPv6 from a dual pool",
      [v4, both],
      dual("SingleStack", ["IPv6"]),
      "2001:db8:18::@both",
    ],
  ];
  for (const [name, pools, over, want] of cases) {
    const r = allocatorWith(...pools).allocate("ns/s", req(over));
    assert.equal(show(r), want, name);
  }
});

test("PreferDualStack gains the missing family when its pool gets one, keeping its address", () => {
  const a = allocatorWith({ name: "p", addresses: ["10.0.0.0/24"] });
  a.assign("ns/s", req(dual("PreferDualStack")), ["10.0.0.9"]);
  assert.deepEqual(
    a.setPools(buildPoolSet([{ name: "p", addresses: ["10.0.0.0/24", "2001:db8::/120"] }], [])),
    [],
  );
  const r = a.allocate("ns/s", req(dual("PreferDualStack")));
  assert.equal(show(r), "10.0.0.9,2001:db8::@p");
  assert.equal(r.ok && r.value.cleared, undefined);
});

test("a RequireDualStack Service holding one address is moved to a dual pair", () => {
  const a = allocatorWith({ name: "p", addresses: ["10.0.0.0/24", "2001:db8::/120"] });
  a.assign("ns/s", req(), ["10.0.0.9"]);
  const r = a.allocate("ns/s", req(dual("RequireDualStack")));
  assert.equal(show(r), "10.0.0.0,2001:db8::@p");
  assert.deepEqual(r.ok && r.value.cleared?.ips, ["10.0.0.9"]);
});

test("RequireDualStack on a dual pool whose IPv4 part is full: PoolExhausted naming IPv4", () => {
  const a = allocatorWith({ name: "p", addresses: ["10.0.0.1/32", "2001:db8::/120"] });
  assert.equal(show(a.allocate("ns/v4", req())), "10.0.0.1@p");
  const r = a.allocate("ns/dual", req(dual("RequireDualStack")));
  assert.equal(show(r), "PoolExhausted");
  assert.match(r.ok ? "" : r.error.message, /no free IPv4 address in pool "p"/);
  assert.equal(show(a.allocate("ns/prefer", req(dual("PreferDualStack")))), "2001:db8::@p");
});
