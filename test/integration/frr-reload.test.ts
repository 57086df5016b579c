/**
 * The speaker's FRR adapter against a real FRR (test/lab/frr.sh: zebra, bgpd, bfdd, staticd in a
 * network namespace of this test): a configuration is applied with frr-reload.py and read back
 * with `show running-config`; one FRR refuses leaves the running configuration and the file on
 * the last good one.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Frr } from "../../speaker/adapters/bgp/frr.js";
import { NetnsLab, removeStaleNamespaces } from "../support/netns.js";

const skip = process.getuid?.() !== 0 ? "needs root (network namespaces, FRR)" : false;
const root = join(import.meta.dirname, "..", "..");
const frrSh = join(root, "test", "lab", "frr.sh");
const golden = readFileSync(join(root, "speaker/core/bgp/testdata/full.frr.conf"), "utf8");
let lab: NetnsLab | undefined;
let dir = "";
let frr: Frr;

before(() => {
  if (skip) return;
  assert.ok(
    existsSync("/usr/lib/frr/frr-reload.py"),
    "FRR missing: apt-get install frr frr-pythontools",
  );
  removeStaleNamespaces();
  lab = new NetnsLab();
  const ns = lab.addNamespace("frr");
  lab.ip(ns, ["link", "add", "p0", "type", "veth", "peer", "name", "p1"]);
  lab.ip(ns, ["addr", "add", "198.18.0.11/24", "dev", "p0"]);
  lab.ip(ns, ["addr", "add", "2001:db8:18::11/64", "dev", "p0"]);
  for (const l of ["p0", "p1"]) lab.ip(ns, ["link", "set", l, "up"]);
  dir = mkdtempSync(join(tmpdir(), "ironlb-frr-"));
  chmodSync(dir, 0o755); // the daemons run as user frr
  execFileSync("bash", [frrSh, "start", ns, dir], { stdio: ["ignore", "ignore", "pipe"] });
  frr = new Frr({
    paths: {
      config: join(dir, "frr.conf"),
      vtySocket: join(dir, "run"),
      reload: "/usr/lib/frr/frr-reload.py",
      vtysh: "vtysh",
    },
  });
});

after(async () => {
  if (skip) return;
  if (dir) execFileSync("bash", [frrSh, "stop", dir], { stdio: "ignore" });
  await lab?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const running = async (): Promise<string> => (await frr.show("show running-config")).output;

const EXPECTED = [
  "router bgp 64512",
  " bgp router-id 198.18.0.11",
  " neighbor 198.18.0.1 remote-as 64513",
  " neighbor 198.18.0.1 port 1179",
  " neighbor 198.18.0.1 timers 3 9",
  " neighbor 198.18.0.1 bfd profile fast",
  "  network 198.18.1.0/24",
  "  network 2001:db8:18::200/128",
  "  neighbor 2001:db8:18::1 route-map ironlb-router-v6-out out",
  "ip prefix-list ironlb-router-2-ipv4 seq 5 permit 198.18.1.0/24",
  " set local-preference 150",
  " set large-community 64512:1:2 additive",
  " profile fast",
  "  minimum-ttl 250",
];

test("a configuration is applied with frr-reload.py and runs", { skip }, async () => {
  assert.deepEqual(await frr.applyNow(golden), { ok: true, changed: true });
  const lines = new Set((await running()).split("\n"));
  for (const want of EXPECTED) assert.ok(lines.has(want), `running config lacks "${want}"`);
  assert.equal(readFileSync(join(dir, "frr.conf"), "utf8"), golden);
  assert.deepEqual(await frr.applyNow(golden), { ok: true, changed: false });
});

test(
  "a configuration FRR refuses leaves the last good one, in FRR and in the file",
  { skip },
  async () => {
    const broken = golden.replace(
      " no bgp network import-check\n",
      " no bgp network import-check\n neighbor 198.18.0.1 flies-to-the-moon\n",
    );
    assert.notEqual(broken, golden);
    const result = await frr.applyNow(broken);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.stage, "test");
    const lines = new Set((await running()).split("\n"));
    for (const want of EXPECTED) assert.ok(lines.has(want), `running config lost "${want}"`);
    assert.equal(readFileSync(join(dir, "frr.conf"), "utf8"), golden);
    assert.equal(frr.applied, golden);
  },
);

test("a change removes what is gone", { skip }, async () => {
  const smaller = golden.replace("  network 198.18.1.0/24\n", "");
  assert.deepEqual(await frr.applyNow(smaller), { ok: true, changed: true });
  const text = await running();
  assert.doesNotMatch(text, /network 198\.18\.1\.0\/24/);
  assert.match(text, /network 198\.18\.0\.201\/32/);
});
