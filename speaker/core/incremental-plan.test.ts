/**
 * Differential test: after every change of a random sequence, the incremental planner's plan
 * equals planAnnouncements (the full planner, the oracle) over the same view. The address space
 * is small so Services share IPs, join units and split them again.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ClusterView,
  type EndpointView,
  planAnnouncements,
  type ServiceView,
} from "./announcements.js";
import { IncrementalPlanner, type SharedView } from "./incremental-plan.js";
import { mulberry32 } from "../../lib/core/random.js";

const NODES = ["node1", "node2", "node3", "node4"];
// Two spellings of one IPv6 address: units are keyed by canonical text.
const IPS = [
  "198.18.0.200",
  "198.18.0.201",
  "198.18.0.202",
  "198.18.0.203",
  "2001:db8::1",
  "2001:DB8:0::1",
  "2001:db8::2",
  "bogus",
];
const KEYS = ["a/s0", "a/s1", "a/s2", "a/s3", "b/s4", "b/s5", "b/s6"];

function generator(seed: number) {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const subset = <T>(xs: readonly T[]): T[] => xs.filter(() => rnd() < 0.5);
  const service = (key: string): ServiceView => ({
    key,
    ips: subset(IPS).slice(0, 1 + Math.floor(rnd() * 2)),
    pool: pick(["p", "p", "q", "other", undefined]),
    trafficPolicy: pick(["Cluster", "Local"] as const),
  });
  const endpoints = (): EndpointView | undefined =>
    rnd() < 0.2 ? undefined : { hasEndpoint: true, nodesWithEndpoint: new Set(subset(NODES)) };
  const shared = (): SharedView => ({
    nodes: new Map(
      NODES.map((n) => [
        n,
        {
          labels: { zone: pick(["a", "b"]) },
          networkUnavailable: rnd() < 0.1,
          excludedByLabel: rnd() < 0.1,
        },
      ]),
    ),
    poolLabels: new Map([
      ["p", { tier: "front" }],
      ["q", { tier: pick(["front", "back"]) }],
    ]),
    advertisements: [
      { name: "front", ipAddressPoolSelectors: [{ matchLabels: { tier: "front" } }] },
      ...(rnd() < 0.5
        ? [
            {
              name: "zone-a",
              ipAddressPools: ["q"],
              nodeSelectors: [{ matchLabels: { zone: "a" } }],
              interfaces: ["eth1"],
            },
          ]
        : []),
    ],
    liveSpeakers: new Set(subset(NODES)),
  });
  return { rnd, pick, service, endpoints, shared };
}

function setOrDelete<T>(map: Map<string, T>, key: string, value: T | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

test("incremental plan equals the full plan after every change (200 sequences of 60 changes)", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const g = generator(seed);
    const planner = new IncrementalPlanner("node1");
    const services = new Map<string, ServiceView>();
    const endpoints = new Map<string, EndpointView>();
    let shared = g.shared();
    planner.setShared(shared);
    for (let step = 0; step < 60; step++) {
      const key = g.pick(KEYS);
      const what = g.rnd();
      if (what < 0.45) {
        const svc = g.service(key);
        services.set(key, svc);
        planner.setService(key, svc);
      } else if (what < 0.6) {
        services.delete(key);
        planner.setService(key, undefined);
      } else if (what < 0.9) {
        const ep = g.endpoints();
        setOrDelete(endpoints, key, ep);
        planner.setEndpoints(key, ep);
      } else {
        shared = g.shared();
        planner.setShared(shared);
      }
      if (g.rnd() < 0.3) continue; // several changes in one pass, too
      const view: ClusterView = { ...shared, services: [...services.values()], endpoints };
      const expected = planAnnouncements(view, "node1");
      assert.deepStrictEqual(new Map(planner.plan()), expected, `seed ${seed}, step ${step}`);
      // The planner keeps only Services with a pool (as planAnnouncements reads them).
      const byKey = (v: ClusterView) =>
        [...v.services]
          .filter((x) => x.pool !== undefined)
          .sort((a, b) => (a.key < b.key ? -1 : 1));
      const got = planner.view();
      assert.deepStrictEqual(byKey(got), byKey(view), `view: seed ${seed}, step ${step}`);
      assert.deepStrictEqual({ ...got, services: [] }, { ...view, services: [] });
    }
  }
});

test("a change re-elects only the units it touches", () => {
  const g = generator(7);
  const planner = new IncrementalPlanner("node1");
  planner.setShared({ ...g.shared(), liveSpeakers: new Set(NODES) });
  const svc = (key: string, ip: string): ServiceView => ({
    key,
    ips: [ip],
    pool: "p",
    trafficPolicy: "Cluster",
  });
  planner.setService("a/x", svc("a/x", "198.18.0.200"));
  planner.setService("a/y", svc("a/y", "198.18.0.201"));
  const before = planner.plan();
  const x = before.get("198.18.0.200");
  planner.setEndpoints("a/y", { hasEndpoint: true, nodesWithEndpoint: new Set(["node2"]) });
  const after = planner.plan();
  assert.equal(after.get("198.18.0.200"), x, "the untouched unit's plan is the same object");
  assert.notEqual(after.get("198.18.0.201"), undefined);
});

test("passes that change no Service and no shared input reuse one view", () => {
  const g = generator(11);
  const planner = new IncrementalPlanner("node1");
  planner.setShared(g.shared());
  const svc: ServiceView = {
    key: "a/x",
    ips: ["198.18.0.200"],
    pool: "p",
    trafficPolicy: "Cluster",
  };
  planner.setService("a/x", svc);
  planner.plan();
  const first = planner.view();
  planner.setEndpoints("a/x", { hasEndpoint: true, nodesWithEndpoint: new Set(["node2"]) });
  planner.plan();
  assert.equal(planner.view(), first, "an endpoint change keeps the view (its map is live)");
  assert.equal(planner.view().endpoints.get("a/x")?.nodesWithEndpoint.has("node2"), true);
  planner.setService("a/y", { ...svc, key: "a/y", ips: ["198.18.0.201"] });
  const second = planner.view();
  assert.notEqual(second, first);
  assert.deepStrictEqual(
    second.services.map((s) => s.key),
    ["a/x", "a/y"],
  );
  planner.setShared(g.shared());
  assert.notEqual(planner.view(), second, "a shared change makes a new view");
});
