/**
 * Membership at scale: a load generator plays SIMULATED speakers (their Leases, created and renewed
 * at the speakers' default rate, every 5 s) against the lab's apiserver while the 3 real speakers
 * run. Measured: the apiserver's request rate, the Lease watch events it sends, each real
 * speaker's CPU, idle and under the load, and link-down failover under the load. The simulated
 * members have no Node object, so the failover target's L2Advertisement (lab nodes only) never
 * elects them.
 */
import { emitResult, progress, type Figure } from "./support/result.js";
import { KubeHttp, runBounded } from "./support/kube-http.js";
import { CpuMeter } from "./support/proc.js";
import { ironlbPids } from "./support/scale-lab.js";
import { distribution, formatNumber, markdownTable } from "./support/stats.js";
import { useLab, waitReachable } from "../test/support/e2e.js";
import { failoverTarget, measureFailover } from "../test/support/failover.js";
import { uniqueName } from "../test/support/lab.js";

const QUICK = process.env.BENCH_QUICK === "1";
const MEMBERS = QUICK ? 100 : 1000;
const RENEW_MS = 5000;
const WINDOW_MS = QUICK ? 10_000 : 30_000;
const TRIALS = QUICK ? 2 : 5;
const NS = "metallb-system";
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;
const name = (i: number): string => `speaker-sim-${String(i).padStart(4, "0")}`;
const microTime = (): string => new Date().toISOString().replace(/Z$/, "000Z");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sum of a counter's samples in the apiserver's /metrics whose labels match `filter`. */
async function counter(http: KubeHttp, metric: string, filter = ""): Promise<number> {
  const text = await http.text("/metrics");
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`) || !line.includes(filter)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

interface Window {
  readonly requestsPerS: number;
  readonly leaseEventsPerS: number;
  /** Percent of one core, per real speaker. */
  readonly speakerCpu: Record<string, number>;
}

async function measureWindow(http: KubeHttp): Promise<Window> {
  const speakers = new Map([...ironlbPids()].filter(([n]) => n.startsWith("speaker-")));
  const meter = new CpuMeter(speakers);
  const req0 = await counter(http, "apiserver_request_total");
  const ev0 = await counter(http, "apiserver_watch_events_total", 'kind="Lease"');
  meter.start();
  await sleep(WINDOW_MS);
  const { wallSeconds, cpu } = meter.stop();
  const req1 = await counter(http, "apiserver_request_total");
  const ev1 = await counter(http, "apiserver_watch_events_total", 'kind="Lease"');
  const speakerCpu: Record<string, number> = {};
  for (const n of speakers.keys()) speakerCpu[n] = (100 * (cpu[n] ?? NaN)) / wallSeconds;
  return {
    requestsPerS: (req1 - req0) / wallSeconds,
    leaseEventsPerS: (ev1 - ev0) / wallSeconds,
    speakerCpu,
  };
}

/** Creates the members' Leases, then renews each every RENEW_MS, spread evenly. */
function startMembers(http: KubeHttp): { ready: Promise<void>; stop: () => Promise<void> } {
  let stopped = false;
  const lease = (i: number) => ({
    metadata: { name: name(i), annotations: { "ironlb.io/lease-duration-ms": "15000" } },
    spec: { holderIdentity: `sim-${i}`, leaseDurationSeconds: 15, renewTime: microTime() },
  });
  const ready = runBounded(MEMBERS, 16, async (i) => {
    await http.request("POST", LEASES, lease(i)).catch(() => undefined); // exists: renewed below
  });
  const renewals = (async () => {
    await ready;
    for (let i = 0; !stopped; i = (i + 1) % MEMBERS) {
      const body = { spec: { renewTime: microTime() } };
      void http
        .request("PATCH", `${LEASES}/${name(i)}`, body, "application/merge-patch+json")
        .catch(() => undefined);
      await sleep(RENEW_MS / MEMBERS);
    }
  })();
  const stop = async () => {
    stopped = true;
    await renewals;
    await runBounded(MEMBERS, 16, async (i) => {
      await http.request("DELETE", `${LEASES}/${name(i)}`).catch(() => undefined);
    });
  };
  return { ready, stop };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    emitResult({ name: "membership", skipped: "needs root (network namespaces)" });
    return;
  }
  const cp = useLab();
  const http = await KubeHttp.create(cp.kc, 32);
  const target = await failoverTarget(cp, uniqueName("bench-mb"), {
    pool: "bench-membership",
    addresses: "198.18.0.215-198.18.0.219",
  });
  let members: ReturnType<typeof startMembers> | undefined;
  const cleanup = async () => {
    await members?.stop();
    target.cleanup();
    http.close();
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    progress("idle window (no simulated members yet)");
    const idle = await measureWindow(http);
    members = startMembers(http);
    await members.ready;
    progress(`${MEMBERS} simulated members renewing every ${RENEW_MS} ms`);
    await sleep(RENEW_MS);
    const loaded = await measureWindow(http);
    const trials = [];
    for (let i = 0; i < TRIALS; i++) {
      await waitReachable(target.url, 60_000);
      const r = await measureFailover(target, "link-down");
      progress(
        `link-down ${i + 1}/${TRIALS} under load: neighbour ${r.neighbourMs} ms, restore ${r.restoreMs} ms`,
      );
      trials.push(r);
      await sleep(2000);
    }
    report(idle, loaded, trials);
  } finally {
    await cleanup();
  }
}

function report(
  idle: Window,
  loaded: Window,
  trials: readonly { neighbourMs: number; restoreMs: number }[],
): void {
  const maxCpu = (w: Window) => Math.max(...Object.values(w.speakerCpu));
  const neighbour = distribution(trials.map((t) => t.neighbourMs));
  const restore = distribution(trials.map((t) => t.restoreMs));
  const figures: Figure[] = [
    { label: "apiserver requests/s (loaded)", value: loaded.requestsPerS, unit: "1/s" },
    {
      label: "Lease watch events/s per speaker (loaded)",
      value: loaded.leaseEventsPerS / 3,
      unit: "1/s",
    },
    {
      label: "speaker CPU max (loaded)",
      value: maxCpu(loaded),
      unit: "%",
      target: "< 5",
      met: maxCpu(loaded) < 5,
    },
    {
      label: "link-down neighbour p50 (loaded)",
      value: neighbour.p50,
      unit: "ms",
      target: "<= 600",
      met: neighbour.p50 <= 600,
    },
    {
      label: "link-down neighbour max (loaded)",
      value: neighbour.max,
      unit: "ms",
      target: "<= 1000",
      met: neighbour.max <= 1000,
    },
  ];
  const f = (n: number) => formatNumber(n);
  const cpuText = (w: Window) =>
    Object.entries(w.speakerCpu)
      .map(([n, c]) => `${n} ${f(c)}`)
      .join(", ");
  const markdown = [
    `${MEMBERS} simulated members${QUICK ? " (BENCH_QUICK)" : ""}, each a Lease renewed every ${RENEW_MS / 1000} s (${f((1000 * MEMBERS) / RENEW_MS)} writes/s),`,
    `beside the 3 real speakers; windows of ${WINDOW_MS / 1000} s. Lease watch events are the apiserver's`,
    '`apiserver_watch_events_total{kind="Lease"}` over all watchers, divided by the 3 speakers.',
    "",
    markdownTable(
      [
        "window",
        "apiserver requests/s",
        "Lease watch events/s per speaker",
        "speaker CPU % of a core",
      ],
      [
        ["idle", f(idle.requestsPerS), f(idle.leaseEventsPerS / 3), cpuText(idle)],
        [
          `${MEMBERS} members`,
          f(loaded.requestsPerS),
          f(loaded.leaseEventsPerS / 3),
          cpuText(loaded),
        ],
      ],
    ),
    "",
    `Link-down failover under the load, ${TRIALS} trials: neighbour entry p50 ${f(neighbour.p50)} ms, max ${f(neighbour.max)} ms; restore p50 ${f(restore.p50)} ms, max ${f(restore.max)} ms.`,
  ].join("\n");
  emitResult({
    name: "membership",
    title: "Membership at scale",
    target:
      "with 1,000 simulated members: real speakers' CPU < 5% of a core, failover within its targets",
    figures,
    rows: [{ idle, loaded, trials }],
    markdown,
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`membership bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
