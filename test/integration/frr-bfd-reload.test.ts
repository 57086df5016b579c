/**
 * A Service change must not reset the node's sessions (issue 11). Two real FRR instances
 * (test/lab/frr.sh) in throwaway namespaces: a "node" driven by the speaker's renderer and FRR
 * adapter, and a "router" with BGP and BFD 100 ms x 3 towards it. Once both sessions are up, the
 * node gets a config that only adds one Service IP: the router learns the new route while its BFD
 * session (same discriminators, uptime running on) and its BGP session (no connection dropped or
 * established again) stay as they were; frr-reload.py finds nothing to delete in FRR's running
 * config, also for an adapter that starts afresh (a restarted speaker). Before the renderer wrote
 * `neighbor X bfd` as FRR prints it, each reload ran `no neighbor X bfd` and the router saw
 * "BFD Down".
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import type { PeerSpec } from "../../lib/core/bgp-peer.js";
import { Frr } from "../../speaker/adapters/bgp/frr.js";
import { renderFrrConfig } from "../../speaker/core/bgp/frr-config.js";
import type { BgpPlan } from "../../speaker/core/bgp/plan.js";
import { rootSkipReason } from "../support/lab.js";
import {
  FRR_RELOAD,
  FRR_SCRIPT,
  linesToDelete as linesToDeleteIn,
  removeFrrTestbed,
  vtyshIn,
} from "../support/frr.js";
import { NetnsLab } from "../support/netns.js";
import { eventually } from "../support/processes.js";

const skip = rootSkipReason();
const frrScript = FRR_SCRIPT;
const RELOAD = FRR_RELOAD;
const run = promisify(execFile);
const NODE = "198.18.0.11";
const ROUTER = "198.18.0.254";
const VIPS = ["198.18.100.7", "198.18.100.8"];

const net = new NetnsLab();
const base = skip === undefined ? mkdtempSync(join(tmpdir(), `${net.prefix}-frr-`)) : "";
if (skip === undefined) chmodSync(base, 0o755); // FRR's daemons run as user frr
const dirs: string[] = [];
const nodeDir = join(base, "node");
const routerDir = join(base, "router");

const ROUTER_CONF = `frr defaults datacenter
bfd
 profile fast
  detect-multiplier 3
  receive-interval 100
  transmit-interval 100
 exit
exit
router bgp 64512
 bgp router-id ${ROUTER}
 neighbor ${NODE} remote-as internal
 neighbor ${NODE} bfd profile fast
 neighbor ${NODE} timers connect 1
exit
`;

const peer: PeerSpec = {
  name: "router",
  myASN: 64512,
  peerASN: 64512,
  address: ROUTER,
  port: 179,
  sourceAddress: undefined,
  routerID: undefined,
  holdTime: 90,
  keepaliveTime: 30,
  connectTime: 1,
  ebgpMultiHop: false,
  password: { from: "none" },
  nodeSelectors: [],
  bfdProfile: "fast",
  dualStack: false,
  gracefulRestart: false,
};

/** The node's config as the speaker renders it, announcing `vips` to the router. */
function nodeConfig(vips: readonly string[]): string {
  const routes = vips.map((ip) => ({
    prefix: `${ip}/32`,
    family: "IPv4" as const,
    localPref: undefined,
    communities: [],
  }));
  const plan: BgpPlan = {
    asn: 64512,
    routerId: undefined,
    peers: [{ peer, password: undefined, routes }],
    services: new Map(),
    notAnnounced: new Map(),
    errors: [],
  };
  const profile = {
    name: "fast",
    receiveInterval: 100,
    transmitInterval: 100,
    detectMultiplier: 3,
    echoInterval: undefined,
    echoMode: false,
    passiveMode: false,
    minimumTtl: undefined,
  };
  return renderFrrConfig({
    node: "node1",
    plan,
    nodeIp: NODE,
    bfdProfiles: new Map([["fast", profile]]),
  });
}

const nodeFrr = (): Frr =>
  new Frr({
    paths: {
      config: join(nodeDir, "frr.conf"),
      vtySocket: join(nodeDir, "run"),
      reload: RELOAD,
      vtysh: "vtysh",
    },
  });

const routerShow = (command: string): string => vtyshIn(routerDir, command);

interface Sessions {
  readonly bfd: { status: string; id: number; remoteId: number; uptime: number };
  readonly bgp: { state: string; established: number; dropped: number };
}

/** The router's BFD and BGP sessions with the node. */
function routerSessions(): Sessions {
  const bfdPeers = JSON.parse(routerShow("show bfd peers json")) as Record<string, unknown>[];
  const b = bfdPeers.find((p) => p.peer === NODE) ?? {};
  const n = (JSON.parse(routerShow("show bgp neighbors json")) as Record<string, never>)[NODE] as
    Record<string, unknown> | undefined;
  return {
    bfd: {
      status: String(b.status),
      id: Number(b.id),
      remoteId: Number(b["remote-id"]),
      uptime: Number(b.uptime),
    },
    bgp: {
      state: String(n?.bgpState),
      established: Number(n?.connectionsEstablished),
      dropped: Number(n?.connectionsDropped),
    },
  };
}

const routerHas = (vip: string): boolean =>
  routerShow("show bgp ipv4 unicast").includes(`${vip}/32`);

const linesToDelete = (text: string): Promise<string[]> =>
  linesToDeleteIn(nodeDir, text, join(base, "candidate.conf"));

before(async () => {
  if (skip !== undefined) return;
  const sw = net.addNamespace("sw");
  net.addBridge(sw);
  const router = net.addNamespace("r");
  const node = net.addNamespace("n1");
  net.attach(router, { bridgeNs: sw }, [`${ROUTER}/24`]);
  net.attach(node, { bridgeNs: sw }, [`${NODE}/24`]);
  writeFileSync(join(base, "router.conf"), ROUTER_CONF);
  dirs.push(routerDir, nodeDir);
  await Promise.all([
    run("bash", [frrScript, "start", router, routerDir, join(base, "router.conf")]),
    run("bash", [frrScript, "start", node, nodeDir]), // empty, as the speaker's FRR starts
  ]);
});

after(async () => {
  if (skip !== undefined) return;
  await removeFrrTestbed(dirs, net, base);
});

test(
  "a config that adds one Service IP resets neither the BFD nor the BGP session",
  { skip },
  async () => {
    const frr = nodeFrr();
    assert.deepEqual(await frr.applyNow(nodeConfig(VIPS.slice(0, 1))), { ok: true, changed: true });
    await eventually(
      "BFD up, BGP Established and the first route at the router",
      () => {
        const s = routerSessions();
        return s.bfd.status === "up" && s.bgp.state === "Established" && routerHas(VIPS[0] ?? "");
      },
      30_000,
    );
    const before = routerSessions();
    const second = nodeConfig(VIPS);
    assert.deepEqual(await linesToDelete(second), [], "frr-reload.py would delete lines");
    assert.deepEqual(await frr.applyNow(second), { ok: true, changed: true });
    await eventually("the second route at the router", () => routerHas(VIPS[1] ?? ""), 10_000);
    // A reset shows within BFD's 300 ms detection time; leave it well over that to show.
    await new Promise((r) => setTimeout(r, 2000));
    const afterwards = routerSessions();
    assert.deepEqual(
      { ...afterwards.bfd, uptime: 0 },
      { ...before.bfd, uptime: 0 },
      "the BFD session was reset",
    );
    assert.ok(afterwards.bfd.uptime >= before.bfd.uptime + 2, "the BFD session's uptime restarted");
    assert.deepEqual(afterwards.bgp, before.bgp, "the BGP session was reset");
  },
);

test(
  "a restarted speaker's first reload of the same config changes nothing",
  { skip },
  async () => {
    const before = routerSessions();
    const text = nodeConfig(VIPS);
    assert.deepEqual(await linesToDelete(text), [], "frr-reload.py would delete lines");
    assert.deepEqual(await nodeFrr().applyNow(text), { ok: true, changed: true });
    await new Promise((r) => setTimeout(r, 2000));
    const afterwards = routerSessions();
    assert.deepEqual({ ...afterwards.bfd, uptime: 0 }, { ...before.bfd, uptime: 0 });
    assert.deepEqual(afterwards.bgp, before.bgp, "the BGP session was reset");
    assert.ok(VIPS.every(routerHas), "a route is gone at the router");
  },
);
