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
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { rootSkipReason } from "../support/lab.js";
import { FRR_SCRIPT, linesToDelete, vtyshIn } from "../support/frr.js";
import { FrrPair, NODE, nodeConfig, ROUTER, routerConf, routerPeer } from "../support/frr-pair.js";
import { eventually } from "../support/processes.js";

const skip = rootSkipReason();
const run = promisify(execFile);
const VIP = "198.18.100.7";
const pair = new FrrPair(skip !== undefined);
const routerShow = (command: string): string => vtyshIn(pair.routerDir, command);

/** The router's path to the VIP: absent, or present and whether it is stale. */
function routerPath(): "absent" | "stale" | "fresh" {
  const shown = JSON.parse(routerShow(`show bgp ipv4 unicast ${VIP}/32 json`)) as {
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
    const pid = Number(readFileSync(join(pair.nodeDir, "run", `${d}.pid`), "utf8").trim());
    if (Number.isInteger(pid) && pid > 1) process.kill(pid, "SIGKILL");
  }
}

before(async () => {
  if (skip === undefined) await pair.start(routerConf(["bgp graceful-restart"]));
});

after(async () => {
  if (skip === undefined) await pair.remove();
});

test("FRR runs the graceful-restart lines as rendered", { skip }, async () => {
  const frr = pair.nodeFrr();
  const text = nodeConfig([VIP], routerPeer({ gracefulRestart: true }));
  assert.deepEqual(await frr.applyNow(text), { ok: true, changed: true });
  const running = new Set(vtyshIn(pair.nodeDir, "show running-config").split("\n"));
  for (const line of [
    " bgp graceful-restart preserve-fw-state",
    ` neighbor ${ROUTER} graceful-restart`,
  ])
    assert.ok(running.has(line), `running config lacks "${line}"`);
  const scratch = join(pair.base, "candidate.conf");
  assert.deepEqual(
    await linesToDelete(pair.nodeDir, text, scratch),
    [],
    "frr-reload.py would delete",
  );
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
    await run("bash", [
      ...[FRR_SCRIPT, "start", pair.nodeNs, pair.nodeDir, join(pair.nodeDir, "frr.conf")],
    ]);
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
  execFileSync("ip", ["-n", pair.nodeNs, "link", "set", pair.nodeIf, "down"]);
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
