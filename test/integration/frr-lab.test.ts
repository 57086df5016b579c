/**
 * The BGP lab's building blocks without the lab: test/lab/frr.sh runs FRR instances inside
 * throwaway namespaces (ironlb-t<pid>-*), the router gets the lab's own config (test/lab/bgp.sh
 * router-config) and two hand-configured "nodes" announce one /32 over iBGP with BFD. The client
 * behind the router reaches that address only once the routes are in, the router's kernel has
 * one next hop per node, frr-reload.py and vtysh work against an instance's state dir, a node's
 * link going down is noticed by BFD within a second, and `frr.sh stop` leaves nothing behind.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { repoRoot, rootSkipReason } from "../support/lab.js";
import { FRR_SCRIPT, removeFrrTestbed } from "../support/frr.js";
import { NetnsLab } from "../support/netns.js";
import { eventually } from "../support/processes.js";

const skip = rootSkipReason();
const frrScript = FRR_SCRIPT;
const run = promisify(execFile);
const VIP = "198.18.100.7";
const VIP2 = "198.18.100.8";
const ROUTER = "198.18.0.254";
const EXT = "198.18.200.100";

const net = new NetnsLab();
const base = skip === undefined ? mkdtempSync(join(tmpdir(), `${net.prefix}-frr-`)) : "";
if (skip === undefined) chmodSync(base, 0o755); // FRR's daemons run as user frr
const dirs: string[] = [];
let ns: { router: string; n1: string; n2: string; ext: string };

/** A node's FRR config: iBGP to the router with BFD 100 ms x 3, announcing `prefixes`. */
function nodeConf(address: string, prefixes: readonly string[]): string {
  return [
    "frr defaults datacenter",
    "bfd",
    " profile fast",
    "  detect-multiplier 3",
    "  receive-interval 100",
    "  transmit-interval 100",
    " exit",
    "exit",
    "router bgp 64512",
    ` bgp router-id ${address}`,
    ` neighbor ${ROUTER} remote-as 64512`,
    ` neighbor ${ROUTER} bfd profile fast`,
    ` neighbor ${ROUTER} timers connect 1`,
    " address-family ipv4 unicast",
    ...prefixes.map((p) => `  network ${p}/32`),
    " exit-address-family",
    "exit",
    "",
  ].join("\n");
}

async function startFrr(netns: string, name: string, conf: string): Promise<string> {
  const dir = join(base, name);
  dirs.push(dir);
  const file = join(base, `${name}.conf`);
  writeFileSync(file, conf);
  const { stdout } = await run("bash", [frrScript, "start", netns, dir, file], { timeout: 30_000 });
  assert.equal(stdout.trim(), join(dir, "run"), "frr.sh start prints the vty socket dir");
  return dir;
}

/** The next hops of `prefix` in the router's kernel table. */
function kernelNextHops(prefix: string): string[] {
  const out = net.ip(ns.router, ["route", "show", `${prefix}/32`]).stdout;
  return [...out.matchAll(/via (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1] ?? "").sort();
}

/** Not a zombie: a daemon's parent is init, which may reap it late. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

const pingExt = (ip: string): boolean =>
  net.exec(ns.ext, "ping", ["-c", "1", "-W", "1", ip], { allowFailure: true }).status === 0;

before(() => {
  if (skip !== undefined) return;
  const sw = net.addNamespace("sw");
  net.addBridge(sw);
  ns = {
    router: net.addNamespace("r"),
    n1: net.addNamespace("n1"),
    n2: net.addNamespace("n2"),
    ext: net.addNamespace("ext"),
  };
  net.attach(ns.router, { bridgeNs: sw }, [`${ROUTER}/24`]);
  net.attach(ns.n1, { bridgeNs: sw }, ["198.18.0.11/24"]);
  net.attach(ns.n2, { bridgeNs: sw }, ["198.18.0.12/24"]);
  const { iface } = net.addStub(ns.router, ns.ext, "eth1", ["198.18.200.1/24"]);
  const extIface = `s-r-${iface}`;
  net.ip(ns.ext, ["addr", "add", `${EXT}/24`, "dev", extIface]);
  net.ip(ns.ext, ["route", "add", "default", "via", "198.18.200.1"]);
  for (const key of ["net.ipv4.ip_forward", "net.ipv4.fib_multipath_hash_policy"])
    net.sysctl(ns.router, key, "1");
  for (const n of [ns.n1, ns.n2]) {
    net.ip(n, ["addr", "add", `${VIP}/32`, "dev", "lo"]);
    net.ip(n, ["route", "add", "198.18.200.0/24", "via", ROUTER]);
  }
});

after(async () => {
  if (skip !== undefined) return;
  await removeFrrTestbed(dirs, net, base);
});

test(
  "the client behind the router reaches a node-announced IP only through BGP",
  { skip },
  async () => {
    assert.equal(pingExt(VIP), false, `${VIP} reachable before any BGP route`);
    const routerConf = execFileSync("bash", [join(repoRoot, "test/lab/bgp.sh"), "router-config"], {
      encoding: "utf8",
    });
    await Promise.all([
      startFrr(ns.router, "router", routerConf),
      startFrr(ns.n1, "n1", nodeConf("198.18.0.11", [VIP])),
      startFrr(ns.n2, "n2", nodeConf("198.18.0.12", [VIP])),
    ]);
    await eventually(
      "two next hops for the VIP in the router's kernel",
      () => kernelNextHops(VIP).join() === "198.18.0.11,198.18.0.12",
      30_000,
    );
    assert.ok(pingExt(VIP), `${EXT} cannot reach ${VIP} through the router`);
    const vtysh = execFileSync(
      "vtysh",
      ["--vty_socket", join(base, "router/run"), "-c", `show bgp ipv4 unicast ${VIP}/32 json`],
      { encoding: "utf8" },
    );
    const paths = (JSON.parse(vtysh) as { paths: { multipath?: boolean }[] }).paths;
    assert.equal(paths.filter((p) => p.multipath === true).length, 2, vtysh);
  },
);

test("frr-reload.py applies a new config to a running instance", { skip }, async () => {
  const dir = join(base, "n2");
  const file = join(base, "n2-new.conf");
  net.ip(ns.n2, ["addr", "add", `${VIP2}/32`, "dev", "lo"]);
  writeFileSync(file, nodeConf("198.18.0.12", [VIP, VIP2]));
  await run("/usr/lib/frr/frr-reload.py", [
    "--reload",
    "--stdout",
    "--vty_socket",
    join(dir, "run"),
    "--confdir",
    dir,
    "--rundir",
    join(dir, "run"),
    file,
  ]);
  await eventually("the router learns the second prefix", () =>
    kernelNextHops(VIP2).includes("198.18.0.12"),
  );
  assert.match(readFileSync(join(dir, "frr.conf"), "utf8"), new RegExp(`network ${VIP2}/32`));
});

test("BFD withdraws a node's path within 1 s of its link going down", { skip }, async () => {
  assert.equal(kernelNextHops(VIP).length, 2);
  const t0 = performance.now();
  net.ip(ns.n1, ["link", "set", "eth0", "down"]);
  let elapsed = Infinity;
  while (performance.now() - t0 < 5000) {
    if (kernelNextHops(VIP).join() === "198.18.0.12") {
      elapsed = performance.now() - t0;
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(elapsed <= 1000, `path via node 1 still there after ${Math.round(elapsed)} ms`);
  assert.ok(pingExt(VIP), "the remaining node does not answer");
});

test("frr.sh stop ends every daemon and removes FRR's temp dirs", { skip }, () => {
  const dir = join(base, "n1");
  const pids = ["zebra", "bgpd", "bfdd", "staticd"].map((d) =>
    Number(readFileSync(join(dir, "run", `${d}.pid`), "utf8")),
  );
  const tmpdirs = readFileSync(join(dir, "run/tmpdirs"), "utf8").trim().split("\n");
  assert.equal(tmpdirs.length, 4);
  execFileSync("bash", [frrScript, "stop", dir]);
  for (const pid of pids) assert.equal(running(pid), false, `pid ${pid} still running`);
  for (const t of tmpdirs) assert.equal(existsSync(t), false, `${t} left behind`);
  const status = spawnSync("bash", [frrScript, "status", dir], { encoding: "utf8" });
  assert.equal(status.status, 3, status.stdout);
  assert.match(status.stdout, /bgpd\s+stopped/);
});
