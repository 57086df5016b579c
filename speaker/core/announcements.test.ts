import assert from "node:assert/strict";
import { test } from "node:test";
import { type ClusterView, ownedBy, planAnnouncements, type ServiceView } from "./announcements.js";

const node = (labels: Record<string, string> = {}, networkUnavailable = false) => ({
  labels,
  networkUnavailable,
  excludedByLabel: "node.kubernetes.io/exclude-from-external-load-balancers" in labels,
});
const ready = (...nodes: string[]) => ({
  hasReadyEndpoint: true,
  nodesWithReadyEndpoint: new Set(nodes),
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
      name: "Local policy: only the node with the ready endpoint",
      v: view({
        services: [{ key: "a/web", ips: ["198.18.0.200"], pool: "p", trafficPolicy: "Local" }],
        endpoints: new Map([["a/web", ready("node3")]]),
      }),
      ip: "198.18.0.200",
      want: "node3",
    },
    {
      name: "no ready endpoint anywhere: nobody announces",
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
