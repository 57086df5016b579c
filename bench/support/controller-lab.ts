/**
 * An isolated corner of the running lab for the controller benchmark: its own pool namespace,
 * Service namespace and loadBalancerClass, one IronLB controller started from this repo, and
 * the clean-up. The lab itself is never started, stopped or restarted here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { V1Service } from "@kubernetes/client-node";
import { labDir, repoRoot, uniqueName, type ControlPlane } from "../../test/support/lab.js";
import { freshPort, startTs, type RunningProcess } from "../../test/support/processes.js";
import { type KubeHttp, KubeHttpError } from "./kube-http.js";
import { progress } from "./result.js";

export interface BenchPool {
  readonly name: string;
  readonly addresses: readonly string[];
}

export interface RunningController extends RunningProcess {
  readonly port: number;
  /** performance.now() when the process was spawned and when /readyz first answered 200. */
  readonly spawnedAt: number;
  readonly readyAt: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ControllerLab {
  readonly poolNs = uniqueName("bench-lb");
  readonly svcNs = uniqueName("bench-svc");
  readonly lbClass = `ironlb.io/${this.poolNs}`;
  readonly port = freshPort();

  constructor(
    readonly cp: ControlPlane,
    readonly http: KubeHttp,
  ) {}

  /** CRDs (idempotent), both namespaces, the pool (serving only our namespace) and its L2Advertisement. */
  setUp(pool: BenchPool): void {
    this.cp.kubectl(["apply", "-f", join(repoRoot, "crds")]);
    this.cp.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=30s"]);
    for (const ns of [this.poolNs, this.svcNs]) this.cp.ensureNamespace(ns);
    this.cp.kubectl(
      ["apply", "-f", "-"],
      [
        "apiVersion: metallb.io/v1beta1",
        "kind: IPAddressPool",
        `metadata: {name: ${pool.name}, namespace: ${this.poolNs}}`,
        `spec: {addresses: ${JSON.stringify(pool.addresses)}, serviceAllocation: {namespaces: [${this.svcNs}]}}`,
        "---",
        "apiVersion: metallb.io/v1beta1",
        "kind: L2Advertisement",
        `metadata: {name: ${pool.name}, namespace: ${this.poolNs}}`,
        `spec: {ipAddressPools: [${pool.name}]}`,
        "",
      ].join("\n"),
    );
  }

  /**
   * Starts the controller and waits for /readyz (polled every 10 ms). `entry`: the sources under
   * tsx (default) or the build, `dist/controller/main.js`, on plain node as the lab runs it.
   */
  async startController(
    timeoutMs = 120_000,
    entry = "controller/main.ts",
  ): Promise<RunningController> {
    const spawnedAt = performance.now();
    const profileDir = process.env.BENCH_CPU_PROF;
    // BENCH_CPU_PROF=<dir>: the controller writes a V8 CPU profile there when it stops.
    const wrap = profileDir
      ? ["sh", "-c", `exec "$0" --cpu-prof --cpu-prof-dir=${profileDir} "$@"`]
      : [];
    const args = [
      ...["--kubeconfig", join(labDir, "kubeconfig"), "--namespace", this.poolNs],
      ...["--lb-class", this.lbClass, "--metrics-host", "127.0.0.1"],
      ...["--metrics-port", String(this.port)],
    ];
    const proc = startTs(`controller-${this.poolNs}`, entry, args, wrap);
    const deadline = spawnedAt + timeoutMs;
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${this.port}/readyz`).catch(() => undefined);
      if (res?.status === 200)
        return { ...proc, port: this.port, spawnedAt, readyAt: performance.now() };
      if (performance.now() > deadline) {
        await proc.stop();
        throw new Error(`controller not ready within ${timeoutMs} ms (log: ${proc.logPath})`);
      }
      await sleep(10);
    }
  }

  /** `ironlb_controller_reconciles_total{outcome="ok"}` of the controller on our port. */
  async reconciles(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
    return Number(
      /^ironlb_controller_reconciles_total\{outcome="ok"\} (\d+)/m.exec(text)?.[1] ?? 0,
    );
  }

  /** A LoadBalancer Service of our class (no NodePorts: 5,000 would not fit the port range). */
  serviceBody(name: string, family: "IPv4" | "IPv6"): V1Service {
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name },
      spec: {
        type: "LoadBalancer",
        loadBalancerClass: this.lbClass,
        allocateLoadBalancerNodePorts: false,
        ipFamilies: [family],
        ipFamilyPolicy: "SingleStack",
        selector: { app: name },
        ports: [{ port: 8090, targetPort: 80 }],
      },
    };
  }

  async createService(name: string, family: "IPv4" | "IPv6"): Promise<void> {
    const path = `/api/v1/namespaces/${this.svcNs}/services`;
    await this.http.request("POST", path, this.serviceBody(name, family));
  }

  /** The ingress IPs of every Service in our namespace, from a paged list. */
  async listIps(): Promise<Map<string, string>> {
    const ips = new Map<string, string>();
    let token = "";
    do {
      const query = `limit=500${token ? `&continue=${encodeURIComponent(token)}` : ""}`;
      const page = await this.http.request<RawServiceList>(
        "GET",
        `/api/v1/namespaces/${this.svcNs}/services?${query}`,
      );
      for (const s of page.items) {
        const ingress = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "");
        ips.set(s.metadata?.name ?? "", ingress.join(","));
      }
      token = page.metadata?.continue ?? "";
    } while (token);
    return ips;
  }

  /** Deletes both namespaces and waits until the namespace controller removed them. */
  async tearDown(timeoutMs = 600_000): Promise<number> {
    const start = performance.now();
    for (const ns of [this.svcNs, this.poolNs]) {
      await this.http.request("DELETE", `/api/v1/namespaces/${ns}`).catch(ignoreNotFound);
    }
    for (const ns of [this.svcNs, this.poolNs]) {
      while (await this.exists(`/api/v1/namespaces/${ns}`)) {
        if (performance.now() - start > timeoutMs) {
          progress(`namespace ${ns} still terminating after ${timeoutMs / 1000} s; leaving it`);
          break;
        }
        await sleep(1_000);
      }
    }
    return (performance.now() - start) / 1000;
  }

  private async exists(path: string): Promise<boolean> {
    try {
      await this.http.request("GET", path);
      return true;
    } catch (e) {
      if (e instanceof KubeHttpError && e.status === 404) return false;
      throw e;
    }
  }
}

/** A Service list as JSON on the wire (`continue`, which client-node's model calls `_continue`). */
interface RawServiceList {
  readonly items: readonly V1Service[];
  readonly metadata?: { readonly continue?: string };
}

const ignoreNotFound = (e: unknown): void => {
  if (!(e instanceof KubeHttpError && e.status === 404)) throw e;
};

/** PIDs of the lab's own processes (apiserver, etcd, ...) from `.lab/pids`, for CPU accounting. */
export function labPids(): Map<string, number> {
  const pids = new Map<string, number>();
  let files: string[] = [];
  try {
    files = readdirSync(join(labDir, "pids"));
  } catch {
    return pids;
  }
  for (const f of files.filter((x) => x.endsWith(".pid")).sort()) {
    const pid = Number(readFileSync(join(labDir, "pids", f), "utf8").trim());
    if (pid > 0) pids.set(f.slice(0, -4), pid);
  }
  return pids;
}

/**
 * Other IronLB controllers on this machine (`controller/main.ts|js` in their command line),
 * as "pid: command line", for the record: every IronLB controller watches all Services, so
 * they share the apiserver's work, and one that touched Services of another class (fixed in
 * 888df38) would clear this benchmark's IPs.
 */
export function otherIronlbControllers(exclude: readonly number[] = []): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    const pid = Number(entry);
    if (pid === process.pid || exclude.includes(pid)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      continue; // gone meanwhile
    }
    if (/controller\/main\.(ts|js)\b/.test(cmdline)) found.push(`${pid}: ${cmdline}`);
  }
  return found;
}
