/**
 * `kubectl ironlb` on the lab: status, pools and explain against the real apiserver, IronLB's
 * controller and speakers, including a Service pending because its pool is exhausted. Pools
 * 198.18.0.188 and 198.18.0.189 (autoAssign false, so no other Service lands there).
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, afterEach, before, describe, test } from "node:test";
import {
  apply,
  assertIronlbRunning,
  deploymentYaml,
  NODES,
  useLab,
  waitForIngress,
} from "../support/e2e.js";
import type { ControlPlane } from "../support/lab.js";
import { kubeconfigPath, labDir, repoRoot, rootSkipReason, uniqueName } from "../support/lab.js";
import { eventually } from "../support/processes.js";

const execFileP = promisify(execFile);
const skip = rootSkipReason();
const ns = uniqueName("plugin");
const SYSTEM = "metallb-system";
let cp: ControlPlane;
let binDir = "";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `kubectl-ironlb` from the sources with the lab's kubeconfig in KUBECONFIG. */
async function ironlb(...args: string[]): Promise<Run> {
  const env = { ...process.env, KUBECONFIG: kubeconfigPath };
  const argv = ["--import", "tsx", join(repoRoot, "plugin/main.ts"), ...args];
  try {
    const { stdout, stderr } = await execFileP("node", argv, { env, cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, stdout: x.stdout ?? "", stderr: x.stderr ?? "" };
  }
}

/** Runs the plugin until `done` holds for its result (the controller and speakers catch up). */
async function ironlbUntil(what: string, args: string[], done: (r: Run) => boolean): Promise<Run> {
  let last: Run = { code: -1, stdout: "", stderr: "" };
  try {
    await eventually(what, async () => done((last = await ironlb(...args))), 30_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last output:\n${last.stdout}${last.stderr}`, {
      cause: e,
    });
  }
  return last;
}

const pools = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: plugin-one, namespace: ${SYSTEM}}
spec: {addresses: [198.18.0.188-198.18.0.188], autoAssign: false}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: plugin-two, namespace: ${SYSTEM}}
spec: {addresses: [198.18.0.189-198.18.0.189], autoAssign: false}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: plugin, namespace: ${SYSTEM}}
spec: {ipAddressPools: [plugin-one, plugin-two]}
`;

function serviceYaml(name: string, pool: string, selector = "app: web", type = "LoadBalancer") {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
  annotations: {metallb.io/address-pool: ${pool}}
spec:
  type: ${type}
  selector: {${selector}}
  ports: [{port: 8093, targetPort: 80}]
`;
}

interface StatusJson {
  pools: { name: string; IPv4?: { used: number; free: number } }[];
  services: { namespace: string; name: string; ips: string[]; pool?: string; nodes: string[] }[];
  speakers: { node: string; live: boolean }[];
}

describe("kubectl ironlb on the lab", { skip }, () => {
  before(async () => {
    cp = useLab();
    cp.ensureNamespace(ns);
    apply(cp, pools);
    apply(cp, deploymentYaml(ns, "web", 1));
    apply(cp, serviceYaml("first", "plugin-one"));
    await waitForIngress(cp, ns, "first");
  });

  afterEach(() => assertIronlbRunning());

  after(async () => {
    await cp.core.deleteNamespace({ name: ns }).catch(() => undefined);
    const objects = [
      "ipaddresspool/plugin-one",
      "ipaddresspool/plugin-two",
      "l2advertisement/plugin",
    ];
    cp.kubectl(["delete", "-n", SYSTEM, ...objects, "--ignore-not-found"]);
    if (binDir) rmSync(binDir, { recursive: true, force: true });
  });

  test("status: the pool's usage, the Service with its IP and announcer, live speakers", async () => {
    const run = await ironlbUntil("first announced", ["status", "-n", ns, "-o", "json"], (r) => {
      const report = JSON.parse(r.stdout || "{}") as Partial<StatusJson>;
      return report.services?.find((s) => s.name === "first")?.nodes.length === 1;
    });
    assert.equal(run.code, 0);
    const report = JSON.parse(run.stdout) as StatusJson;
    const first = report.services.find((s) => s.name === "first");
    assert.deepEqual(first?.ips, ["198.18.0.188"]);
    assert.equal(first?.pool, "plugin-one");
    const owner = cp.kubectl(["get", "servicel2statuses", "-n", SYSTEM, "-o", "json"]);
    const statuses = JSON.parse(owner) as {
      items: { status?: { node?: string; serviceName?: string; serviceNamespace?: string } }[];
    };
    const mine = statuses.items.find(
      (i) => i.status?.serviceName === "first" && i.status.serviceNamespace === ns,
    );
    assert.deepEqual(first?.nodes, [mine?.status?.node]);
    assert.deepEqual(report.pools.find((p) => p.name === "plugin-one")?.IPv4, { used: 1, free: 0 });
    assert.deepEqual(
      report.speakers.filter((s) => s.live).map((s) => s.node),
      [...NODES],
    );
    const table = await ironlb("status", "-n", ns);
    assert.match(
      table.stdout,
      new RegExp(`${ns}\\s+first\\s+198\\.18\\.0\\.188\\s+plugin-one\\s+node\\d\\s+eth0`),
    );
    assert.match(table.stdout, /node1\s+yes\s+/);
  });

  test("pools: a full pool shows a full bar", async () => {
    const run = await ironlb("pools");
    assert.equal(run.code, 0);
    assert.match(
      run.stdout,
      /plugin-one\s+IPv4\s+1\s+1\s+\[####################\] 100%\s+198\.18\.0\.188-198\.18\.0\.188/,
    );
    const yaml = await ironlb("pools", "-o", "yaml");
    assert.match(
      yaml.stdout,
      /- name: plugin-one\n {4}addresses:\n {6}- 198\.18\.0\.188-198\.18\.0\.188/,
    );
  });

  test("explain: a healthy Service, exit 0", async () => {
    const run = await ironlb("explain", "svc/first", "-n", ns);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^Service .*\/first: no problem found$/m);
    assert.match(run.stdout, /^OK {7}IP 198\.18\.0\.188 from pool plugin-one$/m);
    assert.match(run.stdout, /^OK {7}announced by node node\d on eth0$/m);
    assert.match(run.stdout, /nodeAssigned\s+a node started announcing it/);
  });

  test("explain: pending because the pool is exhausted, with the pool's usage; exit 1", async () => {
    apply(cp, serviceYaml("second", "plugin-one"));
    const run = await ironlbUntil(
      "PoolExhausted explained",
      ["explain", "svc/second", "-n", ns],
      (r) => r.stdout.includes("is exhausted"),
    );
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^Service .*\/second: has a problem$/m);
    assert.match(
      run.stdout,
      /^PROBLEM {2}no free address in the pools this Service may use: no free IPv4 address in pool "plugin-one"$/m,
    );
    assert.match(run.stdout, /^ {9}pool plugin-one is exhausted: 1 of 1 used$/m);
    assert.match(run.stdout, /next: kubectl edit ipaddresspool plugin-one -n metallb-system/);
    const json = JSON.parse(
      (await ironlb("explain", "svc/second", "-n", ns, "-o", "json")).stdout,
    ) as {
      healthy: boolean;
      findings: { reason: string }[];
    };
    assert.deepEqual(
      [json.healthy, json.findings.map((f) => f.reason)],
      [false, ["PoolExhausted"]],
    );
  });

  test("explain: an IP but no ready pod, so nobody announces it", async () => {
    apply(cp, serviceYaml("nobody", "plugin-two", "app: none"));
    await waitForIngress(cp, ns, "nobody");
    const run = await ironlb("explain", "svc/nobody", "-n", ns);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /^PROBLEM {2}no ready endpoint: no ready pod backs it, so no node announces it$/m,
    );
    assert.match(
      run.stdout,
      /next: kubectl get endpointslices -n \S+ -l kubernetes.io\/service-name=nobody/,
    );
  });

  test("explain: not a LoadBalancer, not found, bad arguments, API unreachable", async () => {
    apply(cp, serviceYaml("plain", "plugin-two", "app: web", "ClusterIP"));
    const plain = await ironlb("explain", "svc/plain", "-n", ns);
    assert.equal(plain.code, 1);
    assert.match(plain.stdout, /not a LoadBalancer Service \(type ClusterIP\)/);
    const missing = await ironlb("explain", "svc/nope", "-n", ns);
    assert.deepEqual(
      [missing.code, missing.stderr],
      [1, `error: service "nope" not found in namespace "${ns}"\n`],
    );
    const usage = await ironlb("explain", "deploy/web");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /"deploy\/web" is not a Service/);
    const kubeconfig = join(labDir, "plugin-unreachable.kubeconfig");
    const text = readFileSync(kubeconfigPath, "utf8").replace(
      /server: .*/g,
      "server: https://127.0.0.1:1",
    );
    writeFileSync(kubeconfig, text);
    try {
      const down = await ironlb("status", "--kubeconfig", kubeconfig);
      assert.equal(down.code, 3);
      assert.match(down.stderr, /cannot reach the API server .*ECONNREFUSED/);
    } finally {
      rmSync(kubeconfig, { force: true });
    }
  });

  test("installed with make install-plugin, kubectl finds it", () => {
    binDir = mkdtempSync(join(tmpdir(), "ironlb-plugin-"));
    execFileSync("make", ["-s", "install-plugin", `BINDIR=${binDir}`], {
      cwd: repoRoot,
      stdio: "pipe",
    });
    const out = execFileSync(join(labDir, "bin", "kubectl"), ["ironlb", "pools"], {
      encoding: "utf8",
      env: {
        ...process.env,
        KUBECONFIG: kubeconfigPath,
        PATH: `${binDir}:${process.env.PATH ?? ""}`,
      },
    });
    assert.match(out, /^POOL\s+FAMILY\s+USED\s+TOTAL\s+USAGE\s+ADDRESSES$/m);
    assert.match(out, /plugin-one\s+IPv4\s+1\s+1\s+\[#+\] 100%/);
  });
});
