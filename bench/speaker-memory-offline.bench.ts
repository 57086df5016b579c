/**
 * Speaker memory without a lab: one real speaker process, run as the lab and the chart run it
 * (`node --max-semi-space-size=1 --optimize-for-size --expose-gc dist/speaker/main.js`), against an in-memory apiserver
 * (support/fake-apiserver.ts) that holds 5,000 LoadBalancer Services with full-size objects
 * (managedFields, ports, selectors) and their EndpointSlices (3 endpoints each, one per node).
 * The speaker is the only live one, so it announces (plans, status records, nodeAssigned events)
 * every Service; `--exclude-interfaces '*'` keeps it off every interface (nothing is sent).
 * RSS idle, with all Services, after they are deleted; three rounds. No root needed.
 * Needs `dist/` (npm run build / make build). BENCH_QUICK=1: 500 Services.
 */
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeMembers, MEMBERS_KEY, MEMBERS_NAME } from "../lib/api/speaker-members.js";
import { NODE_ENV, NODE_FLAGS } from "../test/support/processes.js";
import { FakeApiServer } from "./support/fake-apiserver.js";
import { formatSplit, heapSplit } from "./support/heap-metrics.js";
import { memoryMiB } from "./support/proc.js";
import { emitResult, type Figure, progress } from "./support/result.js";

const QUICK = process.env.BENCH_QUICK === "1";
const TOTAL = QUICK ? 500 : 5_000;
const ROUNDS = 3;
const SETTLE_MS = QUICK ? 3_000 : 10_000;
const NS = "metallb-system";
const PORT = 17_481;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const f = (x: number): string => x.toFixed(1);
/** Where test/lab/with-lab.sh keeps the logs of a failed lab run (same variable). */
const FAILED_DIR = process.env.IRONLB_FAILED_LOGS ?? "/var/tmp/ironlb-failed-labs";

const managed = (manager: string) => ({
  manager,
  operation: "Update",
  apiVersion: "v1",
  fieldsType: "FieldsV1",
  fieldsV1: {
    "f:metadata": { "f:annotations": {} },
    "f:spec": { "f:ports": {}, "f:selector": {} },
  },
});

function service(i: number) {
  const ip = i % 2 === 0 ? `198.19.${128 + (i >> 8)}.${i & 255}` : `2001:db8:b2::${i.toString(16)}`;
  return {
    metadata: {
      ...{ name: `s-${i}`, namespace: "bench", uid: `uid-${i}` },
      labels: { app: "bench" },
      annotations: {
        "metallb.io/ip-allocated-from-pool": "bench",
        "metallb.io/address-pool": "bench",
      },
      managedFields: [managed("bench"), managed("ironlb-controller")],
    },
    spec: {
      ...{ type: "LoadBalancer", externalTrafficPolicy: "Cluster", clusterIP: "198.18.128.10" },
      ports: [{ port: 8090, protocol: "TCP", targetPort: 80 }],
      selector: { app: "scale-web" },
    },
    status: { loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] } },
  };
}

const slice = (i: number) => ({
  addressType: "IPv4",
  metadata: {
    ...{ name: `s-${i}-abcde`, namespace: "bench" },
    labels: {
      "kubernetes.io/service-name": `s-${i}`,
      "endpointslice.kubernetes.io/managed-by": "x",
    },
    managedFields: [managed("endpointslice-controller")],
  },
  endpoints: [1, 2, 3].map((n) => ({
    addresses: [`198.19.${n}.10`],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: `node${n}`,
    targetRef: { kind: "Pod", name: `web-${n}`, namespace: "bench", uid: `pod-${n}` },
  })),
  ports: [{ name: "", port: 80, protocol: "TCP" }],
});

async function announced(): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${PORT}/metrics`).then(
    (r) => r.text(),
    () => "",
  );
  return text.split("\n").filter((l) => l.startsWith("metallb_speaker_announced{")).length;
}

/** Waits for `check`, telling how far it got (`state`) once a minute and when it gives up. */
async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  state: () => string = () => "",
): Promise<void> {
  const start = performance.now();
  let told = start;
  while (!(await check())) {
    const now = performance.now();
    if (now - start > 600_000) throw new Error(`gave up waiting for ${what} (${state()})`);
    if (now - told > 60_000) {
      progress(`waiting for ${what} for ${f((now - start) / 1000)} s: ${state()}`);
      told = now;
    }
    await sleep(500);
  }
}

/** The Services and their slices, 500 at a time (a watch burst, as a busy cluster sends). */
async function addAll(api: FakeApiServer): Promise<void> {
  for (let i = 0; i < TOTAL; i++) {
    api.put("services", service(i));
    api.put("endpointslices", slice(i));
    if (i % 500 === 499) await sleep(50);
  }
}

/** With BENCH_NODE_FLAGS=--heapsnapshot-signal=SIGUSR2 and BENCH_SNAPSHOT=dir: a heap snapshot. */
async function snapshot(pid: number, cwd: string, round: number): Promise<void> {
  process.kill(pid, "SIGUSR2");
  await sleep(15_000);
  progress(
    `round ${round}: heap snapshot written in ${cwd} (kept in ${process.env.BENCH_SNAPSHOT})`,
  );
  spawn("sh", ["-c", `cp ${cwd}/*.heapsnapshot ${process.env.BENCH_SNAPSHOT}/ 2>/dev/null`]);
}

/** The speaker's log of a failed run, kept where failed lab runs keep theirs. */
function keepLog(dir: string): string {
  const to = join(FAILED_DIR, `speaker-memory-offline-${new Date().toISOString()}`);
  mkdirSync(to, { recursive: true });
  copyFileSync(join(dir, "speaker.log"), join(to, "speaker.log"));
  return to;
}

async function main(): Promise<void> {
  const entry = join(process.cwd(), "dist/speaker/main.js");
  if (!existsSync(entry))
    return emitResult({ name: "speaker-memory-offline", skipped: "no dist/: run make build" });
  const api = new FakeApiServer();
  const url = await api.start();
  const dir = mkdtempSync(join(tmpdir(), "ironlb-mem-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]\n` +
      "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
  );
  for (const n of [1, 2, 3]) api.put("nodes", { metadata: { name: `node${n}` } });
  api.put("ipaddresspools", {
    metadata: { name: "bench", namespace: NS },
    spec: { addresses: ["198.19.128.0/17"] },
  } as never);
  api.put("l2advertisements", { metadata: { name: "bench", namespace: NS } });
  // The membership the controller would publish: this speaker alone (lib/api/speaker-members.ts).
  api.put("configmaps", {
    metadata: { name: MEMBERS_NAME, namespace: NS },
    data: { [MEMBERS_KEY]: encodeMembers({ members: [{ node: "node1", macs: [] }], stopped: [] }) },
  } as never);
  const args = [...NODE_FLAGS, entry, "--node-name", "node1", "--kubeconfig", kubeconfig];
  const opts = [
    "--metrics-host",
    "127.0.0.1",
    "--metrics-port",
    String(PORT),
    "--exclude-interfaces",
    "*",
  ];
  const log = openSync(join(dir, "speaker.log"), "w");
  const child = spawn(process.execPath, [...args, ...opts], {
    stdio: ["ignore", log, log],
    cwd: dir,
    env: { ...process.env, ...NODE_ENV },
  });
  const pid = child.pid ?? 0;
  const rss = (): number => memoryMiB(pid).rss;
  try {
    await until("the speaker's /readyz", () =>
      fetch(`http://127.0.0.1:${PORT}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
    );
    await sleep(2 * SETTLE_MS);
    const idle = rss();
    const idleHeap = formatSplit(await heapSplit(PORT));
    progress(`idle ${f(idle)} MiB (heap used / total / external ${idleHeap} MiB)`);
    const rounds: {
      round: number;
      withAll: number;
      afterDelete: number;
      seconds: number;
      heapWithAll: string;
      heapAfter: string;
    }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const start = performance.now();
      await addAll(api);
      await until("every Service announced", async () => (await announced()) === TOTAL);
      await until(
        "every status record",
        () => api.keys("servicel2statuses").length === TOTAL,
        () => `${api.keys("servicel2statuses").length} of ${TOTAL} records`,
      );
      const seconds = (performance.now() - start) / 1000;
      await sleep(SETTLE_MS);
      const withAll = rss();
      const heapWithAll = formatSplit(await heapSplit(PORT));
      if (process.env.BENCH_SNAPSHOT) await snapshot(pid, dir, round);
      for (const k of api.keys("services")) api.remove("services", k);
      for (const k of api.keys("endpointslices")) api.remove("endpointslices", k);
      await until("nothing announced", async () => (await announced()) === 0);
      await until("status records removed", () => api.keys("servicel2statuses").length === 0);
      await sleep(SETTLE_MS);
      const afterDelete = rss();
      const heapAfter = formatSplit(await heapSplit(PORT));
      progress(
        `round ${round}: ${f(seconds)} s to announce ${TOTAL}; RSS ${f(withAll)} -> ${f(afterDelete)} MiB (heap ${heapWithAll} -> ${heapAfter})`,
      );
      rounds.push({ round, withAll, afterDelete, seconds, heapWithAll, heapAfter });
    }
    const withAll = Math.max(...rounds.map((r) => r.withAll));
    const last = rounds.at(-1)?.afterDelete ?? NaN;
    const figures: Figure[] = [
      { label: "RSS idle", unit: "MiB", value: Number(f(idle)), target: "<= 80", met: idle <= 80 },
      {
        label: `RSS with ${TOTAL}`,
        unit: "MiB",
        value: Number(f(withAll)),
        target: "<= 150",
        met: withAll <= 150,
      },
      { label: "RSS after last delete", unit: "MiB", value: Number(f(last)) },
      {
        label: "after delete / idle",
        value: Number((last / idle).toFixed(2)),
        target: "<= 1.2",
        met: last / idle <= 1.2,
      },
    ];
    const table = rounds.map(
      (r) =>
        `| ${r.round} | ${f(r.seconds)} | ${f(r.withAll)} | ${r.heapWithAll} | ${f(r.afterDelete)} | ${r.heapAfter} |`,
    );
    emitResult({
      name: "speaker-memory-offline",
      title: "Speaker memory against an in-memory apiserver (no lab)",
      target:
        "ARCHITECTURE.md: speaker RSS <= 80 MiB idle, <= 150 MiB with 5,000 Services; after deleting them within 20% of idle, no growth over three rounds",
      figures,
      rows: [{ idle }, ...rounds],
      markdown: [
        `One speaker (\`MALLOC_ARENA_MAX=${NODE_ENV.MALLOC_ARENA_MAX} node ${NODE_FLAGS.join(" ")} dist/speaker/main.js\`, the only live one, so it announces every Service) against bench/support/fake-apiserver.ts: ${TOTAL.toLocaleString("en-US")} LoadBalancer Services (full-size objects with managedFields) and their EndpointSlices (3 endpoints) per round, added through its watches, then deleted. RSS (VmRSS) ${SETTLE_MS / 1000} s after every Service was announced and its ServiceL2Status written, and after all were gone.` +
          (QUICK ? " **Quick run (BENCH_QUICK=1).**" : ""),
        "",
        `Idle: ${f(idle)} MiB RSS; V8 heap used / committed / external memory: ${idleHeap} MiB (the speaker's own nodejs_* metrics).`,
        "",
        "| round | seconds to announce all | RSS with all (MiB) | heap used / total / external with all (MiB) | RSS after delete (MiB) | heap used / total / external after (MiB) |",
        "| --- | --- | --- | --- | --- | --- |",
        ...table,
      ].join("\n"),
    });
  } catch (e) {
    const kept = keepLog(dir);
    progress(
      `speaker log (last 2,000 characters; all of it in ${kept}):\n${readFileSync(join(dir, "speaker.log"), "utf8").slice(-2000)}`,
    );
    throw e;
  } finally {
    child.kill("SIGTERM");
    api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
