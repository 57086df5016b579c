import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { BFDProfile, BGPAdvertisement, BGPPeer, Community } from "../../../lib/api/bgp.js";
import { bgpConfig } from "../../../lib/core/bgp-config.js";
import type { EndpointView, NodeView, ServiceView } from "../announcements.js";
import { renderFrrConfig } from "./frr-config.js";
import { aggregate, type BgpView, planBgp } from "./plan.js";

const meta = (name: string, labels: Record<string, string> = {}) => ({
  name,
  namespace: "metallb-system",
  labels,
});
const peers: BGPPeer[] = [
  {
    metadata: meta("router"),
    spec: {
      myASN: 64512,
      peerASN: 64513,
      peerAddress: "198.18.0.1",
      peerPort: 1179,
      holdTime: "9s",
      keepaliveTime: "3s",
      connectTime: "5s",
      password: "s3cret!",
      ebgpMultiHop: true,
      sourceAddress: "198.18.0.11",
      bfdProfile: "fast",
    },
  },
  {
    metadata: meta("router-v6"),
    spec: { myASN: 64512, peerASN: 64513, peerAddress: "2001:db8:18::1" },
  },
  {
    metadata: meta("other-zone"),
    spec: {
      myASN: 64512,
      peerASN: 64514,
      peerAddress: "198.18.0.2",
      nodeSelectors: [{ matchLabels: { zone: "b" } }],
    },
  },
];
const bfd: BFDProfile[] = [
  {
    metadata: meta("fast"),
    spec: {
      detectMultiplier: 3,
      receiveInterval: 100,
      transmitInterval: 100,
      echoMode: true,
      echoInterval: 50,
      passiveMode: true,
      minimumTtl: 250,
    },
  },
];
const communities: Community[] = [
  {
    metadata: meta("aliases"),
    spec: { communities: [{ name: "NO_ADVERTISE", value: "65535:65282" }] },
  },
];
const advertisements: BGPAdvertisement[] = [
  { metadata: meta("a-plain"), spec: { ipAddressPools: ["web"] } },
  {
    metadata: meta("b-agg"),
    spec: {
      ipAddressPools: ["agg"],
      aggregationLength: 24,
      localPref: 150,
      communities: ["NO_ADVERTISE", "64512:100", "large:64512:1:2"],
      peers: ["router"],
    },
  },
];
const svc = (key: string, ips: string[], pool: string, local = false): ServiceView => ({
  key,
  ips,
  pool,
  trafficPolicy: local ? "Local" : "Cluster",
});
const eps = (...nodes: string[]): EndpointView => ({
  hasEndpoint: true,
  nodesWithEndpoint: new Set(nodes),
});
const node = (labels: Record<string, string>, flags: Partial<NodeView> = {}): NodeView => ({
  labels,
  networkUnavailable: false,
  excludedByLabel: false,
  ...flags,
});

function view(over: Partial<BgpView> = {}): BgpView {
  return {
    services: [
      svc("ns/web1", ["198.18.0.200"], "web"),
      svc("ns/web2", ["2001:db8:18::200", "198.18.0.201"], "web", true),
      svc("ns/agg1", ["198.18.1.7"], "agg"),
      svc("ns/agg2", ["198.18.1.9"], "agg"),
      svc("ns/noep", ["198.18.0.210"], "web"),
      svc("ns/local-elsewhere", ["198.18.0.211"], "web", true),
      svc("other/not-ours", ["198.18.0.212"], "foreign"),
    ],
    endpoints: new Map([
      ["ns/web1", eps("node2")],
      ["ns/web2", eps("node1")],
      ["ns/agg1", eps("node3")],
      ["ns/agg2", eps()],
      ["ns/local-elsewhere", eps("node2")],
      ["other/not-ours", eps("node1")],
    ]),
    nodes: new Map([["node1", node({ zone: "a" })]]),
    poolLabels: new Map([
      ["web", {}],
      ["agg", {}],
    ]),
    config: bgpConfig({
      namespace: "metallb-system",
      peers,
      advertisements,
      bfdProfiles: bfd,
      communities,
    }),
    secretPasswords: new Map(),
    ...over,
  };
}

describe("BGP plan and FRR configuration", () => {
  test("the configuration matches the hand-written golden file", () => {
    const golden = readFileSync(new URL("testdata/full.frr.conf", import.meta.url), "utf8");
    const v = view();
    assert.deepEqual(v.config.errors, []);
    const plan = planBgp(v, "node1");
    const text = renderFrrConfig({
      node: "node1",
      plan,
      nodeIp: "198.18.0.11",
      bfdProfiles: v.config.bfdProfiles,
    });
    assert.equal(text, golden);
  });

  test("which Services are announced to which peers, and why not", () => {
    const plan = planBgp(view(), "node1");
    assert.deepEqual(Object.fromEntries(plan.services), {
      "ns/web1": ["router"],
      "ns/web2": ["router", "router-v6"],
      "ns/agg1": ["router"],
      "ns/agg2": ["router"],
    });
    assert.deepEqual(Object.fromEntries(plan.notAnnounced), {
      "ns/noep": "noEndpoint",
      "ns/local-elsewhere": "noLocalEndpoint",
    });
    assert.deepEqual(
      plan.peers.map((p) => p.peer.name),
      ["router", "router-v6"],
    );
  });

  const cases: [string, Partial<BgpView>, string][] = [
    [
      "excluded label",
      { nodes: new Map([["node1", node({}, { excludedByLabel: true })]]) },
      "excludedByLabel",
    ],
    [
      "network unavailable",
      { nodes: new Map([["node1", node({}, { networkUnavailable: true })]]) },
      "networkUnavailable",
    ],
  ];
  for (const [name, over, reason] of cases) {
    test(`a node is not eligible: ${name}`, () => {
      const plan = planBgp(view(over), "node1");
      assert.equal(plan.services.size, 0);
      assert.equal(plan.notAnnounced.get("ns/web1"), reason);
      assert.match(
        renderFrrConfig({ node: "node1", plan, nodeIp: "198.18.0.11", bfdProfiles: new Map() }),
        /route-map ironlb-router-out deny 65535\nexit\n!\n/,
      );
    });
  }

  test("an advertisement's node selector leaves other nodes out", () => {
    const advs: BGPAdvertisement[] = [
      { metadata: meta("zone-b"), spec: { nodeSelectors: [{ matchLabels: { zone: "b" } }] } },
    ];
    const v = view({
      config: bgpConfig({
        namespace: "metallb-system",
        peers,
        advertisements: advs,
        bfdProfiles: bfd,
        communities,
      }),
    });
    const plan = planBgp(v, "node1");
    assert.equal(plan.notAnnounced.get("ns/web1"), "notSelected");
    assert.equal(plan.services.size, 0);
  });

  test("peers with another myASN on the same node and missing Secrets are left out, named", () => {
    const more: BGPPeer[] = [
      ...peers,
      { metadata: meta("z-other-asn"), spec: { myASN: 1, peerASN: 2, peerAddress: "198.18.0.3" } },
      {
        metadata: meta("z-secret"),
        spec: {
          myASN: 64512,
          peerASN: 2,
          peerAddress: "198.18.0.4",
          passwordSecret: { name: "nope" },
        },
      },
    ];
    const v = view({
      config: bgpConfig({
        namespace: "metallb-system",
        peers: more,
        advertisements,
        bfdProfiles: bfd,
        communities,
      }),
    });
    const plan = planBgp(v, "node1");
    assert.deepEqual(
      plan.peers.map((p) => p.peer.name),
      ["router", "router-v6"],
    );
    assert.deepEqual(
      plan.errors.map((e) => `${e.name} ${e.field} ${e.value}`),
      ["z-other-asn spec.myASN 1", "z-secret spec.passwordSecret.name nope"],
    );
    const withSecret = planBgp({ ...v, secretPasswords: new Map([["nope", "pw"]]) }, "node1");
    assert.equal(withSecret.peers.find((p) => p.peer.name === "z-secret")?.password, "pw");
  });

  test("no peer on this node: no router bgp at all", () => {
    const v = view({
      config: bgpConfig({
        namespace: "metallb-system",
        peers: [],
        advertisements,
        bfdProfiles: [],
        communities: [],
      }),
    });
    const text = renderFrrConfig({
      node: "node1",
      plan: planBgp(v, "node1"),
      nodeIp: "198.18.0.11",
      bfdProfiles: new Map(),
    });
    assert.equal(
      text,
      "! Written by the IronLB speaker of node node1; changes made here are overwritten.\nfrr defaults traditional\n!\n",
    );
  });

  test("aggregation masks the host bits", () => {
    assert.equal(aggregate("198.18.1.77", 24, 128), "198.18.1.0/24");
    assert.equal(aggregate("198.18.1.77", 32, 128), "198.18.1.77/32");
    assert.equal(aggregate("2001:db8:18::1:5", 32, 64), "2001:db8:18::/64");
    assert.equal(aggregate("2001:db8:18::5", 32, 128), "2001:db8:18::5/128");
  });
});
