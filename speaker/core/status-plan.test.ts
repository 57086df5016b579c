import assert from "node:assert/strict";
import { test } from "node:test";
import { type ClusterView, type IpPlan, planAnnouncements } from "./announcements.js";
import {
  announcedServices,
  statusActions,
  type StatusInput,
  type StatusRecord,
} from "./status-plan.js";

const rec = (service: string, node: string | undefined, interfaces = ["eth0"]): StatusRecord => ({
  service,
  node,
  interfaces,
});

function input(over: Partial<StatusInput>): StatusInput {
  return {
    node: "node1",
    announcing: new Map(),
    records: [],
    services: new Set(["ns/a", "ns/b"]),
    liveSpeakers: new Set(["node1", "node2", "node3"]),
    ...over,
  };
}

const cases: [string, Partial<StatusInput>, ReturnType<typeof statusActions>][] = [
  [
    "announced without a record: claim",
    { announcing: new Map([["ns/a", ["eth0"]]]) },
    [{ kind: "claim", service: "ns/a", interfaces: ["eth0"], reason: "missing" }],
  ],
  [
    "announced, record already ours with the same interfaces (any order): nothing",
    {
      announcing: new Map([["ns/a", ["eth1", "eth0"]]]),
      records: [rec("ns/a", "node1", ["eth0", "eth1"])],
    },
    [],
  ],
  [
    "announced, a peer's record (it held the IP while we were cut off): claim",
    { announcing: new Map([["ns/a", ["eth0"]]]), records: [rec("ns/a", "node3")] },
    [{ kind: "claim", service: "ns/a", interfaces: ["eth0"], reason: "other-node" }],
  ],
  [
    "announced on no interface, our record created but its status never written: claim",
    {
      announcing: new Map([["ns/a", []]]),
      records: [{ ...rec("ns/a", "node1", []), unwritten: true }],
    },
    [{ kind: "claim", service: "ns/a", interfaces: [], reason: "unwritten" }],
  ],
  [
    "announced on no interface, our record written with none: nothing",
    { announcing: new Map([["ns/a", []]]), records: [rec("ns/a", "node1", [])] },
    [],
  ],
  [
    "announced on other interfaces than recorded: claim",
    { announcing: new Map([["ns/a", ["eth1"]]]), records: [rec("ns/a", "node1", ["eth0"])] },
    [{ kind: "claim", service: "ns/a", interfaces: ["eth1"], reason: "interfaces" }],
  ],
  [
    "our record for a Service we no longer announce: remove it",
    { records: [rec("ns/b", "node1")] },
    [{ kind: "remove", service: "ns/b", node: "node1", reason: "not-announced" }],
  ],
  [
    "our record for a deleted Service: remove it",
    { records: [rec("ns/gone", "node1")] },
    [{ kind: "remove", service: "ns/gone", node: "node1", reason: "not-announced" }],
  ],
  [
    "a live peer's record for an existing Service: the peer's business",
    { records: [rec("ns/b", "node2")] },
    [],
  ],
  [
    "a live peer's record for a deleted Service: the peer removes it itself",
    { records: [rec("ns/gone", "node2")] },
    [],
  ],
  [
    "a dead node's record for a deleted Service: any live speaker removes it",
    { records: [rec("ns/gone", "node9")] },
    [{ kind: "remove", service: "ns/gone", node: "node9", reason: "service-gone" }],
  ],
  [
    "a record naming no node for a deleted Service: removed",
    { records: [rec("ns/gone", undefined)] },
    [{ kind: "remove", service: "ns/gone", node: undefined, reason: "service-gone" }],
  ],
  [
    "a dead node's record for an existing Service: left for the Service's owner to claim",
    { records: [rec("ns/b", "node9")] },
    [],
  ],
];

for (const [name, over, expected] of cases) {
  test(`statusActions: ${name}`, () => {
    assert.deepEqual(statusActions(input(over)), expected);
  });
}

const plan = (ip: string, unit: string, winner: string, services: string[]): [string, IpPlan] => [
  ip,
  {
    ip,
    pool: "p",
    unit,
    services,
    election: { winner, outcome: "elected", reasons: new Map() },
    interfaces: undefined,
  },
];

test("announcedServices: one entry per Service this node announces, interfaces merged", () => {
  const plans = new Map([
    plan("198.18.0.200", "198.18.0.200", "node1", ["ns/dual", "ns/shared"]),
    plan("2001:db8:18::200", "198.18.0.200", "node1", ["ns/dual"]),
    plan("198.18.0.201", "198.18.0.201", "node2", ["ns/other"]),
  ]);
  const interfaces = new Map([
    ["198.18.0.200", ["eth1"]],
    ["2001:db8:18::200", ["eth0", "eth1"]],
    ["198.18.0.201", ["eth0"]],
  ]);
  assert.deepEqual(
    announcedServices(plans, interfaces, "node1"),
    new Map([
      ["ns/dual", ["eth0", "eth1"]],
      ["ns/shared", ["eth1"]],
    ]),
  );
  assert.deepEqual(
    announcedServices(plans, interfaces, "node2"),
    new Map([["ns/other", ["eth0"]]]),
  );
  assert.deepEqual(announcedServices(plans, new Map(), "node3"), new Map());
});

test("status converges: with dual-stack and shared IPs, no two nodes claim one Service", () => {
  const nodes = ["node1", "node2", "node3"];
  const services = [
    ...Array.from({ length: 20 }, (_, i) => ({
      key: `ns/d${i}`,
      ips: [`198.18.0.${200 + i}`, `2001:db8:18::${200 + i}`],
    })),
    { key: "ns/v6-shares-d3", ips: ["2001:db8:18::203"] },
    { key: "ns/v4-shares-d4", ips: ["198.18.0.204"] },
  ];
  const view: ClusterView = {
    services: services.map((s) => ({ ...s, pool: "p", trafficPolicy: "Cluster" })),
    endpoints: new Map(
      services.map((s) => [s.key, { hasEndpoint: true, nodesWithEndpoint: new Set(nodes) }]),
    ),
    nodes: new Map(
      nodes.map((n) => [n, { labels: {}, networkUnavailable: false, excludedByLabel: false }]),
    ),
    poolLabels: new Map([["p", {}]]),
    advertisements: [{ name: "all" }],
    liveSpeakers: new Set(nodes),
  };
  // Each node announces on eth0; the records start out naming the "wrong" node everywhere.
  const announcing = nodes.map((n) => {
    const plans = planAnnouncements(view, n);
    const eth0 = new Map([...plans.keys()].map((ip) => [ip, ["eth0"]]));
    return announcedServices(plans, eth0, n);
  });
  const claimedBy = new Map<string, string[]>();
  for (const [i, n] of nodes.entries()) {
    const records = services.map((s) => rec(s.key, n === "node1" ? "node2" : "node1"));
    const actions = statusActions({
      node: n,
      announcing: announcing[i] ?? new Map(),
      records,
      services: new Set(services.map((s) => s.key)),
      liveSpeakers: new Set(nodes),
    });
    for (const a of actions.filter((x) => x.kind === "claim"))
      claimedBy.set(a.service, [...(claimedBy.get(a.service) ?? []), n]);
  }
  for (const s of services)
    assert.equal(claimedBy.get(s.key)?.length, 1, `${s.key}: ${String(claimedBy.get(s.key))}`);
});
