/**
 * Scale on the whole lab: 5,000 LoadBalancer Services (half IPv4 from a /17, half IPv6 from a
 * /64) assigned by the lab's own IronLB controller and announced by its three speakers. Measures
 * the time until all are assigned and announced, each speaker's RSS and CPU (idle before, while
 * the Services arrive, and in a quiet period with all of them announced), then restarts the lab's
 * controller: time to /readyz and IPs moved (target 0).
 *
 * Every Service selects the same Deployment (a pod per node), so each has ready endpoints and is
 * really announced (ARP/NDP, ServiceL2Status, nodeAssigned). kube-proxy is told to skip them
 * (`service.kubernetes.io/service-proxy-name`): its iptables re-syncs are not IronLB's cost and
 * would take the 2 cores the measurement needs. No NodePorts (5,000 would not fit the range);
 * the lab's Service CIDR (4,096 IPv4 ClusterIPs) is why half are IPv6. Address choice: see the
 * POOL comment. Set BENCH_QUICK=1 for a small smoke run.
 */
import { rootSkipReason } from "../test/support/lab.js";
import { useLab } from "../test/support/e2e.js";
import { labPids, otherIronlbControllers } from "./support/controller-lab.js";
import { KubeHttp, runBounded } from "./support/kube-http.js";
import { CpuMeter, memoryMiB } from "./support/proc.js";
import { emitResult, progress } from "./support/result.js";
import { ironlbPids, ScaleLab, SPEAKER_NODES, speakerPid } from "./support/scale-lab.js";
import { report, type Memory, type ScaleMeasured } from "./support/scale-report.js";
import { ServiceWatch } from "./support/service-watch.js";

const QUICK = process.env.BENCH_QUICK === "1";
const TOTAL = QUICK ? 300 : 5_000;
const QUIET_S = QUICK ? 5 : 30;
const CONCURRENCY = 50;
/**
 * A /16 inside the lab's 198.18.0.0/15 can only be one of its two halves, and both are taken:
 * 198.18.0.0/16 holds the L2 segment (nodes, control plane, client, the e2e pools) and the
 * Service CIDR, 198.19.0.0/16 is the cluster CIDR with the nodes' pod CIDRs 198.19.<n>.0/24.
 * 198.19.128.0/17 is the biggest block that overlaps no address in use: node numbers would have
 * to reach 128 for a pod CIDR to land there, and kube-proxy matches its --cluster-cidr against
 * source addresses only (masquerading, local traffic), never against a LoadBalancer IP. Pool
 * size does not enter allocation cost (allocator benchmark), so 32,768 addresses stand in for
 * 65,536. IPv6: a /64 no lab network uses.
 */
const POOL = { name: "bench-scale", addresses: ["198.19.128.0/17", "2001:db8:b1::/64"] } as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const speakerMemory = (): Record<string, Memory> =>
  Object.fromEntries(SPEAKER_NODES.map((n) => [n, memoryMiB(speakerPid(n))]));

/** CPU of the lab's processes (IronLB's named as in .lab/pids) over `run()`. */
async function metered<T>(run: () => Promise<T>) {
  const meter = new CpuMeter(labPids());
  meter.start();
  const value = await run();
  return { value, cpu: meter.stop() };
}

/** Polls `check` every 500 ms; false (and a line of progress) when `timeoutMs` runs out. */
async function poll(
  what: () => string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
) {
  const deadline = performance.now() + timeoutMs;
  let lastReport = performance.now();
  while (!(await check())) {
    if (performance.now() > deadline) {
      progress(`gave up waiting for ${what()}`);
      return false;
    }
    if (performance.now() - lastReport > 15_000) {
      progress(`waiting for ${what()}`);
      lastReport = performance.now();
    }
    await sleep(500);
  }
  return true;
}

/** Creates the Services (50 in flight) and waits until all are assigned and announced. */
async function assignAll(lab: ScaleLab, watch: ServiceWatch, names: readonly string[]) {
  const start = performance.now();
  const since = (): number => (performance.now() - start) / 1000;
  await runBounded(names.length, CONCURRENCY, (i) =>
    lab.createService(names[i] ?? "", i < names.length / 2 ? "IPv4" : "IPv6"),
  );
  const createsSeconds = since();
  progress(`${names.length} creates returned after ${createsSeconds.toFixed(1)} s`);
  let assigned = 0;
  await poll(
    () => `IPs (${assigned}/${names.length})`,
    () => (assigned = watch.countAssigned(names)) === names.length,
    30 * 60_000,
  );
  const ingress = names.map((n) => watch.services.get(n)?.ingressAt ?? NaN);
  const allAssignedSeconds = (Math.max(...ingress) - start) / 1000;
  let perNode = new Map<string, number>();
  const announcedAll = await poll(
    () => `every Service in a speaker's plan (${[...perNode.values()].join(" + ")})`,
    async () => {
      perNode = await lab.announced();
      return [...perNode.values()].reduce((a, b) => a + b, 0) >= names.length;
    },
    10 * 60_000,
  );
  return {
    createsSeconds,
    allAssignedSeconds,
    allAnnouncedSeconds: announcedAll ? since() : null,
    announcedPerNode: Object.fromEntries(perNode),
    start,
  };
}

async function restart(lab: ScaleLab, watch: ServiceWatch): Promise<ScaleMeasured["restart"]> {
  const before = await lab.listIps();
  const modifiedBefore = watch.totalModified();
  const { stopSeconds, toReadySeconds } = await lab.restartController();
  const restartedAt = performance.now();
  await poll(
    () => "the restarted controller's first pass",
    async () => {
      return (await lab.reconciles()) >= before.size;
    },
    300_000,
  );
  const firstPassSeconds = toReadySeconds + (performance.now() - restartedAt) / 1000;
  await sleep(5_000); // anything the restarted controller still writes shows up on the watch
  const after = await lab.listIps();
  const moved = [...before].filter(([n, ips]) => after.get(n) !== ips).map(([n]) => n);
  const announced = [...(await lab.announced()).values()].reduce((a, b) => a + b, 0);
  return {
    services: before.size,
    stopSeconds,
    toReadySeconds,
    firstPassSeconds,
    moved: moved.length,
    movedExamples: moved.slice(0, 5),
    serviceWrites: watch.totalModified() - modifiedBefore,
    announcedAfter: announced,
  };
}

async function measure(lab: ScaleLab, watch: ServiceWatch): Promise<ScaleMeasured> {
  const names = Array.from({ length: TOTAL }, (_, i) => `s-${i}`);
  progress(`idle: ${QUIET_S} s before any Service`);
  const idleRss = speakerMemory();
  const idle = await metered(() => sleep(QUIET_S * 1000));
  progress(`creating ${TOTAL} Services, ${CONCURRENCY} in flight`);
  const assign = await metered(() => assignAll(lab, watch, names));
  const assignedRss = speakerMemory();
  progress("waiting for the speakers' ServiceL2Status records");
  let records = 0;
  const recorded = await poll(
    () => `status records (${records}/${TOTAL})`,
    async () => (records = await lab.statusRecords()) >= TOTAL,
    10 * 60_000,
  );
  const statusSeconds = recorded ? (performance.now() - assign.value.start) / 1000 : null;
  await sleep(6_000); // the last gratuitous announcements (every 1.1 s for 5 s)
  progress(`quiet: ${QUIET_S} s with ${TOTAL} Services announced`);
  const quiet = await metered(() => sleep(QUIET_S * 1000));
  const quietRss = speakerMemory();
  const ips = await lab.listIps();
  const assigned = [...ips.values()].filter((v) => v !== "");
  progress(`restarting the lab's controller with ${ips.size} Services`);
  const restarted = await restart(lab, watch);
  return {
    quick: QUICK,
    pool: POOL.addresses,
    concurrency: CONCURRENCY,
    quietSeconds: QUIET_S,
    total: { services: ips.size, assigned: assigned.length, distinct: new Set(assigned).size },
    idle: { rss: idleRss, cpu: idle.cpu },
    assign: { ...assign.value, cpu: assign.cpu, rss: assignedRss, statusSeconds, records },
    quiet: { rss: quietRss, cpu: quiet.cpu },
    restart: restarted,
    ingressRemoved: [...watch.ingressRemoved],
  };
}

async function main(): Promise<void> {
  const skip = rootSkipReason();
  if (skip) return emitResult({ name: "scale", skipped: skip });
  const cp = useLab();
  for (const n of SPEAKER_NODES) speakerPid(n); // all three running, or say so now
  const http = await KubeHttp.create(cp.kc, CONCURRENCY);
  const lab = new ScaleLab(cp, http, POOL);
  const watch = new ServiceWatch(cp.kc, lab.svcNs);
  const cleanUp = async () => {
    watch.stop();
    progress("deleting the benchmark namespace, pool and advertisement");
    const down = await lab.tearDown();
    http.close();
    return down;
  };
  const onSignal = (): void => void cleanUp().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    lab.setUp();
    await watch.start();
    const measured = await measure(lab, watch);
    const others = otherIronlbControllers([...ironlbPids().values()]);
    const teardown = await cleanUp();
    emitResult(report({ ...measured, teardown, otherControllers: others }));
  } catch (e) {
    await cleanUp().catch(() => undefined);
    throw e;
  }
}

await main();
