/**
 * The controller against the running lab apiserver: Service create -> IP latency (one at a time,
 * then a burst of 1,000 with 50 creates in flight), 5,000 Services all assigned, the
 * controller's RSS, and a restart with 5,000 assigned Services (time to /readyz, IPs moved).
 *
 * Latency is client side: from just before the create request is sent to the watch event that
 * first shows `status.loadBalancer.ingress` (the watch on the Service namespace is open before
 * the first create). The lab is shared: this run uses its own namespaces and loadBalancerClass,
 * never restarts the lab, and deletes its namespaces at the end. The lab's Service CIDR
 * (198.18.128.0/20, 4,096 addresses) cannot hold 5,000 more IPv4 ClusterIPs, so the first
 * 200 + 1,000 Services are IPv4 (pool 198.18.192.0/19) and the rest IPv6 single-stack
 * (2001:db8:b0::/112); no NodePorts are allocated. Set BENCH_QUICK=1 for a small smoke run.
 */
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { rootSkipReason, useControlPlane } from "../test/support/lab.js";
import {
  ControllerLab,
  labPids,
  otherIronlbControllers,
  type RunningController,
} from "./support/controller-lab.js";
import { KubeHttp, runBounded } from "./support/kube-http.js";
import { CpuMeter, memoryMiB, tsxBaselineMiB } from "./support/proc.js";
import { emitResult, progress } from "./support/result.js";
import { ServiceWatch } from "./support/service-watch.js";
import { distribution, type Distribution } from "./support/stats.js";
import {
  report,
  type Measured,
  type PhaseResult,
  type WriteProbe,
} from "./support/controller-report.js";

const QUICK = process.env.BENCH_QUICK === "1";
/** Enough that the p99 is not simply the slowest sample (with 50 it was the maximum). */
const ISOLATED = QUICK ? 10 : 200;
const BURST = QUICK ? 100 : 1_000;
const TOTAL = QUICK ? 300 : 5_000;
const CONCURRENCY = 50;
const PROBE_ROUNDS = QUICK ? 10 : 40;
const POOL = { name: "bench", addresses: ["198.18.192.0/19", "2001:db8:b0::/112"] } as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Run {
  readonly lab: ControllerLab;
  readonly watch: ServiceWatch;
  controller: RunningController;
  readonly sentAt: Map<string, number>;
  readonly returnedAt: Map<string, number>;
}

async function until(what: () => string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastReport = performance.now();
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    if (performance.now() - lastReport > 5_000) {
      progress(`waiting for ${what()}`);
      lastReport = performance.now();
    }
    await sleep(2);
  }
}

async function create(run: Run, name: string, family: "IPv4" | "IPv6"): Promise<void> {
  run.sentAt.set(name, performance.now());
  await run.lab.createService(name, family);
  run.returnedAt.set(name, performance.now());
}

function phaseResult(run: Run, phase: string, names: readonly string[]): PhaseResult {
  const of = (f: (n: string) => number | undefined): Distribution =>
    distribution(names.flatMap((n) => (f(n) === undefined ? [] : [f(n) ?? 0])));
  const t = (n: string) => run.watch.services.get(n);
  const diff = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : a - b);
  const firstSent = Math.min(...names.map((n) => run.sentAt.get(n) ?? Infinity));
  const ingress = names.map((n) => t(n)?.ingressAt ?? NaN).sort((a, b) => a - b);
  const gaps = ingress.slice(1).map((x, i) => x - (ingress[i] ?? x));
  return {
    phase,
    services: names.length,
    sendToIp: of((n) => diff(t(n)?.ingressAt, run.sentAt.get(n))),
    returnToIp: of((n) => diff(t(n)?.ingressAt, run.returnedAt.get(n))),
    createRtt: of((n) => diff(run.returnedAt.get(n), run.sentAt.get(n))),
    sendToWatchAdded: of((n) => diff(t(n)?.addedAt, run.sentAt.get(n))),
    addedToIp: of((n) => diff(t(n)?.ingressAt, t(n)?.addedAt)),
    ipToAnnotation: of((n) => diff(t(n)?.annotatedAt, t(n)?.ingressAt)),
    ipGap: distribution(gaps),
    createsSeconds: (Math.max(...names.map((n) => run.returnedAt.get(n) ?? 0)) - firstSent) / 1000,
    allAssignedSeconds: ((ingress.at(-1) ?? NaN) - firstSent) / 1000,
  };
}

/** Services created one at a time, each only after the previous one got its IP. */
async function isolated(run: Run, names: readonly string[]): Promise<PhaseResult> {
  for (const name of names) {
    await create(run, name, "IPv4");
    await until(
      () => `an IP for ${name}`,
      () => run.watch.services.get(name)?.ingressAt !== undefined,
      30_000,
    );
    await sleep(20);
  }
  return phaseResult(run, "one at a time", names);
}

async function burst(run: Run, phase: string, names: readonly string[], family: "IPv4" | "IPv6") {
  const lab = [...labPids()].map(([n, pid]) => [`lab: ${n}`, pid] as const);
  const meter = new CpuMeter(new Map([["controller under test", run.controller.pid], ...lab]));
  meter.start();
  await runBounded(names.length, CONCURRENCY, (i) => create(run, names[i] ?? "", family));
  progress(`${phase}: ${names.length} creates returned; waiting for IPs`);
  await until(
    () => `${phase}: IPs (${run.watch.countAssigned(names)}/${names.length})`,
    () => run.watch.countAssigned(names) === names.length,
    30 * 60_000,
  );
  return { ...phaseResult(run, phase, names), cpu: meter.stop() };
}

/**
 * The controller's three writes for a new Service (status merge patch, annotation merge patch,
 * Event create), sequentially on an idle lab: through @kubernetes/client-node exactly as
 * K8sClusterWriter calls it, and through one keep-alive connection. The probe Service has
 * another class and the keys are not IronLB's, so no controller reacts to these writes.
 */
async function probeWrites(run: Run, http: KubeHttp): Promise<WriteProbe> {
  const { lab } = run;
  const name = "write-probe";
  const base = lab.serviceBody(name, "IPv4");
  const body = { ...base, spec: { ...base.spec, loadBalancerClass: `${lab.lbClass}-probe` } };
  await http.request("POST", `/api/v1/namespaces/${lab.svcNs}/services`, body);
  const core = lab.cp.core;
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  const ref = { namespace: lab.svcNs, name };
  const path = `/api/v1/namespaces/${lab.svcNs}/services/${name}`;
  const timings: Record<string, number[]> = {};
  const time = async (key: string, op: () => Promise<unknown>): Promise<void> => {
    const start = performance.now();
    await op();
    (timings[key] ??= []).push(performance.now() - start);
  };
  for (let i = 0; i < PROBE_ROUNDS; i++) {
    const w = probeBodies(ref, i);
    await time("status patch|client-node", () =>
      core.patchNamespacedServiceStatus({ ...ref, body: w.status }, mergePatch),
    );
    await time("annotation patch|client-node", () =>
      core.patchNamespacedService({ ...ref, body: w.annotation }, mergePatch),
    );
    await time("event create|client-node", () =>
      core.createNamespacedEvent({ namespace: lab.svcNs, body: w.event }),
    );
    const merge = "application/merge-patch+json";
    await time("status patch|keep-alive", () =>
      http.request("PATCH", `${path}/status`, w.status, merge),
    );
    await time("annotation patch|keep-alive", () =>
      http.request("PATCH", path, w.annotation, merge),
    );
    await time("event create|keep-alive", () =>
      http.request("POST", `/api/v1/namespaces/${lab.svcNs}/events`, w.event),
    );
  }
  await http.request("DELETE", path);
  return Object.entries(timings).map(([key, ms]) => {
    const [write = "", client = ""] = key.split("|");
    return { write, client, ms: distribution(ms) };
  });
}

/** Bodies shaped like K8sClusterWriter's, under keys no controller looks at. */
function probeBodies(ref: { namespace: string; name: string }, i: number) {
  const now = new Date();
  const condition = {
    type: "bench.ironlb.io/Probe",
    status: "True",
    reason: "Allocated",
    message: `probe ${i}`,
    observedGeneration: 1,
    lastTransitionTime: now,
  };
  const ingress = [{ ip: `198.18.223.${i % 250}`, ipMode: "VIP" }];
  return {
    status: { status: { loadBalancer: { ingress }, conditions: [condition] } },
    annotation: { metadata: { annotations: { "bench.ironlb.io/probe": `p${i}` } } },
    event: {
      metadata: { generateName: `${ref.name}.`, namespace: ref.namespace },
      involvedObject: { kind: "Service", apiVersion: "v1", ...ref },
      type: "Normal",
      reason: "Probe",
      message: `probe ${i}`,
      source: { component: "ironlb-bench" },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  };
}

async function restart(run: Run): Promise<Measured["restart"]> {
  const before = await run.lab.listIps();
  const modifiedBefore = run.watch.totalModified();
  const stopStart = performance.now();
  await run.controller.stop();
  const stopSeconds = (performance.now() - stopStart) / 1000;
  run.controller = await run.lab.startController();
  const { spawnedAt, readyAt } = run.controller;
  const deadline = performance.now() + 300_000;
  while ((await run.lab.reconciles()) < before.size && performance.now() < deadline)
    await sleep(20);
  const firstPassAt = performance.now();
  await sleep(5_000); // anything the restarted controller still writes shows up on the watch
  const after = await run.lab.listIps();
  const moved = [...before].filter(([n, ips]) => after.get(n) !== ips).map(([n]) => n);
  return {
    services: before.size,
    stopSeconds,
    toReadySeconds: (readyAt - spawnedAt) / 1000,
    toFirstPassSeconds: (firstPassAt - spawnedAt) / 1000,
    moved: moved.length,
    movedExamples: moved.slice(0, 5),
    serviceWrites: run.watch.totalModified() - modifiedBefore,
    rssMiB: memoryMiB(run.controller.pid),
  };
}

async function measureAll(run: Run, http: KubeHttp): Promise<Measured> {
  const names = (prefix: string, from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`);
  const idleRss = memoryMiB(run.controller.pid);
  const tsxBaseline = await tsxBaselineMiB();
  progress(`one at a time: ${ISOLATED} Services`);
  const one = await isolated(run, names("one", 0, ISOLATED));
  progress(`burst: ${BURST} Services, ${CONCURRENCY} creates in flight`);
  const first = await burst(run, "burst", names("burst", 0, BURST), "IPv4");
  const afterBurstRss = memoryMiB(run.controller.pid);
  progress("write probe: the controller's three writes, sequentially");
  await sleep(3_000);
  const writes = await probeWrites(run, http);
  const rest = TOTAL - ISOLATED - BURST;
  progress(`scale: ${rest} more Services (IPv6), ${TOTAL} in all`);
  const second = await burst(
    run,
    `to ${TOTAL.toLocaleString("en-US")}`,
    names("scale", 0, rest),
    "IPv6",
  );
  await sleep(2_000);
  const fullRss = memoryMiB(run.controller.pid);
  const ips = await run.lab.listIps();
  const assigned = [...ips.values()].filter((v) => v !== "");
  progress(`restart with ${ips.size} Services`);
  const restarted = await restart(run);
  return {
    quick: QUICK,
    concurrency: CONCURRENCY,
    pool: POOL.addresses,
    phases: [one, first, second],
    writes,
    rss: { tsxBaseline, idle: idleRss, afterBurst: afterBurstRss, full: fullRss },
    total: { services: ips.size, assigned: assigned.length, distinct: new Set(assigned).size },
    restart: restarted,
    interference: {
      ingressRemoved: [...run.watch.ingressRemoved],
      watchReopened: run.watch.reopened,
    },
  };
}

async function main(): Promise<void> {
  const skip = rootSkipReason();
  if (skip) return emitResult({ name: "controller-latency", skipped: skip });
  const othersAtStart = otherIronlbControllers();
  const cp = useControlPlane();
  const http = await KubeHttp.create(cp.kc, CONCURRENCY);
  const lab = new ControllerLab(cp, http);
  const watch = new ServiceWatch(cp.kc, lab.svcNs);
  let run: Run | undefined;
  const cleanUp = async (): Promise<number> => {
    watch.stop();
    await run?.controller.stop();
    progress("deleting the benchmark namespaces");
    const seconds = await lab.tearDown();
    http.close();
    return seconds;
  };
  const onSignal = (): void => void cleanUp().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    lab.setUp(POOL);
    await watch.start();
    const controller = await lab.startController();
    run = { lab, watch, controller, sentAt: new Map(), returnedAt: new Map() };
    const measured = await measureAll(run, http);
    const others = [...othersAtStart, ...otherIronlbControllers([run.controller.pid])];
    const teardownSeconds = await cleanUp();
    emitResult(report({ ...measured, otherControllers: [...new Set(others)], teardownSeconds }));
  } catch (e) {
    await cleanUp().catch(() => undefined);
    throw e;
  }
}

await main();
