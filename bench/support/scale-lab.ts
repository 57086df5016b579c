/**
 * The scale benchmark's corner of the running lab: its own Service namespace with one Deployment
 * (a pod per node) that every benchmark Service selects, its own pool and L2Advertisement in the
 * speakers' namespace, served by the lab's own IronLB controller and three speakers. It reads
 * their /metrics inside the lab's namespaces and restarts the lab's controller the way a
 * Deployment rollout would (`test/lab/ironlb.sh`); the control plane is never touched.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { V1Service } from "@kubernetes/client-node";
import { deploymentYaml } from "../../test/support/e2e.js";
import { repoRoot, uniqueName, type ControlPlane } from "../../test/support/lab.js";
import { isRunning } from "./proc.js";
import { labPids } from "./controller-lab.js";
import { type KubeHttp, KubeHttpError, runBounded } from "./kube-http.js";
import { progress } from "./result.js";

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const SPEAKER_NODES = ["node1", "node2", "node3"] as const;
const SPEAKER_NS = "metallb-system";
/** kube-proxy skips Services carrying this label (any value): their rules are not IronLB's cost. */
const PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";

export interface ScalePool {
  readonly name: string;
  readonly addresses: readonly string[];
}

/** GET http://127.0.0.1:7472<path> inside a lab namespace (IronLB's metrics port). */
async function inNetns(ns: string, path: string): Promise<string | undefined> {
  const args = ["netns", "exec", ns, "curl", "-fsS", "--max-time", "5"];
  return run("ip", [...args, `http://127.0.0.1:7472${path}`], { maxBuffer: 64 << 20 }).then(
    (r) => r.stdout,
    () => undefined,
  );
}

/** PIDs of the lab's IronLB processes (`controller`, `speaker-node1`, ...) from `.lab/pids`. */
export function ironlbPids(): Map<string, number> {
  const ours = (n: string) => n === "controller" || n.startsWith("speaker-");
  return new Map([...labPids()].filter(([n]) => ours(n)));
}

export function speakerPid(node: string): number {
  const pid = ironlbPids().get(`speaker-${node}`);
  if (pid === undefined || !isRunning(pid)) {
    throw new Error(`speaker-${node} is not running (make lab-up starts it)`);
  }
  return pid;
}

export class ScaleLab {
  readonly svcNs = uniqueName("bench-scale");

  constructor(
    readonly cp: ControlPlane,
    readonly http: KubeHttp,
    readonly pool: ScalePool,
  ) {}

  /** The namespace, its Deployment (ready), the pool and its L2Advertisement. */
  setUp(): void {
    const { cp, pool } = this;
    cp.ensureNamespace(this.svcNs);
    cp.kubectl(["apply", "-f", "-"], deploymentYaml(this.svcNs, "scale-web", 3));
    cp.kubectl(["-n", this.svcNs, "rollout", "status", "deployment/scale-web", "--timeout=120s"]);
    cp.kubectl(
      ["apply", "-f", "-"],
      [
        "apiVersion: metallb.io/v1beta1",
        "kind: IPAddressPool",
        `metadata: {name: ${pool.name}, namespace: ${SPEAKER_NS}}`,
        `spec: {addresses: ${JSON.stringify(pool.addresses)}, serviceAllocation: {namespaces: [${this.svcNs}]}}`,
        "---",
        "apiVersion: metallb.io/v1beta1",
        "kind: L2Advertisement",
        `metadata: {name: ${pool.name}, namespace: ${SPEAKER_NS}}`,
        `spec: {ipAddressPools: [${pool.name}]}`,
        "",
      ].join("\n"),
    );
  }

  /** A LoadBalancer Service of the lab controller's class, from our pool, no NodePorts. */
  serviceBody(name: string, family: "IPv4" | "IPv6"): V1Service {
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name,
        labels: { [PROXY_NAME_LABEL]: "ironlb-bench" },
        annotations: { "metallb.io/address-pool": this.pool.name },
      },
      spec: {
        type: "LoadBalancer",
        allocateLoadBalancerNodePorts: false,
        ipFamilies: [family],
        ipFamilyPolicy: "SingleStack",
        selector: { app: "scale-web" },
        ports: [{ port: 8090, targetPort: 80 }],
      },
    };
  }

  async createService(name: string, family: "IPv4" | "IPv6"): Promise<void> {
    const path = `/api/v1/namespaces/${this.svcNs}/services`;
    await this.http.request("POST", path, this.serviceBody(name, family));
  }

  /** Ingress IPs per Service name, from a paged list. */
  async listIps(): Promise<Map<string, string>> {
    const ips = new Map<string, string>();
    await this.eachPage<V1Service>(`/api/v1/namespaces/${this.svcNs}/services`, (s) => {
      const ingress = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "");
      ips.set(s.metadata?.name ?? "", ingress.join(","));
    });
    return ips;
  }

  /** ServiceL2Status records the speakers wrote for our Services. */
  async statusRecords(): Promise<number> {
    const selector = encodeURIComponent(`metallb.io/service-namespace=${this.svcNs}`);
    let n = 0;
    await this.eachPage(
      `/apis/metallb.io/v1beta1/namespaces/${SPEAKER_NS}/servicel2statuses?labelSelector=${selector}`,
      () => n++,
    );
    return n;
  }

  /** Our Services each speaker's plan announces (`metallb_speaker_announced`), per node. */
  async announced(): Promise<Map<string, number>> {
    const needle = `service="${this.svcNs}/`;
    const counts = await Promise.all(
      SPEAKER_NODES.map(async (node) => {
        const text = (await inNetns(`ironlb-${node}`, "/metrics")) ?? "";
        const lines = text.split("\n").filter((l) => l.startsWith("metallb_speaker_announced{"));
        return [node, lines.filter((l) => l.includes(needle)).length] as const;
      }),
    );
    return new Map(counts);
  }

  /** `ironlb_controller_reconciles_total{outcome="ok"}` of the lab's controller. */
  async reconciles(): Promise<number> {
    const text = (await inNetns("ironlb-cp", "/metrics")) ?? "";
    return Number(
      /^ironlb_controller_reconciles_total\{outcome="ok"\} (\d+)/m.exec(text)?.[1] ?? 0,
    );
  }

  /**
   * Stops the lab's controller (SIGTERM) and starts it again as `make lab-up` does; the time to
   * /readyz is polled every 20 ms from the moment the restart is issued.
   */
  async restartController(): Promise<{ stopSeconds: number; toReadySeconds: number }> {
    const ironlb = (...args: string[]) =>
      run("bash", [join(repoRoot, "test/lab/ironlb.sh"), ...args]);
    const pid = ironlbPids().get("controller");
    const stopAt = performance.now();
    await ironlb("kill", "controller", "TERM");
    while (pid !== undefined && isRunning(pid)) await sleep(10);
    const startAt = performance.now();
    const restarted = ironlb("restart", "controller");
    while ((await inNetns("ironlb-cp", "/readyz")) === undefined) await sleep(20);
    const readyAt = performance.now();
    await restarted;
    return { stopSeconds: (startAt - stopAt) / 1000, toReadySeconds: (readyAt - startAt) / 1000 };
  }

  /**
   * Deletes the Services (50 at a time: the namespace controller alone took minutes for 5,000),
   * then the namespace, waits for it to go and for the speakers to remove their status records,
   * then deletes the pool and advertisement. Seconds taken, and records left over.
   */
  async tearDown(timeoutMs = 900_000): Promise<{ seconds: number; leftRecords: number }> {
    const start = performance.now();
    const late = () => performance.now() - start > timeoutMs;
    const names = [...(await this.listIps().catch(() => new Map<string, string>())).keys()];
    const path = `/api/v1/namespaces/${this.svcNs}/services`;
    await runBounded(names.length, 50, (i) =>
      this.http
        .request("DELETE", `${path}/${names[i] ?? ""}`)
        .then(() => undefined, ignoreNotFound),
    );
    await this.http.request("DELETE", `/api/v1/namespaces/${this.svcNs}`).catch(ignoreNotFound);
    while ((await this.exists(`/api/v1/namespaces/${this.svcNs}`)) && !late()) await sleep(1_000);
    let left = await this.statusRecords();
    while (left > 0 && !late()) {
      await sleep(1_000);
      left = await this.statusRecords();
    }
    if (left > 0) progress(`${left} ServiceL2Status records still there; leaving them`);
    this.cp.kubectl([
      ...["delete", "-n", SPEAKER_NS, "--ignore-not-found"],
      ...[`ipaddresspool/${this.pool.name}`, `l2advertisement/${this.pool.name}`],
    ]);
    return { seconds: (performance.now() - start) / 1000, leftRecords: left };
  }

  private async eachPage<T>(path: string, each: (item: T) => void): Promise<void> {
    let token = "";
    const sep = path.includes("?") ? "&" : "?";
    do {
      const query = `limit=500${token ? `&continue=${encodeURIComponent(token)}` : ""}`;
      const page = await this.http.request<{ items: T[]; metadata?: { continue?: string } }>(
        "GET",
        `${path}${sep}${query}`,
      );
      page.items.forEach(each);
      token = page.metadata?.continue ?? "";
    } while (token);
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

const ignoreNotFound = (e: unknown): void => {
  if (!(e instanceof KubeHttpError && e.status === 404)) throw e;
};
