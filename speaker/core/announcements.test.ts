import assert from "node:assert/strict";
import { test } from "node:test";
import { type ClusterView, ownedBy, planAnnouncements, type ServiceView } from "./announcements.js";
import { GOLDEN_UNITS } from "./testing/election-golden.js";

const node = (labels: Record<string, string> = {}, networkUnavailable = false) => ({
  labels,
  networkUnavailable,
  excludedByLabel: "node.kubernetes.io/exclude-from-external-load-balancers" in labels,
});
const ready = (...nodes: string[]) => ({
  hasEndpoint: true,
  nodesWithEndpoint: new Set(nodes),
});

function view(overrides: Partial<ClusterView> = {}): ClusterView {
  const services: ServiceView[] = [
    { key: "a/web", ips: ["198.18.0.200"], pool: "p", trafficPolicy: "Cluster" },
    {
      key: "a/api",
      ips: ["198.18.0.201", "2001:db8:18::201"],
      pool: "p",
      trafficPolicy: "Cluster",
    },
  ];
  return {
    services,
    endpoints: new Map([
      ["a/web", ready("node1")],
      ["a/api", ready("node2")],
    ]),
    nodes: new Map([
      ["node1", node({ zone: "a" })],
      ["node2", node({ zone: "b" })],
      ["node3", node({ zone: "b" })],
    ]),
    poolLabels: new Map([["p", { tier: "front" }]]),
    advertisements: [{ name: "all" }],
    liveSpeakers: new Set(["node1", "node2", "node3"]),
    ...overrides,
  };
}

const winners = (v: ClusterView) =>
  Object.fromEntries(
    [...planAnnouncements(v, "node1").values()].map((p) => [p.ip, p.election.winner]),
  );

test("every node computes the same owner per IP, and each IP has exactly one", () => {
  const fromEach = ["node1", "node2", "node3"].map((n) =>
    [...planAnnouncements(view(), n).values()].map((p) => `${p.ip}=${p.election.winner}`).sort(),
  );
  assert.deepEqual(fromEach[0], fromEach[1]);
  assert.deepEqual(fromEach[1], fromEach[2]);
  const owned = ["node1", "node2", "node3"].flatMap((n) => [
    ...ownedBy(planAnnouncements(view(), n), n).keys(),
  ]);
  assert.deepEqual(owned.sort(), ["198.18.0.200", "198.18.0.201", "2001:db8:18::201"]);
});

test("announcement rules: pools, node selectors, interfaces, Local policy, no endpoints", () => {
  const cases: { name: string; v: ClusterView; ip: string; want: string | undefined }[] = [
    {
      name: "no L2Advertisement covers the pool",
      v: view({ advertisements: [{ name: "other", ipAddressPools: ["q"] }] }),
      ip: "198.18.0.200",
      want: undefined,
    },
    {
      name: "pool selected by label, only zone b nodes",
      v: view({
        advertisements: [
          {
            name: "b",
            ipAddressPoolSelectors: [{ matchLabels: { tier: "front" } }],
            nodeSelectors: [{ matchLabels: { zone: "b" } }],
          },
        ],
      }),
      ip: "198.18.0.200",
      want: "zone-b",
    },
    {
      name: "Local policy: only the node with the endpoint",
      v: view({
        services: [{ key: "a/web", ips: ["198.18.0.200"], pool: "p", trafficPolicy: "Local" }],
        endpoints: new Map([["a/web", ready("node3")]]),
      }),
      ip: "198.18.0.200",
      want: "node3",
    },
    {
      name: "no endpoint anywhere: nobody announces",
      v: view({ endpoints: new Map() }),
      ip: "198.18.0.200",
      want: undefined,
    },
    {
      name: "a Service without IronLB's pool annotation is not ours",
      v: view({
        services: [
          { key: "a/x", ips: ["198.18.0.200"], pool: undefined, trafficPolicy: "Cluster" },
        ],
      }),
      ip: "198.18.0.200",
      want: "absent",
    },
  ];
  for (const c of cases) {
    const plans = planAnnouncements(c.v, "node1");
    const winner = plans.get(c.ip)?.election.winner;
    if (c.want === "absent") assert.equal(plans.has(c.ip), false, c.name);
    else if (c.want === "zone-b") assert.ok(winner === "node2" || winner === "node3", c.name);
    else assert.equal(winner, c.want, c.name);
  }
});

test("interfaces come from the advertisements that select this node", () => {
  const v = view({
    liveSpeakers: new Set(["node1"]),
    advertisements: [
      { name: "x", interfaces: ["eth1"] },
      { name: "y", interfaces: ["eth0"], nodeSelectors: [{ matchLabels: { zone: "a" } }] },
      { name: "z", interfaces: ["eth9"], nodeSelectors: [{ matchLabels: { zone: "b" } }] },
    ],
  });
  const owned = ownedBy(planAnnouncements(v, "node1"), "node1");
  assert.deepEqual(owned.get("198.18.0.200"), ["eth0", "eth1"]);
  const all = ownedBy(
    planAnnouncements(view({ liveSpeakers: new Set(["node1"]) }), "node1"),
    "node1",
  );
  assert.equal(all.get("198.18.0.200"), undefined);
  assert.ok(all.has("198.18.0.200"));
});

test("a node that leaves moves only its own IPs", () => {
  const many: ServiceView[] = Array.from({ length: 120 }, (_, i) => ({
    key: `n/s${i}`,
    ips: [`198.18.1.${i}`],
    pool: "p",
    trafficPolicy: "Cluster",
  }));
  const endpoints = new Map(many.map((s) => [s.key, ready("node1")]));
  const before = winners(view({ services: many, endpoints }));
  const after = winners(
    view({ services: many, endpoints, liveSpeakers: new Set(["node1", "node3"]) }),
  );
  for (const [ip, owner] of Object.entries(before)) {
    if (owner !== "node2") assert.equal(after[ip], owner, ip);
    else assert.notEqual(after[ip], "node2", ip);
  }
  assert.ok(Object.values(before).includes("node2"));
});

const svc = (key: string, ips: string[], over: Partial<ServiceView> = {}): ServiceView => ({
  key,
  ips,
  pool: "p",
  trafficPolicy: "Cluster",
  ...over,
});

test("a dual-stack Service is announced from one node, the same on every node", () => {
  // 20 dual-stack Services: per IP, most would have their two families on different nodes.
  const services = Array.from({ length: 20 }, (_, i) =>
    svc(`n/d${i}`, [`2001:db8:18::${200 + i}`, `198.18.0.${200 + i}`]),
  );
  const endpoints = new Map(services.map((s) => [s.key, ready("node1")]));
  const v = view({ services, endpoints });
  const owners = ["node1", "node2", "node3"].map((n) => {
    const plans = planAnnouncements(v, n);
    return services.map((s) => [...new Set(s.ips.map((ip) => plans.get(ip)?.election.winner))]);
  });
  for (const [i, s] of services.entries()) {
    assert.equal(owners[0]?.[i]?.length, 1, `${s.key}: ${String(owners[0]?.[i])}`);
    assert.deepEqual(owners[1]?.[i], owners[0]?.[i], s.key);
    assert.deepEqual(owners[2]?.[i], owners[0]?.[i], s.key);
  }
  assert.equal(new Set(owners[0]?.flat()).size, 3, "the units still spread over the nodes");
});

test("golden: each IP is elected with its unit's key and owner", () => {
  for (const c of GOLDEN_UNITS) {
    const services = c.services.map((s) => svc(s.key, [...s.ips]));
    const endpoints = new Map(services.map((s) => [s.key, ready("node1")]));
    const plans = planAnnouncements(view({ services, endpoints }), "node2");
    for (const unit of c.units) {
      for (const ip of unit.ips) {
        assert.equal(plans.get(ip)?.unit, unit.key, `${c.name}: ${ip}`);
        assert.equal(plans.get(ip)?.election.winner, unit.owner, `${c.name}: ${ip}`);
      }
    }
    assert.equal(plans.size, new Set(c.units.flatMap((u) => u.ips)).size, c.name);
  }
});

test("a unit's rules combine its Services: endpoints, policies and pools", () => {
  const dual = ["198.18.0.200", "2001:db8:18::200"]; // per IP: node1 and node3
  const cases: { name: string; v: Partial<ClusterView>; want: string | undefined }[] = [
    {
      name: "Local dual-stack: the node with the pod answers both families",
      v: {
        services: [svc("a/l", dual, { trafficPolicy: "Local" })],
        endpoints: new Map([["a/l", ready("node2")]]),
      },
      want: "node2",
    },
    {
      name: "a Service sharing the IPv6 address brings its endpoints",
      v: {
        services: [
          svc("a/l", dual, { trafficPolicy: "Local" }),
          svc("a/m", ["2001:db8:18::200"], { trafficPolicy: "Local" }),
        ],
        endpoints: new Map([["a/m", ready("node3")]]),
      },
      want: "node3",
    },
    {
      name: "candidates must be selected for every pool of the unit",
      v: {
        services: [svc("a/x", dual), svc("a/y", ["2001:db8:18::200"], { pool: "q" })],
        endpoints: new Map([["a/x", ready("node1")]]),
        poolLabels: new Map([
          ["p", {}],
          ["q", {}],
        ]),
        advertisements: [
          { name: "p", ipAddressPools: ["p"], nodeSelectors: [{ matchLabels: { zone: "b" } }] },
          { name: "q", ipAddressPools: ["q"], nodeSelectors: [{ matchLabels: { zone: "a" } }] },
          { name: "q3", ipAddressPools: ["q"], nodeSelectors: [{ matchLabels: { zone: "b" } }] },
        ],
        nodes: new Map([
          ["node1", node({ zone: "a" })],
          ["node2", node({ zone: "b" })],
          ["node3", node({ zone: "c" })],
        ]),
      },
      want: "node2",
    },
    {
      name: "a pool without advertisement leaves the whole unit unannounced",
      v: {
        services: [svc("a/x", dual), svc("a/y", ["2001:db8:18::200"], { pool: "other-ns" })],
        endpoints: new Map([["a/x", ready("node1")]]),
      },
      want: undefined,
    },
  ];
  for (const c of cases) {
    const plans = planAnnouncements(view(c.v), "node1");
    for (const ip of dual) assert.equal(plans.get(ip)?.election.winner, c.want, `${c.name}: ${ip}`);
  }
});
