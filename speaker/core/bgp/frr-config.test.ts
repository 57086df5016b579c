/**
 * Lines of the rendered config in the form FRR 8.4.4 prints them in `show running-config`, so
 * frr-reload.py finds no difference to delete and re-add. The expected lines were copied from a
 * real FRR's `show running-config` after the same commands were typed into vtysh.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BfdProfileSpec, BgpCommunity } from "../../../lib/core/bgp-advertisement.js";
import type { PeerSpec } from "../../../lib/core/bgp-peer.js";
import { renderFrrConfig } from "./frr-config.js";

const peer: PeerSpec = {
  name: "r",
  myASN: 64512,
  peerASN: 64512,
  address: "198.18.0.254",
  port: 179,
  sourceAddress: undefined,
  routerID: undefined,
  holdTime: 90,
  keepaliveTime: 30,
  connectTime: undefined,
  ebgpMultiHop: false,
  password: { from: "none" },
  nodeSelectors: [],
  bfdProfile: "p",
  dualStack: false,
  gracefulRestart: false,
};

function render(
  profile: Partial<BfdProfileSpec>,
  communities: BgpCommunity[] = [],
  gracefulRestart = false,
): string[] {
  const bfd: BfdProfileSpec = {
    name: "p",
    receiveInterval: undefined,
    transmitInterval: undefined,
    detectMultiplier: undefined,
    echoInterval: undefined,
    echoMode: false,
    passiveMode: false,
    minimumTtl: undefined,
    ...profile,
  };
  const route = { prefix: "198.18.100.7/32", family: "IPv4" as const, localPref: undefined };
  const text = renderFrrConfig({
    node: "n",
    nodeIp: "198.18.0.11",
    bfdProfiles: new Map([["p", bfd]]),
    plan: {
      asn: 64512,
      routerId: undefined,
      peers: [
        {
          peer: { ...peer, gracefulRestart },
          password: undefined,
          routes: [{ ...route, communities }],
        },
      ],
      services: new Map(),
      notAnnounced: new Map(),
      errors: [],
    },
  });
  return text.split("\n");
}

const profileLines = (lines: string[]): string[] =>
  lines.slice(lines.indexOf(" profile p") + 1, lines.indexOf(" exit", lines.indexOf(" profile p")));

describe("FRR's own spelling", () => {
  test("a BFD profile with FRR's default values has no line inside", () => {
    const defaults = {
      detectMultiplier: 3,
      receiveInterval: 300,
      transmitInterval: 300,
      echoInterval: 50,
      minimumTtl: 254,
    };
    assert.deepEqual(profileLines(render(defaults)), []);
  });

  test("values other than the defaults are written", () => {
    assert.deepEqual(profileLines(render({ detectMultiplier: 5, echoInterval: 70 })), [
      "  detect-multiplier 5",
      "  echo transmit-interval 70",
      "  echo receive-interval 70",
    ]);
  });

  test("a peer with a BFD profile has `bfd` on its own line too", () => {
    const lines = render({});
    const at = lines.indexOf(" neighbor 198.18.0.254 bfd");
    assert.ok(at > 0);
    assert.equal(lines[at + 1], " neighbor 198.18.0.254 bfd profile p");
  });

  test("standard communities by value, well-known ones by name", () => {
    const values = [
      "65535:65284",
      "65535:65283",
      "65535:65282",
      "65535:65281",
      "65535:666",
      "65535:8",
      "65535:7",
      "65535:6",
      "65535:5",
      "65535:4",
      "65535:3",
      "65535:2",
      "65535:1",
      "65535:0",
      "64512:100",
      "100:5",
      "0:0",
    ];
    const lines = render(
      {},
      values.map((value) => ({ kind: "standard", value })),
    );
    assert.ok(
      lines.includes(
        " set community internet 100:5 64512:100 graceful-shutdown accept-own" +
          " route-filter-translated-v4 route-filter-v4 route-filter-translated-v6 route-filter-v6" +
          " llgr-stale no-llgr accept-own-nexthop blackhole no-export no-advertise local-AS" +
          " no-peer additive",
      ),
      lines.join("\n"),
    );
  });

  test("graceful restart: the instance preserves forwarding state, the peer restarts gracefully", () => {
    const bgp = (lines: string[]) =>
      lines.slice(lines.indexOf("router bgp 64512"), lines.indexOf(" address-family ipv4 unicast"));
    // As FRR 8.4.4 prints them after `bgp graceful-restart preserve-fw-state` and
    // `neighbor 198.18.0.254 graceful-restart` were typed into vtysh (its order of neighbor
    // lines differs; frr-reload.py compares them as a set).
    assert.deepEqual(bgp(render({}, [], true)), [
      "router bgp 64512",
      " bgp router-id 198.18.0.11",
      " no bgp default ipv4-unicast",
      " bgp graceful-restart preserve-fw-state",
      " no bgp network import-check",
      " neighbor 198.18.0.254 remote-as 64512",
      " neighbor 198.18.0.254 timers 30 90",
      " neighbor 198.18.0.254 bfd",
      " neighbor 198.18.0.254 bfd profile p",
      " neighbor 198.18.0.254 graceful-restart",
    ]);
    assert.ok(!render({}).some((l) => l.includes("graceful-restart")));
  });
});
