/** Turns the scale benchmark's measurements into its BenchResult (figures and Markdown). */
import type { BenchResult, Figure } from "./result.js";
import { formatNumber as f, markdownTable } from "./stats.js";

export interface Memory {
  readonly rss: number;
  readonly peak: number;
}

/** CpuMeter's output: CPU seconds per process over `wallSeconds`. */
interface Cpu {
  readonly wallSeconds: number;
  readonly cpu: Record<string, number>;
}

export interface ScaleMeasured {
  readonly quick: boolean;
  readonly pool: readonly string[];
  readonly concurrency: number;
  readonly quietSeconds: number;
  readonly total: {
    readonly services: number;
    readonly assigned: number;
    readonly distinct: number;
  };
  readonly idle: { readonly rss: Record<string, Memory>; readonly cpu: Cpu };
  readonly assign: {
    readonly createsSeconds: number;
    readonly allAssignedSeconds: number;
    /** From the first create until every Service is in some speaker's plan; null: never. */
    readonly allAnnouncedSeconds: number | null;
    readonly announcedPerNode: Record<string, number>;
    /** From the first create until every Service has its ServiceL2Status; null: never. */
    readonly statusSeconds: number | null;
    readonly records: number;
    readonly cpu: Cpu;
    readonly rss: Record<string, Memory>;
  };
  readonly quiet: { readonly rss: Record<string, Memory>; readonly cpu: Cpu };
  readonly restart: {
    readonly services: number;
    readonly stopSeconds: number;
    readonly toReadySeconds: number;
    readonly firstPassSeconds: number;
    readonly moved: number;
    readonly movedExamples: readonly string[];
    readonly serviceWrites: number;
    /** Services in the speakers' plans 5 s after the restarted controller's first pass. */
    readonly announcedAfter: number;
  };
  /** Services whose IPs were removed after they had them (expected: none). */
  readonly ingressRemoved: readonly string[];
  readonly teardown?: { readonly seconds: number; readonly leftRecords: number };
  readonly otherControllers?: readonly string[];
}

const SPEAKERS = ["node1", "node2", "node3"] as const;
const round = (n: number | null, digits = 1): number | null =>
  n === null || !Number.isFinite(n) ? null : Number(n.toFixed(digits));
const cores = (c: Cpu, name: string): number => (c.cpu[name] ?? NaN) / c.wallSeconds;
const maxOf = (values: readonly number[]): number => Math.max(...values);
const speakerMax = (pick: (node: string) => number): number => maxOf(SPEAKERS.map(pick));
const cpuCell = (c: Cpu, name: string): string =>
  `${f(c.cpu[name] ?? NaN)} (${f(cores(c, name) * 100)}%)`;

function figures(m: ScaleMeasured): Figure[] {
  const pct = (c: Cpu): number | null =>
    round(speakerMax((n) => cores(c, `speaker-${n}`)) * 100, 2);
  const rss = (r: Record<string, Memory>): number | null =>
    round(speakerMax((n) => r[n]?.rss ?? NaN));
  const idleRss = rss(m.idle.rss);
  return [
    {
      label: "assigned at the end",
      value: `${m.total.assigned}/${m.total.services}`,
      target: "5,000/5,000",
      met: !m.quick && m.total.assigned === 5_000 && m.total.distinct === 5_000,
    },
    { label: "all assigned", unit: "s", value: round(m.assign.allAssignedSeconds) },
    { label: "all announced", unit: "s", value: round(m.assign.allAnnouncedSeconds) },
    { label: "restart to /readyz", unit: "s", value: round(m.restart.toReadySeconds, 2) },
    {
      label: "IPs moved by restart",
      value: m.restart.moved,
      target: "0",
      met: m.restart.moved === 0,
    },
    {
      label: "speaker RSS idle, max",
      unit: "MiB",
      value: idleRss,
      target: "<= 80",
      met: idleRss !== null && idleRss <= 80,
    },
    { label: "speaker RSS with all, max", unit: "MiB", value: rss(m.quiet.rss) },
    { label: "speaker CPU idle, max", unit: "% core", value: pct(m.idle.cpu) },
    { label: "speaker CPU assigning, max", unit: "% core", value: pct(m.assign.cpu) },
    { label: "speaker CPU quiet with all, max", unit: "% core", value: pct(m.quiet.cpu) },
  ];
}

function speakerTable(m: ScaleMeasured): string {
  const mem = (x: Memory | undefined): string => (x ? `${f(x.rss)} (${f(x.peak)})` : "n/a");
  return markdownTable(
    [
      "speaker",
      "Services announced",
      "RSS MiB (peak): idle",
      "all assigned",
      "after quiet",
      `CPU s (% core): idle ${m.quietSeconds} s`,
      "assigning",
      `quiet ${m.quietSeconds} s`,
    ],
    SPEAKERS.map((n) => [
      n,
      String(m.assign.announcedPerNode[n] ?? "n/a"),
      mem(m.idle.rss[n]),
      mem(m.assign.rss[n]),
      mem(m.quiet.rss[n]),
      cpuCell(m.idle.cpu, `speaker-${n}`),
      cpuCell(m.assign.cpu, `speaker-${n}`),
      cpuCell(m.quiet.cpu, `speaker-${n}`),
    ]),
  );
}

function labCpuTable(m: ScaleMeasured): string {
  const names = Object.keys(m.assign.cpu.cpu).filter((n) => !n.startsWith("speaker-"));
  return markdownTable(
    ["process (CPU s, % core)", "idle", "assigning", "quiet"],
    names.map((n) => [
      n,
      cpuCell(m.idle.cpu, n),
      cpuCell(m.assign.cpu, n),
      cpuCell(m.quiet.cpu, n),
    ]),
  );
}

const seconds = (s: number | null): string => (s === null ? "never (timed out)" : `${f(s)} s`);

export function report(m: ScaleMeasured): BenchResult {
  const a = m.assign;
  const r = m.restart;
  const n = m.total.services.toLocaleString("en-US");
  const markdown = [
    `${n} LoadBalancer Services (half IPv4, half IPv6 single-stack), pool ` +
      `${m.pool.map((p) => `\`${p}\``).join(" + ")}, created ${m.concurrency} in flight over ` +
      "keep-alive HTTPS, all selecting one Deployment of 3 pods (one per node), labelled for " +
      "kube-proxy to skip; assigned by the lab's IronLB controller and announced by its three " +
      "speakers (both from `dist/`, as `make lab-up` runs them)." +
      (m.quick ? " **Quick run (BENCH_QUICK=1): smaller counts.**" : ""),
    "",
    `From the first create: creates returned ${f(a.createsSeconds)} s; every IP shown ` +
      `${f(a.allAssignedSeconds)} s; every Service in a speaker's plan ` +
      `${seconds(a.allAnnouncedSeconds)}; every ServiceL2Status written ` +
      `${seconds(a.statusSeconds)} (${a.records} records). Assigned ${m.total.assigned}, ` +
      `distinct IPs ${m.total.distinct}. "assigning" below is that whole stretch ` +
      `(${f(a.cpu.wallSeconds)} s); "idle" the ${m.quietSeconds} s before the first create; ` +
      `"quiet" ${m.quietSeconds} s with everything announced, after the last gratuitous ` +
      "announcements.",
    "",
    speakerTable(m),
    "",
    "The rest of the lab over the same periods (`.lab/pids`):",
    "",
    labCpuTable(m),
    "",
    `Controller restart with ${r.services.toLocaleString("en-US")} assigned Services ` +
      `(\`test/lab/ironlb.sh kill controller TERM\`, then \`restart\`): stop ${f(r.stopSeconds)} s; ` +
      `restart issued → /readyz ${f(r.toReadySeconds)} s; → first pass over every Service ` +
      `${f(r.firstPassSeconds)} s; IPs moved: ${r.moved}` +
      (r.moved > 0 ? ` (e.g. ${r.movedExamples.join(", ")})` : "") +
      `; Service writes seen after the restart: ${r.serviceWrites}; Services still in the ` +
      `speakers' plans: ${r.announcedAfter}.`,
    "",
    `Interference: ${m.ingressRemoved.length} Services had their IPs removed after getting ` +
      `them (expected 0). Clean-up (namespace, then the speakers' status records, then pool) ` +
      `took ${f(m.teardown?.seconds ?? NaN)} s, records left: ${m.teardown?.leftRecords ?? "n/a"}. ` +
      "Other IronLB controllers running: " +
      ((m.otherControllers ?? []).length === 0
        ? "none."
        : (m.otherControllers ?? []).map((o) => `\`${o}\``).join("; ") + "."),
  ].join("\n");
  return {
    name: "scale",
    title: "Scale: 5,000 Services on the lab's controller and speakers",
    target:
      "ARCHITECTURE.md: 5,000 Services in one burst all assigned; restart with 5,000 assigned " +
      "Services moves 0 IPs; idle RSS <= 80 MB per speaker.",
    figures: figures(m),
    rows: [
      { kind: "total", ...m.total },
      { kind: "idle", ...m.idle },
      { kind: "assign", ...m.assign },
      { kind: "quiet", ...m.quiet },
      { kind: "restart", ...r },
      { kind: "interference", ingressRemoved: m.ingressRemoved, teardown: m.teardown },
    ],
    markdown,
  };
}
