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
import { join } from "node:path";
import { after, before, test } from "node:test";
import { rootSkipReason } from "../support/lab.js";
import { linesToDelete as linesToDeleteIn, vtyshIn } from "../support/frr.js";
import { FrrPair, NODE, nodeConfig, routerConf } from "../support/frr-pair.js";
import { eventually } from "../support/processes.js";

const skip = rootSkipReason();
const VIPS = ["198.18.100.7", "198.18.100.8"];
const pair = new FrrPair(skip !== undefined);
const nodeFrr = () => pair.nodeFrr();
const routerShow = (command: string): string => vtyshIn(pair.routerDir, command);

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
  linesToDeleteIn(pair.nodeDir, text, join(pair.base, "candidate.conf"));

before(async () => {
  if (skip === undefined) await pair.start(routerConf());
});

after(async () => {
  if (skip === undefined) await pair.remove();
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
