/**
 * The controller's memory as the lab runs it: plain `node dist/controller/main.js` (no tsx),
 * against the running lab apiserver, in its own namespaces and loadBalancerClass. RSS idle, with
 * BENCH_SERVICES (default 5,000) Services assigned, and after they are deleted again, for
 * BENCH_ROUNDS rounds (default 3): the deleted Services' memory must come back (no growth from
 * round to round). First 1,050 Services IPv4, the rest IPv6 (the lab's Service CIDR holds 4,096
 * IPv4 ClusterIPs). BENCH_QUICK=1: 300 Services, 2 rounds.
 */
import { execFileSync } from "node:child_process";
import { repoRoot, rootSkipReason, useControlPlane } from "../test/support/lab.js";
import { NODE_ENV, NODE_FLAGS } from "../test/support/processes.js";
import { ControllerLab, type RunningController } from "./support/controller-lab.js";
import { KubeHttp, KubeHttpError, runBounded } from "./support/kube-http.js";
import { formatSplit, heapSplit } from "./support/heap-metrics.js";
import { memoryMiB } from "./support/proc.js";
import { emitResult, progress, type Figure } from "./support/result.js";

const QUICK = process.env.BENCH_QUICK === "1";
const TOTAL = QUICK ? 300 : Number(process.env.BENCH_SERVICES ?? 5_000);
const ROUNDS = QUICK ? 2 : Number(process.env.BENCH_ROUNDS ?? 3);
const IPV4 = Math.min(TOTAL, 1_050);
const CONCURRENCY = 50;
/** After the deletions: time for the watch events, the allocator's release and a V8 GC. */
const SETTLE_MS = 15_000;
const POOL = { name: "bench-mem", addresses: ["198.18.192.0/19", "2001:db8:b1::/112"] } as const;
const RSS_TARGET = 250;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const r1 = (x: number): number => Math.round(x * 10) / 10;

type Round = {
  readonly round: number;
  readonly createSeconds: number;
  readonly full: { rss: number; peak: number };
  readonly deleteSeconds: number;
  readonly after: { rss: number; peak: number };
  /** V8 heap used / committed / external (MiB) with the Services and after their deletion. */
  readonly heapFull: string;
  readonly heapAfter: string;
};

async function waitFor(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5_000); // a list of every Service: not too often on the shared apiserver
  }
}

/**
 * `call`, again after a pause when the loaded apiserver fails it (timeouts, 429, 5xx; the lab
 * is shared); `done` says which errors mean the work is done (409 on a create, 404 on a delete).
 */
async function persist(call: () => Promise<unknown>, done: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await call();
      return;
    } catch (e) {
      if (e instanceof KubeHttpError && e.status === done) return;
      if (attempt >= 6) throw e;
      await sleep(500 * attempt);
    }
  }
}

async function round(lab: ControllerLab, c: RunningController, n: number): Promise<Round> {
  const name = (i: number) => `mem-${n}-${i}`;
  const start = performance.now();
  progress(`round ${n}: creating ${TOTAL} Services`);
  await runBounded(TOTAL, CONCURRENCY, (i) =>
    persist(() => lab.createService(name(i), i < IPV4 ? "IPv4" : "IPv6"), 409),
  );
  await waitFor(
    `${TOTAL} Services assigned`,
    async () => [...(await lab.listIps()).values()].filter(Boolean).length === TOTAL,
    900_000,
  );
  const createSeconds = (performance.now() - start) / 1000;
  await sleep(2_000);
  const full = memoryMiB(c.pid);
  const heapFull = formatSplit(await heapSplit(c.port));
  progress(`round ${n}: RSS ${r1(full.rss)} MiB (heap ${heapFull}) with ${TOTAL}; deleting them`);
  const delStart = performance.now();
  const path = `/api/v1/namespaces/${lab.svcNs}/services`;
  await runBounded(TOTAL, CONCURRENCY, (i) =>
    persist(() => lab.http.request("DELETE", `${path}/${name(i)}`), 404),
  );
  await waitFor("the Services gone", async () => (await lab.listIps()).size === 0, 900_000);
  const deleteSeconds = (performance.now() - delStart) / 1000;
  await sleep(SETTLE_MS);
  const after = memoryMiB(c.pid);
  const heapAfter = formatSplit(await heapSplit(c.port));
  progress(`round ${n}: RSS ${r1(after.rss)} MiB (heap ${heapAfter}) after deleting them`);
  return { round: n, createSeconds, full, deleteSeconds, after, heapFull, heapAfter };
}

function report(
  idle: number,
  idleHeap: string,
  rounds: readonly Round[],
): Parameters<typeof emitResult>[0] {
  const maxFull = Math.max(...rounds.map((x) => x.full.rss));
  const lastAfter = rounds.at(-1)?.after.rss ?? Number.NaN;
  const growth = (lastAfter - idle) / idle;
  const figures: Figure[] = [
    { label: "idle RSS (MiB)", value: r1(idle) },
    {
      label: `RSS with ${TOTAL.toLocaleString("en-US")} (MiB)`,
      value: r1(maxFull),
      target: `<= ${RSS_TARGET}`,
      met: maxFull <= RSS_TARGET,
    },
    {
      label: "RSS after the last deletion vs idle",
      value: `${growth >= 0 ? "+" : ""}${Math.round(growth * 100)}%`,
      target: "<= +20%",
      met: growth <= 0.2,
    },
  ];
  const table = rounds.map(
    (x) =>
      `| ${x.round} | ${r1(x.createSeconds)} | ${r1(x.full.rss)} | ${r1(x.full.peak)} | ` +
      `${r1(x.deleteSeconds)} | ${r1(x.after.rss)} | ${x.heapFull} | ${x.heapAfter} |`,
  );
  const markdown = [
    `Plain \`MALLOC_ARENA_MAX=${NODE_ENV.MALLOC_ARENA_MAX} node ${NODE_FLAGS.join(" ")} dist/controller/main.js\` (as test/lab/ironlb.sh runs it), ${TOTAL} Services ` +
      `per round (${IPV4} IPv4, the rest IPv6), ${CONCURRENCY} creates in flight, ` +
      `${ROUNDS} rounds; RSS after deletion read ${SETTLE_MS / 1000} s after the last Service ` +
      `was gone. Idle RSS (ready, no Service): ${r1(idle)} MiB; V8 heap used / committed / ` +
      `external memory ${idleHeap} MiB (the controller's own nodejs_* metrics).${QUICK ? " QUICK run." : ""}`,
    "",
    "| round | create → all assigned (s) | RSS full (MiB) | peak RSS (MiB) | delete → gone (s) | RSS after (MiB) | heap used / total / external full (MiB) | heap after (MiB) |",
    "| ----- | ------------------------- | -------------- | -------------- | ----------------- | --------------- | --- | --- |",
    ...table,
  ].join("\n");
  return {
    name: "controller-memory",
    title: "Controller memory (plain node)",
    target: `ARCHITECTURE.md: controller RSS <= ${RSS_TARGET} MiB with 5,000 Services; back within 20% of idle after deleting them, no growth over rounds.`,
    figures,
    rows: [{ idle }, ...rounds],
    markdown,
  };
}

async function main(): Promise<void> {
  const skip = rootSkipReason();
  if (skip) return emitResult({ name: "controller-memory", skipped: skip });
  progress("building dist/ (npm run build)");
  execFileSync("npm", ["run", "-s", "build"], { cwd: repoRoot, stdio: "inherit" });
  const cp = useControlPlane();
  const http = await KubeHttp.create(cp.kc, CONCURRENCY);
  const lab = new ControllerLab(cp, http);
  let controller: RunningController | undefined;
  const cleanUp = async (): Promise<void> => {
    await controller?.stop();
    progress("deleting the benchmark namespaces");
    await lab.tearDown();
    http.close();
  };
  const onSignal = (): void => void cleanUp().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    lab.setUp(POOL);
    controller = await lab.startController(120_000, "dist/controller/main.js");
    await sleep(5_000);
    const idle = memoryMiB(controller.pid).rss;
    const idleHeap = formatSplit(await heapSplit(controller.port));
    progress(`idle RSS ${r1(idle)} MiB (heap used / total / external ${idleHeap} MiB)`);
    const rounds: Round[] = [];
    for (let n = 1; n <= ROUNDS; n++) rounds.push(await round(lab, controller, n));
    await cleanUp();
    emitResult(report(idle, idleHeap, rounds));
  } catch (e) {
    await cleanUp().catch(() => undefined);
    throw e;
  }
}

await main();
