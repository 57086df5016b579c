/**
 * Membership at scale: a load generator plays SIMULATED speakers (their Leases, labelled as the
 * real ones, created and renewed at the speakers' default rate, every 5 s) against the lab's
 * apiserver while the 3 real speakers and the controller run. The controller leader watches the
 * Leases and publishes the one membership object (ironlb-speaker-members) that the speakers
 * watch. Measured: the apiserver's request rate, the watch events it sends per kind (Lease: the
 * leader's watch; ConfigMap: the speakers' membership watch), writes of the membership object,
 * each real speaker's and controller's CPU, idle and under the load, and link-down failover under
 * the load. The simulated members have no Node object, so the failover target's L2Advertisement
 * (lab nodes only) never elects them.
 */
import { emitResult, progress, type Figure } from "./support/result.js";
import { KubeHttp, runBounded } from "./support/kube-http.js";
import { CpuMeter } from "./support/proc.js";
import { labPids } from "./support/controller-lab.js";
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
  /** Lease watch events sent, all watchers (the controller leader's watch). */
  readonly leaseEventsPerS: number;
  /** ConfigMap watch events sent, all watchers (the speakers' membership watch among them). */
  readonly configMapEventsPerS: number;
  /** Writes (create, update) of ConfigMaps: the membership object. */
  readonly membershipWrites: number;
  /** Percent of one core, per real speaker and controller replica. */
  readonly cpu: Record<string, number>;
}

const COUNTERS = {
  requests: ["apiserver_request_total", ""],
  leaseEvents: ["apiserver_watch_events_total", 'kind="Lease"'],
  configMapEvents: ["apiserver_watch_events_total", 'kind="ConfigMap"'],
  membershipWrites: ["apiserver_request_total", 'resource="configmaps"'],
} as const;

async function counters(http: KubeHttp): Promise<Record<keyof typeof COUNTERS, number>> {
  const out = { requests: 0, leaseEvents: 0, configMapEvents: 0, membershipWrites: 0 };
  for (const [k, [metric, filter]] of Object.entries(COUNTERS)) {
    const writes = k === "membershipWrites";
    out[k as keyof typeof out] = writes
      ? (await counter(http, metric, `${filter},scope="resource",subresource="",verb="PUT"`)) +
        (await counter(http, metric, `${filter},scope="namespace",subresource="",verb="POST"`))
      : await counter(http, metric, filter);
  }
  return out;
}

async function measureWindow(http: KubeHttp, ms = WINDOW_MS): Promise<Window> {
  const ours = (n: string) => n.startsWith("speaker-") || n.startsWith("controller");
  const meter = new CpuMeter(new Map([...labPids()].filter(([n]) => ours(n))));
  const c0 = await counters(http);
  meter.start();
  await sleep(ms);
  const { wallSeconds, cpu } = meter.stop();
  const c1 = await counters(http);
  const share: Record<string, number> = {};
  for (const [n, s] of Object.entries(cpu)) if (ours(n)) share[n] = (100 * s) / wallSeconds;
  const rate = (k: keyof typeof c0) => (c1[k] - c0[k]) / wallSeconds;
  return {
    requestsPerS: rate("requests"),
    leaseEventsPerS: rate("leaseEvents"),
    configMapEventsPerS: rate("configMapEvents"),
    membershipWrites: c1.membershipWrites - c0.membershipWrites,
    cpu: share,
  };
}

/** Creates the members' Leases, then renews each every RENEW_MS, spread evenly. */
function startMembers(http: KubeHttp): { ready: Promise<void>; stop: () => Promise<void> } {
  let stopped = false;
  const lease = (i: number) => ({
    metadata: {
      name: name(i),
      annotations: { "ironlb.io/lease-duration-ms": "15000" },
      labels: { "app.kubernetes.io/name": "ironlb", "app.kubernetes.io/component": "speaker" },
    },
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
    const joining = measureWindow(http, RENEW_MS * 2);
    await members.ready;
    const joined = await joining;
    progress(`${MEMBERS} simulated members renewing every ${RENEW_MS} ms`);
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
    report({ idle, joined, loaded }, trials);
  } finally {
    await cleanup();
  }
}

interface Windows {
  readonly idle: Window;
  /** The members joining (created and first renewed). */
  readonly joined: Window;
  readonly loaded: Window;
}

const speakerCpu = (w: Window) => Object.entries(w.cpu).filter(([n]) => n.startsWith("speaker-"));
const maxSpeakerCpu = (w: Window) => Math.max(...speakerCpu(w).map(([, c]) => c));

function report(w: Windows, trials: readonly { neighbourMs: number; restoreMs: number }[]): void {
  const { loaded } = w;
  const neighbour = distribution(trials.map((t) => t.neighbourMs));
  const restore = distribution(trials.map((t) => t.restoreMs));
  const figures: Figure[] = [
    { label: "apiserver requests/s (loaded)", value: loaded.requestsPerS, unit: "1/s" },
    {
      label: "ConfigMap watch events/s, all watchers (loaded)",
      value: loaded.configMapEventsPerS,
      unit: "1/s",
    },
    { label: "membership object writes (loaded window)", value: loaded.membershipWrites, unit: "" },
    {
      label: "speaker CPU max (idle)",
      value: maxSpeakerCpu(w.idle),
      unit: "%",
      target: "< 5",
      met: maxSpeakerCpu(w.idle) < 5,
    },
    {
      label: "speaker CPU max (loaded)",
      value: maxSpeakerCpu(loaded),
      unit: "%",
      target: "< 5",
      met: maxSpeakerCpu(loaded) < 5,
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
  emitResult({
    name: "membership",
    title: "Membership at scale",
    target:
      "with 1,000 simulated members: real speakers' CPU < 5% of a core, failover within its targets",
    figures,
    rows: [{ ...w, trials }],
    markdown: markdown(w, neighbour, restore),
  });
}

function markdown(
  w: Windows,
  neighbour: ReturnType<typeof distribution>,
  restore: ReturnType<typeof distribution>,
): string {
  const f = (n: number) => formatNumber(n);
  const cpuText = (win: Window) =>
    Object.entries(win.cpu)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([n, c]) => `${n} ${f(c)}`)
      .join(", ");
  const row = (label: string, win: Window) => [
    label,
    f(win.requestsPerS),
    f(win.leaseEventsPerS),
    f(win.configMapEventsPerS),
    f(win.membershipWrites),
    cpuText(win),
  ];
  return [
    `${MEMBERS} simulated members${QUICK ? " (BENCH_QUICK)" : ""}, each a Lease renewed every ${RENEW_MS / 1000} s (${f((1000 * MEMBERS) / RENEW_MS)} writes/s),`,
    `beside the 3 real speakers; windows of ${WINDOW_MS / 1000} s (joining: ${(2 * RENEW_MS) / 1000} s from the first create).`,
    "Speakers watch only the membership object (a ConfigMap, by name); the controller leader watches the",
    "Leases and writes the object when membership changes. Watch events are the apiserver's",
    "`apiserver_watch_events_total` by kind over ALL watchers (ConfigMap includes kube-controller-manager's",
    "garbage collector); object writes count ConfigMap PUT/POST requests.",
    "",
    markdownTable(
      [
        "window",
        "apiserver requests/s",
        "Lease watch events/s (all watchers)",
        "ConfigMap watch events/s (all watchers)",
        "ConfigMap writes",
        "CPU % of a core",
      ],
      [
        row("idle", w.idle),
        row(`${MEMBERS} joining`, w.joined),
        row(`${MEMBERS} members`, w.loaded),
      ],
    ),
    "",
    `Link-down failover under the load, ${TRIALS} trials: neighbour entry p50 ${f(neighbour.p50)} ms, max ${f(neighbour.max)} ms; restore p50 ${f(restore.p50)} ms, max ${f(restore.max)} ms.`,
  ].join("\n");
}

main().catch((e: unknown) => {
  process.stderr.write(`membership bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
