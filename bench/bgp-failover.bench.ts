/**
 * BGP failover: a node's link goes down while ironlb-ext, behind the lab's router, opens a new
 * connection to a BGP-announced Service IP every ~50 ms; BFD (100 ms x 3, the lab's BGPPeer)
 * tells the router, which drops the node's path. TRIALS trials, node1 and node3 taking turns (the
 * Service's pods run on node2, so a trial loses a path, never the pods).
 * "Traffic back" is the later of the path leaving the router's kernel and the end of the
 * client's last failed request. Target (ARCHITECTURE.md): <= 1 s.
 */
import { emitResult, progress, type Figure } from "./support/result.js";
import { distribution, formatNumber, markdownTable } from "./support/stats.js";
import {
  applyBgpPool,
  measureLinkDown,
  msUntilNextHops,
  removeBgpPool,
  type LinkDownResult,
} from "../test/support/bgp.js";
import { apply, deploymentYaml, urlOf, useLab, waitForIngress } from "../test/support/e2e.js";
import { uniqueName } from "../test/support/lab.js";

const TRIALS = process.env.BENCH_QUICK === "1" ? 2 : 10;
const TARGET_MS = 1000;
const VICTIMS = ["node1", "node3"];
const ALL = "198.18.0.11,198.18.0.12,198.18.0.13";

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    emitResult({ name: "bgp-failover", skipped: "needs root (network namespaces)" });
    return;
  }
  const cp = useLab();
  const ns = uniqueName("bench-bgp");
  const pool = "bench-bgp";
  const cleanup = (): void => removeBgpPool(cp, ns, pool);
  process.once("SIGINT", () => (cleanup(), process.exit(130)));
  process.once("SIGTERM", () => (cleanup(), process.exit(143)));
  try {
    applyBgpPool(cp, { namespace: ns, pool, addresses: ["198.18.100.20-198.18.100.29"] });
    // The pods run on node2, and node1 and node3 take turns losing their link: a trial measures
    // the loss of a path, not of the pods behind it (the lab has no node-lifecycle controller).
    apply(cp, deploymentYaml(ns, "web", 2, { "kubernetes.io/hostname": "node2" }));
    apply(
      cp,
      `apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 8090, targetPort: 80}]}
`,
    );
    const ip = (await waitForIngress(cp, ns, "web"))[0] ?? "";
    cp.kubectl(["rollout", "status", "-n", ns, "deployment/web", "--timeout=60s"]);
    const results: LinkDownResult[] = [];
    for (let i = 0; i < TRIALS; i++) {
      await allPaths(ip);
      const r = await measureLinkDown(urlOf(ip, 8090), ip, VICTIMS[i % VICTIMS.length] ?? "node1");
      progress(
        `${i + 1}/${TRIALS} ${r.node}: withdrawn ${r.withdrawMs} ms, last failure ${r.lastFailureMs} ms, ${r.failures}/${r.requests} failed`,
      );
      results.push(r);
    }
    await allPaths(ip);
    report(results);
  } finally {
    cleanup();
  }
}

async function allPaths(ip: string): Promise<void> {
  const ms = await msUntilNextHops(ip, (h) => h.join() === ALL, 60_000);
  if (ms === Infinity) throw new Error(`the router has not every node's path for ${ip}`);
}

const backMs = (r: LinkDownResult): number => Math.max(r.withdrawMs, r.lastFailureMs);

function report(results: readonly LinkDownResult[]): void {
  const back = distribution(results.map(backMs));
  const withdraw = distribution(results.map((r) => r.withdrawMs));
  const figures: Figure[] = [
    { label: "traffic back p50", value: back.p50, unit: "ms" },
    {
      label: "traffic back max",
      value: back.max,
      unit: "ms",
      target: `<= ${TARGET_MS}`,
      met: back.max <= TARGET_MS,
    },
    { label: "path withdrawn p50", value: withdraw.p50, unit: "ms" },
  ];
  const rows = results.map((r, i) => [
    String(i + 1),
    r.node,
    String(r.withdrawMs),
    String(r.lastFailureMs),
    `${r.failures}/${r.requests}`,
    String(backMs(r)),
  ]);
  const markdown = [
    `${TRIALS} trials${process.env.BENCH_QUICK === "1" ? " (BENCH_QUICK)" : ""}: the bridge end of a node's veth goes down (node1 and node3 take turns; the pods run on node2);`,
    "`ironlb-ext` opens a new connection every ~50 ms (200 ms allowed) to a Service IP every node",
    "announces (iBGP, BFD 100 ms x 3, router ECMP with L4 hashing). Traffic back = the later of the",
    "node's path leaving the router's kernel table and the end of the client's last failed request.",
    `p50 ${formatNumber(back.p50)} ms, max ${formatNumber(back.max)} ms (target <= ${TARGET_MS} ms).`,
    "",
    markdownTable(
      ["trial", "node", "withdrawn ms", "last failure ms", "failed/requests", "traffic back ms"],
      rows,
    ),
  ].join("\n");
  emitResult({
    name: "bgp-failover",
    title: "BGP failover (BFD)",
    target: "node link down -> traffic back <= 1 s",
    figures,
    rows: results.map((r) => ({ ...r, backMs: backMs(r) })),
    markdown,
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`bgp-failover bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
