import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ClusterSnapshot } from "./model.js";
import { renderPools, renderStatus, serialize } from "./render.js";
import { poolUsage, speakerStates, statusReport } from "./status.js";

const NOW = Date.parse("2026-12-01T20:00:00Z");

const snapshot: ClusterSnapshot = {
  namespace: "metallb-system",
  now: NOW,
  pools: [
    {
      name: "web-pool",
      addresses: ["198.18.0.240/31"],
      autoAssign: false,
      labels: {},
      usage: { IPv4: { used: 2, free: 0 }, IPv6: { used: 0, free: 0 } },
      problems: [],
    },
    {
      name: "dual",
      addresses: ["198.18.0.200-198.18.0.209", "2001:db8:18::200-2001:db8:18::203"],
      autoAssign: true,
      labels: {},
      usage: { IPv4: { used: 1, free: 9 }, IPv6: { used: 1, free: 3 } },
      problems: ["Advertised: no L2Advertisement selects this pool"],
    },
    {
      name: "new",
      addresses: ["10.0.0.1"],
      autoAssign: true,
      labels: {},
      usage: undefined,
      problems: [],
    },
  ],
  advertisements: [],
  services: [
    {
      namespace: "shop",
      name: "web",
      type: "LoadBalancer",
      loadBalancerClass: undefined,
      ips: ["198.18.0.200", "2001:db8:18::200"],
      pool: "dual",
      requestedPool: undefined,
      trafficPolicy: "Cluster",
      condition: undefined,
    },
    {
      namespace: "shop",
      name: "full",
      type: "LoadBalancer",
      loadBalancerClass: undefined,
      ips: [],
      pool: undefined,
      requestedPool: "web-pool",
      trafficPolicy: "Cluster",
      condition: { status: "False", reason: "PoolExhausted", message: "no free IPv4" },
    },
    {
      namespace: "apps",
      name: "cloud",
      type: "LoadBalancer",
      loadBalancerClass: "cloud.example/lb",
      ips: [],
      pool: undefined,
      requestedPool: undefined,
      trafficPolicy: "Cluster",
      condition: undefined,
    },
    {
      namespace: "apps",
      name: "internal",
      type: "ClusterIP",
      loadBalancerClass: undefined,
      ips: [],
      pool: undefined,
      requestedPool: undefined,
      trafficPolicy: "Cluster",
      condition: undefined,
    },
  ],
  l2Statuses: [{ service: "shop/web", node: "node2", interfaces: ["eth0"] }],
  leases: [
    { node: "node2", renewedAt: NOW - 300, durationMs: 1200 },
    { node: "node1", renewedAt: NOW - 65_000, durationMs: 1200 },
    { node: "node3", renewedAt: undefined, durationMs: 1200 },
  ],
  nodes: [],
};

describe("speakerStates", () => {
  test("live while now < renewTime + duration", () => {
    const leases = [
      { node: "a", renewedAt: NOW - 1199, durationMs: 1200 },
      { node: "b", renewedAt: NOW - 1200, durationMs: 1200 },
    ];
    assert.deepEqual(
      speakerStates(leases, NOW).map((s) => [s.node, s.live]),
      [
        ["a", true],
        ["b", false],
      ],
    );
  });
});

describe("status", () => {
  test("table: pools, every LoadBalancer Service, speakers", () => {
    assert.equal(
      renderStatus(statusReport(snapshot, "")),
      [
        "POOL       AUTO ASSIGN   IPv4 USED   IPv4 FREE   IPv6 USED   IPv6 FREE",
        "dual       true          1           9           1           3",
        "new        true          -           -           -           -",
        "web-pool   false         2           0           -           -",
        "pool dual: Advertised: no L2Advertisement selects this pool",
        "",
        "NAMESPACE   NAME    EXTERNAL-IP                     POOL   NODE    INTERFACE",
        "apps        cloud   <pending: OtherClass>           -      -       -",
        "shop        full    <pending: PoolExhausted>        -      -       -",
        "shop        web     198.18.0.200,2001:db8:18::200   dual   node2   eth0",
        "",
        "SPEAKER   LIVE   LEASE RENEWED",
        "node1     no     65s ago",
        "node2     yes    <1s ago",
        "node3     no     never",
      ].join("\n"),
    );
  });

  test("an empty cluster says so", () => {
    const empty = { ...snapshot, pools: [], services: [], leases: [] };
    assert.equal(
      renderStatus(statusReport(empty, "")),
      "No IPAddressPools.\n\nNo LoadBalancer Services.\n\nNo speaker Leases.",
    );
  });

  test("json and yaml carry the same data", () => {
    const report = statusReport(snapshot, "");
    const json = JSON.parse(serialize(report, "json")) as { services: { name: string }[] };
    assert.deepEqual(
      json.services.map((s) => s.name),
      ["cloud", "full", "web"],
    );
    const yaml = serialize({ pools: [poolUsage(snapshot.pools[0]!)] }, "yaml");
    assert.equal(
      yaml,
      [
        "pools:",
        "  - name: web-pool",
        "    addresses:",
        "      - 198.18.0.240/31",
        "    autoAssign: false",
        "    IPv4:",
        "      used: 2",
        "      free: 0",
        "    problems: []",
      ].join("\n"),
    );
  });
});

describe("pools", () => {
  test("one row per family with a usage bar", () => {
    const pools = [...snapshot.pools].sort((a, b) => a.name.localeCompare(b.name)).map(poolUsage);
    assert.equal(
      renderPools(pools),
      [
        "POOL       FAMILY   USED   TOTAL   USAGE                         ADDRESSES",
        "dual       IPv4     1      10      [##------------------] 10%    198.18.0.200-198.18.0.209,2001:db8:18::200-2001:db8:18::203",
        "           IPv6     1      4       [#####---------------] 25%",
        "new        -        -      -       (no usage in status yet)      10.0.0.1",
        "web-pool   IPv4     2      2       [####################] 100%   198.18.0.240/31",
        "pool dual: Advertised: no L2Advertisement selects this pool",
      ].join("\n"),
    );
  });
});
