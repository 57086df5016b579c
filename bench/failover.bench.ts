/**
 * Failover: how long client traffic stops when the node announcing a LoadBalancer IP loses its
 * speaker (SIGKILL, SIGTERM) or its link, over TRIALS trials each, on the full lab (nodes,
 * kube-proxy, IronLB). Target (ARCHITECTURE.md): traffic back within 2 s; graceful stop 250 ms.
 * The gap includes the client's own request cadence (a request every ~50 ms, 200 ms timeout).
 */
import { emitResult, progress, type Figure } from "./support/result.js";
import { distribution, formatNumber, markdownTable } from "./support/stats.js";
import { useLab, waitReachable } from "../test/support/e2e.js";
import {
  failoverTarget,
  FAULTS,
  measureFailover,
  type Fault,
  type GapResult,
} from "../test/support/failover.js";
import { uniqueName } from "../test/support/lab.js";

const TRIALS = process.env.BENCH_QUICK === "1" ? 2 : 10;
const TARGET_MS: Record<Fault, number> = {
  "speaker-sigkill": 2000,
  "link-down": 2000,
  "speaker-sigterm": 250,
};

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    emitResult({ name: "failover", skipped: "needs root (network namespaces)" });
    return;
  }
  const target = await failoverTarget(
    useLab(),
    uniqueName("bench-fo"),
    "bench-failover",
    "198.18.0.230-198.18.0.239",
  );
  process.once("SIGINT", () => (target.cleanup(), process.exit(130)));
  try {
    const results: GapResult[] = [];
    for (const fault of FAULTS) {
      for (let i = 0; i < TRIALS; i++) {
        await waitReachable(target.url, 60_000);
        const r = await measureFailover(target, fault);
        progress(
          `${fault} ${i + 1}/${TRIALS}: ${r.owner} -> ${r.newOwner ?? "?"}, gap ${r.gapMs} ms`,
        );
        results.push(r);
        await new Promise((res) => setTimeout(res, 2000)); // let the repaired node settle
      }
    }
    report(results);
  } finally {
    target.cleanup();
  }
}

function report(results: readonly GapResult[]): void {
  const figures: Figure[] = [];
  const rows: string[][] = [];
  for (const fault of FAULTS) {
    const gaps = results.filter((r) => r.fault === fault).map((r) => r.gapMs);
    const d = distribution(gaps);
    const target = TARGET_MS[fault];
    figures.push({ label: `${fault} p50`, value: d.p50, unit: "ms" });
    figures.push({
      label: `${fault} max`,
      value: d.max,
      unit: "ms",
      target: `<= ${target}`,
      met: d.max <= target,
    });
    rows.push([
      fault,
      String(d.count),
      formatNumber(d.p50),
      formatNumber(d.p90),
      formatNumber(d.max),
      `<= ${target}`,
    ]);
  }
  const markdown = [
    `${TRIALS} trials per fault${process.env.BENCH_QUICK === "1" ? " (BENCH_QUICK)" : ""}; a request every ~50 ms from`,
    "`ironlb-client`, each a fresh TCP connection allowed 200 ms; the gap is the longest time",
    "between two successful responses around the fault. Speaker Lease: renew 400 ms, duration 1200 ms (the defaults).",
    "",
    markdownTable(["fault", "trials", "p50 ms", "p90 ms", "max ms", "target ms"], rows),
  ].join("\n");
  emitResult({
    name: "failover",
    title: "Failover",
    target: "client traffic back within 2 s after the owner dies; 250 ms on a graceful stop",
    figures,
    rows: results.map((r) => ({ ...r })),
    markdown,
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`failover bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
