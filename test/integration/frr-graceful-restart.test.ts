/**
 * Graceful restart (issue 11) against real FRR. Two instances (test/lab/frr.sh) in throwaway
 * namespaces: a "node" running the config the speaker renders for a BGPPeer with
 * `enableGracefulRestart: true` and a BFD profile, and a "router" with `bgp graceful-restart` and
 * BFD 100 ms x 3 towards it (no `bfd check-control-plane-failure`: docs/bgp.md "Graceful
 * restart"). FRR accepts the rendered lines and prints them as written (frr-reload.py finds
 * nothing to delete), the session negotiates graceful restart, and when every daemon of the
 * node's FRR is killed and started again from its config file the router keeps the node's route
 * the whole time, marked stale while the node is away, and fresh again once it is back. A node
 * whose link goes down still loses its route within BFD's detection time: graceful restart hides
 * a restarting FRR, not a dead node.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import type { PeerSpec } from "../../lib/core/bgp-peer.js";
import { Frr } from "../../speaker/adapters/bgp/frr.js";
import { renderFrrConfig } from "../../speaker/core/bgp/frr-config.js";
import { rootSkipReason } from "../support/lab.js";
import {
  FRR_RELOAD,
  FRR_SCRIPT,
  linesToDelete,
  removeFrrTestbed,
  vtyshIn,
} from "../support/frr.js";
import { NetnsLab } from "../support/netns.js";
import { eventually } from "../support/processes.js";

const skip = rootSkipReason();
const run = promisify(execFile);
const NODE = "198.18.0.11";
const ROUTER = "198.18.0.254";
const VIP = "198.18.100.7/32";

const net = new NetnsLab();
const base = skip === undefined ? mkdtempSync(join(tmpdir(), `${net.prefix}-frr-`)) : "";
if (skip === undefined) chmodSync(base, 0o755); // FRR's daemons run as user frr
const dirs: string[] = [];
const nodeDir = join(base, "node");
const routerDir = join(base, "router");
let nodeNs = "";
let nodeIf = "";

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
 bgp graceful-restart
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
  gracefulRestart: true,
};

const nodeConfig = (): string =>
  renderFrrConfig({
    node: "node1",
    nodeIp: NODE,
    plan: {
      asn: 64512,
      routerId: undefined,
      peers: [
        {
          peer,
          password: undefined,
          routes: [{ prefix: VIP, family: "IPv4", localPref: undefined, communities: [] }],
        },
      ],
      services: new Map(),
      notAnnounced: new Map(),
      errors: [],
    },
    bfdProfiles: new Map([
      [
        "fast",
        {
          name: "fast",
          receiveInterval: 100,
          transmitInterval: 100,
          detectMultiplier: 3,
          echoInterval: undefined,
          echoMode: false,
          passiveMode: false,
          minimumTtl: undefined,
        },
      ],
    ]),
  });

const routerShow = (command: string): string => vtyshIn(routerDir, command);

/** The router's path to the VIP: absent, or present and whether it is stale. */
function routerPath(): "absent" | "stale" | "fresh" {
  const shown = JSON.parse(routerShow(`show bgp ipv4 unicast ${VIP} json`)) as {
    paths?: { stale?: boolean; valid?: boolean }[];
  };
  const paths = (shown.paths ?? []).filter((p) => p.valid !== false);
  if (paths.length === 0) return "absent";
  return paths.some((p) => p.stale === true) ? "stale" : "fresh";
}

function routerNeighbor(): Record<string, unknown> {
  const all = JSON.parse(routerShow("show bgp neighbors json")) as Record<string, unknown>;
  return (all[NODE] ?? {}) as Record<string, unknown>;
}

/** SIGKILL to every daemon of the node's FRR, by the PIDs frr.sh recorded. */
function killNodeFrr(): void {
  for (const d of ["zebra", "bgpd", "bfdd", "staticd"]) {
    const pid = Number(readFileSync(join(nodeDir, "run", `${d}.pid`), "utf8").trim());
    if (Number.isInteger(pid) && pid > 1) process.kill(pid, "SIGKILL");
  }
}

before(async () => {
  if (skip !== undefined) return;
  const sw = net.addNamespace("sw");
  net.addBridge(sw);
  const router = net.addNamespace("r");
  nodeNs = net.addNamespace("n1");
  net.attach(router, { bridgeNs: sw }, [`${ROUTER}/24`]);
  nodeIf = net.attach(nodeNs, { bridgeNs: sw }, [`${NODE}/24`]).iface;
  writeFileSync(join(base, "router.conf"), ROUTER_CONF);
  dirs.push(routerDir, nodeDir);
  await Promise.all([
    run("bash", [FRR_SCRIPT, "start", router, routerDir, join(base, "router.conf")]),
    run("bash", [FRR_SCRIPT, "start", nodeNs, nodeDir]),
  ]);
});

after(async () => {
  if (skip !== undefined) return;
  await removeFrrTestbed(dirs, net, base);
});

test("FRR runs the graceful-restart lines as rendered", { skip }, async () => {
  const frr = new Frr({
    paths: {
      config: join(nodeDir, "frr.conf"),
      vtySocket: join(nodeDir, "run"),
      reload: FRR_RELOAD,
      vtysh: "vtysh",
    },
  });
  const text = nodeConfig();
  assert.deepEqual(await frr.applyNow(text), { ok: true, changed: true });
  const running = new Set(vtyshIn(nodeDir, "show running-config").split("\n"));
  for (const line of [
    " bgp graceful-restart preserve-fw-state",
    ` neighbor ${ROUTER} graceful-restart`,
  ])
    assert.ok(running.has(line), `running config lacks "${line}"`);
  const scratch = join(base, "candidate.conf");
  assert.deepEqual(await linesToDelete(nodeDir, text, scratch), [], "frr-reload.py would delete");
  await eventually(
    "session Established, the route at the router",
    () => routerNeighbor().bgpState === "Established" && routerPath() === "fresh",
    30_000,
  );
});

test(
  "the router keeps the node's route, stale, while the node's FRR restarts",
  { skip },
  async () => {
    const gr = routerNeighbor().gracefulRestartInfo as Record<string, unknown> | undefined;
    assert.equal(gr?.remoteGrMode, "Restart", JSON.stringify(gr));
    const seen: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        seen.push(routerPath());
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    killNodeFrr();
    // BFD notices within 300 ms, the closed TCP connection at once: well past both.
    await new Promise((r) => setTimeout(r, 2000));
    await run("bash", [FRR_SCRIPT, "start", nodeNs, nodeDir, join(nodeDir, "frr.conf")]);
    await eventually(
      "the node back: Established, its route fresh at the router",
      () => routerNeighbor().bgpState === "Established" && routerPath() === "fresh",
      60_000,
    );
    polling = false;
    await poller;
    assert.ok(!seen.includes("absent"), `the router lost the route: ${summary(seen)}`);
    assert.ok(seen.includes("stale"), `never marked stale: ${summary(seen)}`);
  },
);

test("a node whose link goes down loses its route within a second", { skip }, async () => {
  assert.equal(routerPath(), "fresh");
  const started = performance.now();
  execFileSync("ip", ["-n", nodeNs, "link", "set", nodeIf, "down"]);
  await eventually("the route gone at the router", () => routerPath() === "absent", 5_000);
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `the route went after ${Math.round(ms)} ms`);
});

/** Runs of equal states, e.g. "fresh x12, stale x40, fresh x3". */
function summary(states: readonly string[]): string {
  const runs: [string, number][] = [];
  for (const s of states) {
    const last = runs.at(-1);
    if (last?.[0] === s) last[1] += 1;
    else runs.push([s, 1]);
  }
  return runs.map(([s, n]) => `${s} x${n}`).join(", ");
}
