/**
 * Failover measurement: a loop of HTTP requests from the client namespace (./request-loop.ts)
 * while a fault hits the node announcing the IP. The gap is the longest stretch without a
 * successful response that covers the fault.
 */
import {
  announcingNode,
  apply,
  curlFromClient,
  deploymentYaml,
  labCommand,
  nodeMac,
  NODES,
  setNodeLink,
  urlOf,
  waitForIngress,
  waitReachable,
} from "./e2e.js";
import type { ControlPlane } from "./lab.js";
import { eventually } from "./processes.js";
import { watchNeighbour } from "./neighbour-watch.js";
import { gapAround, restoreTime, startRequestLoop } from "./request-loop.js";

export const FAULTS = ["speaker-sigkill", "link-down", "node-gone", "speaker-sigterm"] as const;
export type Fault = (typeof FAULTS)[number];

export interface GapResult {
  readonly fault: Fault;
  readonly owner: string;
  /** The node the client's neighbour table resolved the IP to after the fault. */
  readonly newOwner: string | undefined;
  /** Nodes whose speaker was running when the takeover was seen, the fault still in place. */
  readonly liveSpeakers: readonly string[];
  /** Longest time without a successful response around the fault, ms (a benchmark figure). */
  readonly gapMs: number;
  /** Requests answered after the fault. */
  readonly resumed: number;
  /** Requests answered after the client's neighbour table moved to the new owner. */
  readonly resumedAfterTakeover: number;
  /** From the fault to the end of the first successful request started after it, ms. */
  readonly restoreMs: number;
  /** From the fault until the client's neighbour entry showed another MAC, ms. */
  readonly neighbourMs: number;
}

/** What is wrong with a trial; empty when traffic resumed through a live node, not the owner. */
export function failoverProblems(r: GapResult): string[] {
  const problems: string[] = [];
  const to = r.newOwner ?? "no lab node";
  if (r.newOwner === undefined || !(NODES as readonly string[]).includes(r.newOwner))
    problems.push(`the client resolves the IP to ${to}, not a lab node`);
  else if (r.newOwner === r.owner) problems.push(`${r.owner}, the faulted node, still announces`);
  else if (!r.liveSpeakers.includes(r.newOwner))
    problems.push(`new owner ${to} has no running speaker (running: ${r.liveSpeakers.join(",")})`);
  if (r.resumedAfterTakeover < 3)
    problems.push(`${r.resumedAfterTakeover} answers through ${to} (3 wanted)`);
  if (!Number.isFinite(r.gapMs)) problems.push("no answer after the fault");
  return problems;
}

/** Injects the fault; throws when it could not be (the trial would measure nothing). */
export function inject(fault: Fault, owner: string): void {
  try {
    if (fault === "node-gone") labCommand(["kill", `speaker-${owner}`, "KILL"]);
    if (fault === "link-down" || fault === "node-gone") setNodeLink(owner, false);
    else labCommand(["kill", `speaker-${owner}`, fault === "speaker-sigkill" ? "KILL" : "TERM"]);
  } catch (e) {
    const said = String((e as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`could not inject ${fault} on ${owner}: ${said || String(e)}`, { cause: e });
  }
}

/** Nodes whose speaker process is running (`test/lab/ironlb.sh status`). */
export function runningSpeakers(): string[] {
  let out: string;
  try {
    out = labCommand(["status"]);
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? ""); // exit 3: something is stopped
  }
  return NODES.filter((n) => new RegExp(`^speaker-${n}\\s+running`, "m").test(out));
}

/** Undoes the fault and waits for the node's speaker to be ready again. */
export function repair(fault: Fault, owner: string): void {
  if (fault === "link-down" || fault === "node-gone") setNodeLink(owner, true);
  if (fault !== "link-down") labCommand(["restart", `speaker-${owner}`]);
}

/** The node whose speaker records itself as announcing the Service (its ServiceL2Status). */
export function recordedOwner(
  cp: ControlPlane,
  namespace: string,
  name: string,
): string | undefined {
  const selector = `metallb.io/service-name=${name},metallb.io/service-namespace=${namespace}`;
  const out = cp.kubectl([
    "get",
    "servicel2statuses",
    "-n",
    "metallb-system",
    "-l",
    selector,
    "-o",
    "jsonpath={.items[*].status.node}",
  ]);
  return out.trim().split(/\s+/).filter(Boolean)[0];
}

/**
 * The node announcing the target's IP, once the cluster (ServiceL2Status) and the client's
 * neighbour table agree on it.
 */
export async function settledOwner(target: FailoverTarget, timeoutMs = 15_000): Promise<string> {
  const { cp, namespace, service, ip, url } = target;
  let owner: string | undefined;
  await eventually(
    `one settled owner of ${ip}`,
    async () => {
      owner = recordedOwner(cp, namespace, service);
      await curlFromClient(url, 1);
      return owner !== undefined && announcingNode(ip) === owner;
    },
    timeoutMs,
  );
  if (!owner) throw new Error(`no node announces ${ip}`);
  return owner;
}

/**
 * Runs one trial against `ip` (already answering); the fault is repaired before returning. The
 * owner is taken from the cluster (ServiceL2Status) and must match the client's neighbour table,
 * so the fault always hits the node the traffic really goes through.
 */
export async function measureFailover(target: FailoverTarget, fault: Fault): Promise<GapResult> {
  const { ip, url } = target;
  const owner = await settledOwner(target);
  const ownerMac = nodeMac(owner);
  const loop = startRequestLoop(url);
  const neighbour = watchNeighbour(ip);
  try {
    await eventually(
      "requests flowing before the fault",
      () => loop.samples.filter((s) => s.ok).length >= 5,
      10_000,
    );
    const faultAt = Date.now();
    inject(fault, owner);
    // Traffic may keep flowing through the old owner's cached MAC (a dead speaker does not stop
    // the node forwarding), so also wait for the takeover to reach the client's neighbour table.
    let newOwner: string | undefined;
    const okSince = (t: number) => loop.samples.filter((s) => s.ok && s.at > t).length;
    await eventually(
      `takeover and traffic after ${fault} on ${owner}`,
      () => {
        newOwner = announcingNode(ip);
        return newOwner !== undefined && newOwner !== owner && okSince(faultAt) >= 5;
      },
      20_000,
    ).catch((e: unknown) => {
      const seen = `the client resolves ${ip} to ${newOwner ?? "no lab node"}`;
      const answers = `${okSince(faultAt)} answers since the fault`;
      throw new Error(`no failover within 20 s after ${fault} on ${owner}: ${seen}, ${answers}`, {
        cause: e,
      });
    });
    const takeoverAt = Date.now();
    const liveSpeakers = runningSpeakers();
    await eventually(`traffic through ${newOwner}`, () => okSince(takeoverAt) >= 3, 10_000).catch(
      (e: unknown) => {
        const n = okSince(takeoverAt);
        throw new Error(`${fault} on ${owner}: ${n} answers in 10 s after ${newOwner} took over`, {
          cause: e,
        });
      },
    );
    return {
      fault,
      owner,
      newOwner,
      liveSpeakers,
      gapMs: gapAround(loop.samples, faultAt),
      resumed: okSince(faultAt),
      resumedAfterTakeover: okSince(takeoverAt),
      restoreMs: restoreTime(loop.samples, faultAt),
      neighbourMs: (neighbour.firstMoveAfter(faultAt, ownerMac)?.at ?? Infinity) - faultAt,
    };
  } finally {
    neighbour.stop();
    loop.stop();
    repair(fault, owner);
  }
}

/** The target's own pool; `Local`: each node forwards to its own pod only (no cross-node traffic). */
export interface TargetPool {
  readonly pool: string;
  readonly addresses: string;
  readonly trafficPolicy?: "Cluster" | "Local";
}

export interface FailoverTarget {
  readonly cp: ControlPlane;
  readonly namespace: string;
  readonly service: string;
  readonly ip: string;
  readonly url: string;
  /** Removes the namespace, pool and advertisement it created. */
  cleanup(): void;
}

/**
 * A Service to fail over: its own pool (`addresses`) and L2Advertisement, a Deployment with one
 * pod per node (so whichever node announces forwards locally or across), answering already.
 */
export async function failoverTarget(
  cp: ControlPlane,
  namespace: string,
  { pool, addresses, trafficPolicy = "Cluster" }: TargetPool,
): Promise<FailoverTarget> {
  cp.ensureNamespace(namespace);
  apply(
    cp,
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: ${pool}, namespace: metallb-system}
spec: {addresses: [${addresses}], serviceAllocation: {namespaces: [${namespace}]}}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: ${pool}, namespace: metallb-system}
spec:
  ipAddressPools: [${pool}]
  # Lab nodes only: simulated members (bench/membership.bench.ts) have no Node object.
  nodeSelectors: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${NODES.join(", ")}]}]}]
`,
  );
  apply(cp, deploymentYaml(namespace, "fo", 3));
  apply(
    cp,
    `apiVersion: v1
kind: Service
metadata: {name: fo, namespace: ${namespace}, annotations: {metallb.io/address-pool: ${pool}}}
spec: {type: LoadBalancer, externalTrafficPolicy: ${trafficPolicy}, selector: {app: fo}, ports: [{port: 8090, targetPort: 80}]}
`,
  );
  const [ip = ""] = await waitForIngress(cp, namespace, "fo");
  const url = urlOf(ip, 8090);
  await waitReachable(url, 60_000);
  return {
    cp,
    namespace,
    service: "fo",
    ip,
    url,
    cleanup: () => {
      cp.kubectl(["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]);
      cp.kubectl([
        "delete",
        "-n",
        "metallb-system",
        `ipaddresspool/${pool}`,
        `l2advertisement/${pool}`,
        "--ignore-not-found",
      ]);
    },
  };
}
