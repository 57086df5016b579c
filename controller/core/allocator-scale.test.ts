/**
 * Sanity checks that allocation does not scan pools (not benchmarks: bench/ measures). A scanning
 * allocator would take minutes here; the bounds are loose on purpose.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIp } from "../../lib/core/ip.js";
import { Allocator } from "./allocator.js";
import { buildPoolSet, type PoolSpec } from "./pool-set.js";
import { type AllocationRequest, serviceRequest } from "./service-request.js";

const request = (families: string[]): AllocationRequest => {
  const r = serviceRequest(
    {
      namespace: "default",
      name: "svc",
      annotations: {},
      labels: {},
      type: "LoadBalancer",
      ipFamilies: families,
      ports: [{ port: 80 }],
      selector: {},
    },
    "",
  );
  assert.ok(r.ok);
  return r.value;
};
const allocatorWith = (spec: PoolSpec): Allocator => {
  const a = new Allocator();
  a.setPools(buildPoolSet([spec], []));
  return a;
};
const elapsed = (fn: () => void): number => {
  const start = performance.now();
  fn();
  return performance.now() - start;
};

test("10,000 allocations from a /64 are quick, distinct and in order", () => {
  const a = allocatorWith({ name: "v6", addresses: ["2001:db8:18::/64"] });
  const v6 = request(["IPv6"]);
  const ms = elapsed(() => {
    for (let i = 0; i < 10_000; i++) assert.ok(a.allocate(`ns/s${i}`, v6).ok);
  });
  assert.deepEqual(a.ipsOf("ns/s9999"), [
    formatIp({ family: "IPv6", value: (0x20010db800180000n << 64n) | 9999n }),
  ]);
  assert.equal(a.counts("v6")?.availableIPv6, 2n ** 64n - 10_000n);
  assert.ok(ms < 5_000, `${ms} ms`);
});

test("10,000 allocations from a /8 with avoidBuggyIPs skip .0/.255 and stay quick", () => {
  const a = allocatorWith({ name: "v4", addresses: ["10.0.0.0/8"], avoidBuggyIPs: true });
  const v4 = request(["IPv4"]);
  const ms = elapsed(() => {
    for (let i = 0; i < 10_000; i++) assert.ok(a.allocate(`ns/s${i}`, v4).ok);
  });
  // 10,000 = 39 full /24s of 254 addresses, plus 94.
  assert.deepEqual(a.ipsOf("ns/s9999"), ["10.0.39.94"]);
  assert.ok(ms < 5_000, `${ms} ms`);
});

test("a /16 at 99% use with scattered holes: every hole is found, then PoolExhausted", () => {
  const a = allocatorWith({ name: "big", addresses: ["10.1.0.0/16"] });
  const v4 = request(["IPv4"]);
  const holes: string[] = [];
  for (let i = 0; i < 65_536; i++) {
    const ip = formatIp({ family: "IPv4", value: 0x0a010000n + BigInt(i) });
    if (i % 100 === 37) holes.push(ip);
    else assert.ok(a.assign(`ns/full${i}`, v4, [ip]).ok);
  }
  const got: string[] = [];
  const ms = elapsed(() => {
    for (const [i] of holes.entries()) {
      const r = a.allocate(`ns/late${i}`, v4);
      if (r.ok) got.push(...r.value.ips);
    }
  });
  assert.deepEqual(got, holes);
  assert.equal(a.allocate("ns/one-more", v4).ok, false);
  assert.deepEqual(a.counts("big"), {
    assignedIPv4: 65_536n,
    assignedIPv6: 0n,
    availableIPv4: 0n,
    availableIPv6: 0n,
  });
  assert.ok(ms < 2_000, `${ms} ms`);
});

test("freed addresses are free again, also after thousands of releases (map rebuilt)", () => {
  const a = new Allocator();
  a.setPools(buildPoolSet([{ name: "p", addresses: ["198.18.0.0/20"] }], []));
  for (let i = 0; i < 3_000; i++) assert.ok(a.allocate(`ns/s${i}`, request(["IPv4"])).ok);
  for (let i = 0; i < 3_000; i += 2) a.release(`ns/s${i}`);
  assert.equal(a.counts("p")?.assignedIPv4, 1_500n);
  // 198.18.0.0 was the first address given (to s0), freed: the lowest free one again.
  assert.deepEqual(a.allocate("ns/new", request(["IPv4"])).ok && a.ipsOf("ns/new"), ["198.18.0.0"]);
  for (let i = 1; i < 3_000; i += 2) a.release(`ns/s${i}`);
  a.release("ns/new");
  assert.equal(a.counts("p")?.assignedIPv4, 0n);
  assert.ok(a.allocate("ns/again", request(["IPv4"])).ok);
  assert.deepEqual(a.ipsOf("ns/again"), ["198.18.0.0"]);
  assert.equal(a.counts("p")?.assignedIPv4, 1n);
});
