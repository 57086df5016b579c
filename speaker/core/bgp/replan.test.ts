/**
 * The BGP side plans (and so renders and reloads FRR) only when an input of the plan changed:
 * churn the L2 loop sees on every pass (live speakers, L2-only Services and their endpoints,
 * other nodes, a BGP Service's object replaced by an equal one) makes no plan; each change that
 * a plan reads makes one, equal to planBgp over the whole view.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { bgpConfig } from "../../../lib/core/bgp-config.js";
import type { ClusterView, EndpointView, NodeView, ServiceView } from "../announcements.js";
import { planBgp } from "./plan.js";
import { BgpReplanner } from "./replan.js";

const config = bgpConfig({
  namespace: "metallb-system",
  peers: [
    {
      metadata: { name: "router" },
      spec: { myASN: 64512, peerASN: 64512, peerAddress: "198.18.0.254" },
    },
  ],
  advertisements: [{ metadata: { name: "bgp" }, spec: { ipAddressPools: ["bgp"] } }],
  bfdProfiles: [],
  communities: [],
});

const svc = (key: string, ip: string, pool: string): ServiceView => ({
  key,
  ips: [ip],
  pool,
  trafficPolicy: "Cluster",
});
const eps = (...nodes: string[]): EndpointView => ({
  hasEndpoint: nodes.length > 0,
  nodesWithEndpoint: new Set(nodes),
});
const node = (labels: Record<string, string>): NodeView => ({
  labels,
  networkUnavailable: false,
  excludedByLabel: false,
});

const base: ClusterView = {
  services: [svc("ns/b1", "198.18.100.1", "bgp"), svc("ns/l1", "198.18.0.201", "l2")],
  endpoints: new Map([
    ["ns/b1", eps("node2")],
    ["ns/l1", eps("node1")],
  ]),
  nodes: new Map([
    ["node1", node({ zone: "a" })],
    ["node2", node({ zone: "b" })],
  ]),
  poolLabels: new Map([
    ["bgp", {}],
    ["l2", {}],
  ]),
  advertisements: [],
  liveSpeakers: new Set(["node1", "node2"]),
};

/** Each step: a view derived from the previous one, and whether BGP must plan again. */
const steps: [string, (v: ClusterView) => ClusterView, boolean][] = [
  ["the same view again", (v) => ({ ...v }), false],
  ["a live speaker gone", (v) => ({ ...v, liveSpeakers: new Set(["node1"]) }), false],
  [
    "an L2 Service's IP changed, another L2 Service added",
    (v) => ({
      ...v,
      services: [
        v.services[0] as ServiceView,
        svc("ns/l1", "198.18.0.202", "l2"),
        svc("ns/l2", "198.18.0.203", "l2"),
      ],
    }),
    false,
  ],
  [
    "an L2 Service's endpoints moved",
    (v) => ({ ...v, endpoints: new Map([...v.endpoints, ["ns/l1", eps("node2")]]) }),
    false,
  ],
  [
    "another node relabelled",
    (v) => ({ ...v, nodes: new Map([...v.nodes, ["node2", node({ zone: "c" })]]) }),
    false,
  ],
  [
    "the BGP Service and its endpoints replaced by equal objects",
    (v) => ({
      ...v,
      services: [svc("ns/b1", "198.18.100.1", "bgp"), ...v.services.slice(1)],
      endpoints: new Map([...v.endpoints, ["ns/b1", eps("node2")]]),
    }),
    false,
  ],
  [
    "the BGP Service's IP changed",
    (v) => ({ ...v, services: [svc("ns/b1", "198.18.100.2", "bgp"), ...v.services.slice(1)] }),
    true,
  ],
  [
    "the BGP Service's endpoints gone",
    (v) => ({ ...v, endpoints: new Map([...v.endpoints, ["ns/b1", eps()]]) }),
    true,
  ],
  [
    "this node relabelled",
    (v) => ({ ...v, nodes: new Map([...v.nodes, ["node1", node({ zone: "z" })]]) }),
    true,
  ],
  [
    "the BGP pool relabelled",
    (v) => ({ ...v, poolLabels: new Map([...v.poolLabels, ["bgp", { tier: "1" }]]) }),
    true,
  ],
];

test("plans only when an input of the plan changed, each plan equal to planBgp", () => {
  const replanner = new BgpReplanner("node1");
  let view = base;
  assert.equal(replanner.plan({ cluster: view, nodeIp: "198.18.0.11" }), undefined, "no config");
  replanner.setConfig(config, new Map());
  const first = replanner.plan({ cluster: view, nodeIp: "198.18.0.11" });
  assert.deepEqual(first?.services, new Map([["ns/b1", ["router"]]]));
  let plans = 0;
  for (const [what, change, replans] of steps) {
    view = change(view);
    const plan = replanner.plan({ cluster: view, nodeIp: "198.18.0.11" });
    assert.equal(plan !== undefined, replans, what);
    if (plan === undefined) continue;
    plans += 1;
    const whole = planBgp({ ...view, config, secretPasswords: new Map() }, "node1");
    assert.deepEqual(plan, whole, what);
  }
  assert.equal(plans, steps.filter(([, , replans]) => replans).length);
  assert.notEqual(replanner.plan({ cluster: view, nodeIp: "198.18.0.99" }), undefined, "address");
  replanner.setConfig(config, new Map());
  assert.notEqual(replanner.plan({ cluster: view, nodeIp: "198.18.0.99" }), undefined, "config");
  assert.equal(replanner.plan({ cluster: view, nodeIp: "198.18.0.99" }), undefined);
});
