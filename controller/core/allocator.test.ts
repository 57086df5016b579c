import assert from "node:assert/strict";
import { test } from "node:test";
import { lbServiceInfo } from "../../test/support/fake-cluster.js";
import { Allocator, type AllocationResult } from "./allocator.js";
import { buildPoolSet, type PoolSpec } from "./pool-set.js";
import { type AllocationRequest, type ServiceInfo, serviceRequest } from "./service-request.js";

const req = (over: Partial<ServiceInfo> = {}): AllocationRequest => {
  const r = serviceRequest(lbServiceInfo("svc", over), "");
  assert.ok(r.ok, JSON.stringify(over));
  return r.value;
};
const pool = (name: string, addresses: string[], over: Partial<PoolSpec> = {}): PoolSpec => ({
  name,
  addresses,
  ...over,
});
const allocatorWith = (...specs: PoolSpec[]): Allocator => {
  const a = new Allocator();
  a.setPools(buildPoolSet(specs, [{ name: "team", labels: { tier: "gold" } }]));
  return a;
};
const ann = (annotations: Record<string, string>): Partial<ServiceInfo> => ({ annotations });
/** `ips@pool` or the failure reason. */
const show = (r: AllocationResult): string =>
  r.ok ? `${r.value.ips.join(",")}@${r.value.pool}` : r.error.reason;

test("a Service gets the lowest free address of the pool, and keeps it", () => {
  const a = allocatorWith(pool("default", ["198.18.0.200-198.18.0.250"]));
  assert.equal(show(a.allocate("ns/a", req())), "198.18.0.200@default");
  assert.equal(show(a.allocate("ns/b", req())), "198.18.0.201@default");
  const again = a.allocate("ns/a", req());
  assert.equal(show(again), "198.18.0.200@default");
  assert.equal(again.ok && again.value.cleared, undefined);
  assert.deepEqual([a.ipsOf("ns/b"), a.poolOf("ns/b")], [["198.18.0.201"], "default"]);
});

test("pools are tried by priority (lower first, none last), then by name", () => {
  const a = allocatorWith(
    pool("none", ["10.0.4.0/32"]),
    pool("p20", ["10.0.3.0/32"], { serviceAllocation: { priority: 20 } }),
    pool("p10-b", ["10.0.2.0/32"], { serviceAllocation: { priority: 10 } }),
    pool("p10-a", ["10.0.1.0/32"], { serviceAllocation: { priority: 10 } }),
  );
  const got = ["s1", "s2", "s3", "s4", "s5"].map((s) => show(a.allocate(s, req())));
  assert.deepEqual(got, [
    "10.0.1.0@p10-a",
    "10.0.2.0@p10-b",
    "10.0.3.0@p20",
    "10.0.4.0@none",
    "PoolExhausted",
  ]);
});

test("a pool whose serviceAllocation selects the Service comes first; others may not use it", () => {
  const a = allocatorWith(
    pool("open", ["10.0.0.1"], { serviceAllocation: { priority: 1 } }),
    pool("gold", ["10.0.9.1"], {
      serviceAllocation: { namespaceSelectors: [{ matchLabels: { tier: "gold" } }] },
    }),
  );
  assert.equal(show(a.allocate("team/x", req({ namespace: "team" }))), "10.0.9.1@gold");
  assert.equal(show(a.allocate("other/y", req({ namespace: "other" }))), "10.0.0.1@open");
  assert.equal(show(a.allocate("other/z", req({ namespace: "other" }))), "PoolExhausted");
  const denied = a.allocate(
    "other/w",
    req({ namespace: "other", ...ann({ "metallb.io/address-pool": "gold" }) }),
  );
  assert.equal(show(denied), "NoMatchingPool");
});

test("an autoAssign=false pool is used only when named or when its IP is requested", () => {
  const a = allocatorWith(pool("manual", ["10.0.0.0/30"], { autoAssign: false }));
  const auto = a.allocate("s/auto", req());
  assert.equal(show(auto), "NoMatchingPool");
  assert.match(auto.ok ? "" : auto.error.message, /autoAssign/);
  assert.equal(
    show(a.allocate("s/named", req(ann({ "metallb.io/address-pool": "manual" })))),
    "10.0.0.0@manual",
  );
  assert.equal(
    show(a.allocate("s/ip", req(ann({ "metallb.io/loadBalancerIPs": "10.0.0.3" })))),
    "10.0.0.3@manual",
  );
});

test("avoidBuggyIPs never hands out .0 or .255, even when requested", () => {
  const a = allocatorWith(pool("p", ["10.0.0.254-10.0.1.1"], { avoidBuggyIPs: true }));
  const got = ["a", "b", "c"].map((s) => show(a.allocate(s, req())));
  assert.deepEqual(got, ["10.0.0.254@p", "10.0.1.1@p", "PoolExhausted"]);
  const asked = a.allocate("d", req(ann({ "metallb.io/loadBalancerIPs": "10.0.0.255" })));
  assert.equal(show(asked), "RequestedIPUnavailable");
  assert.match(asked.ok ? "" : asked.error.message, /avoidBuggyIPs/);
  assert.deepEqual(a.counts("p"), {
    assignedIPv4: 2n,
    assignedIPv6: 0n,
    availableIPv4: 0n,
    availableIPv6: 0n,
  });
});

test("an exhausted pool fails with PoolExhausted until a release frees an address", () => {
  const a = allocatorWith(pool("small", ["10.0.0.1-10.0.0.2"]));
  a.allocate("s/1", req());
  a.allocate("s/2", req());
  const pending = a.allocate("s/3", req());
  assert.equal(show(pending), "PoolExhausted");
  assert.match(pending.ok ? "" : pending.error.message, /"small"/);
  assert.deepEqual(a.release("s/1"), ["10.0.0.1"]);
  assert.equal(show(a.allocate("s/3", req())), "10.0.0.1@small");
  assert.deepEqual(a.release("s/unknown"), []);
});

test("requested IPs: outside every pool, in another pool, in use, or unknown pool", () => {
  const a = allocatorWith(
    pool("a", ["10.0.0.0/24"]),
    pool("b", ["10.0.1.0/24"]),
    pool("bad", ["nope"]),
  );
  a.allocate("s/holder", req(ann({ "metallb.io/loadBalancerIPs": "10.0.0.7" })));
  const cases: [Record<string, string>, string, RegExp][] = [
    [
      { "metallb.io/loadBalancerIPs": "192.0.2.1" },
      "RequestedIPUnavailable",
      /192\.0\.2\.1.*not inside one usable pool/,
    ],
    [
      { "metallb.io/loadBalancerIPs": "10.0.1.5", "metallb.io/address-pool": "a" },
      "RequestedIPUnavailable",
      /in pool "b", not in the requested pool "a"/,
    ],
    [
      { "metallb.io/loadBalancerIPs": "10.0.0.7" },
      "SharingConflict",
      /10\.0\.0\.7 is used by s\/holder/,
    ],
    [
      { "metallb.io/address-pool": "missing" },
      "NoMatchingPool",
      /metallb.io\/address-pool "missing".*does not exist/,
    ],
    [{ "metallb.io/address-pool": "bad" }, "NoMatchingPool", /"bad".*invalid/],
    [
      { "metallb.universe.tf/address-pool": "missing" },
      "NoMatchingPool",
      /^metallb\.universe\.tf\/address-pool "missing"/,
    ],
  ];
  for (const [annotations, reason, message] of cases) {
    const r = a.allocate("s/asker", req(ann(annotations)));
    assert.equal(show(r), reason, JSON.stringify(annotations));
    assert.match(r.ok ? "" : r.error.message, message);
  }
});

test("a changed request moves the Service and reports the cleared address", () => {
  const a = allocatorWith(pool("p", ["10.0.0.0/24"]));
  a.allocate("s/x", req());
  const moved = a.allocate("s/x", req(ann({ "metallb.io/loadBalancerIPs": "10.0.0.42" })));
  assert.equal(show(moved), "10.0.0.42@p");
  assert.deepEqual(moved.ok && moved.value.cleared?.ips, ["10.0.0.0"]);
  assert.equal(show(a.allocate("s/y", req())), "10.0.0.0@p");
});

test("startup: assign keeps the exact addresses from status; invalid ones are refused", () => {
  const a = allocatorWith(
    pool("p", ["10.0.0.0/24"]),
    pool("q", ["10.0.1.0/24"], { autoAssign: false }),
  );
  assert.equal(show(a.assign("s/old", req(), ["10.0.0.77"])), "10.0.0.77@p");
  assert.equal(show(a.assign("s/manual", req(), ["10.0.1.9"])), "10.0.1.9@q");
  assert.equal(show(a.allocate("s/old", req())), "10.0.0.77@p");
  assert.equal(show(a.allocate("s/new", req())), "10.0.0.0@p");
  assert.equal(show(a.assign("s/gone", req(), ["192.0.2.1"])), "RequestedIPUnavailable");
  assert.equal(show(a.assign("s/taken", req(), ["10.0.0.77"])), "SharingConflict");
  const asked = req(ann({ "metallb.io/loadBalancerIPs": "10.0.0.5" }));
  assert.equal(show(a.assign("s/edited", asked, ["10.0.0.6"])), "RequestedIPUnavailable");
  assert.equal(show(a.assign("s/garbage", req(), ["not-an-ip"])), "RequestedIPUnavailable");
});

test("setPools reports Services whose addresses a pool edit dropped, and keeps the others", () => {
  const a = allocatorWith(pool("p", ["10.0.0.0/24"]));
  a.assign("s/low", req(), ["10.0.0.10"]);
  a.assign("s/high", req(), ["10.0.0.200"]);
  const lost = a.setPools(buildPoolSet([pool("renamed", ["10.0.0.0-10.0.0.99"])], []));
  assert.deepEqual(
    lost.map((l) => [l.service, l.cleared.ips, l.cleared.pool]),
    [["s/high", ["10.0.0.200"], "p"]],
  );
  assert.match(lost[0]?.cleared.message ?? "", /not inside one usable pool/);
  assert.deepEqual(
    [a.ipsOf("s/low"), a.poolOf("s/low"), a.ipsOf("s/high")],
    [["10.0.0.10"], "renamed", undefined],
  );
  assert.equal(show(a.allocate("s/high", req())), "10.0.0.0@renamed");
});

test("counts report assigned and available addresses per family", () => {
  const a = allocatorWith(pool("dual", ["10.0.0.0/24", "2001:db8::/64"]));
  a.allocate("s/1", req({ ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "RequireDualStack" }));
  a.allocate("s/2", req());
  assert.deepEqual(a.counts("dual"), {
    assignedIPv4: 2n,
    assignedIPv6: 1n,
    availableIPv4: 254n,
    availableIPv6: 2n ** 64n - 1n,
  });
  assert.equal(a.counts("missing"), undefined);
});

test("no pools at all: NoMatchingPool", () => {
  assert.equal(show(new Allocator().allocate("s/1", req())), "NoMatchingPool");
});
