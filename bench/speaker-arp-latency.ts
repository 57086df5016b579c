/**
 * ARP reply latency of the L2 announcer against the kernel's own ARP reply, in one run (root).
 * Builds its own namespaces (client and node on a bridge, `ironlb-t<pid>-*`), runs the announcer
 * in the node for one owned IP, and lets `arping` in the client time each request/reply: for the
 * owned IP (answered by the announcer through libpcap) and for the node's own address on eth0
 * (answered by the node's kernel: the floor). Rounds alternate between the two targets so both
 * see the same conditions. Prints a JSON summary (microseconds) and removes what it created.
 *
 *   node --import tsx bench/speaker-arp-latency.ts [requests per target, default 200]
 */
import { AnnouncerProcess } from "../test/integration/fixtures/announcer-process.js";
import { NetnsLab, parseArping, removeStaleNamespaces } from "../test/support/netns.js";

const REQUESTS = Number(process.argv[2] ?? 200);
const ROUNDS = 4;
const INTERVAL_S = process.env["ARPING_INTERVAL_S"] ?? "0.01";
const NODE_IP = "198.18.50.11";
const OWNED_IP = "198.18.50.200";

interface Summary {
  readonly samples: number;
  readonly lost: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[at] ?? NaN;
}

function summarize(micros: readonly number[], sent: number): Summary {
  const sorted = [...micros].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    samples: sorted.length,
    lost: sent - sorted.length,
    p50: round(quantile(sorted, 0.5)),
    p90: round(quantile(sorted, 0.9)),
    p99: round(quantile(sorted, 0.99)),
    min: round(sorted[0] ?? NaN),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

async function measure(lab: NetnsLab): Promise<Record<string, Summary>> {
  const lan = lab.addNamespace("lan");
  lab.addBridge(lan);
  const client = lab.addNamespace("client");
  const node = lab.addNamespace("node");
  lab.attach(client, { bridgeNs: lan }, ["198.18.50.100/24"]);
  lab.attach(node, { bridgeNs: lan }, [`${NODE_IP}/24`]);
  const announcer = await AnnouncerProcess.start(lab, node);
  try {
    await announcer.own({ [OWNED_IP]: ["eth0"] }, [OWNED_IP]);
    const arping = (ip: string, count: number): number[] =>
      parseArping(
        lab.exec(client, "arping", ["-c", String(count), "-W", INTERVAL_S, "-i", "eth0", ip], {
          allowFailure: true,
          timeoutMs: 120_000,
        }).stdout,
      )
        .filter((r) => r.ip === ip)
        .map((r) => r.micros);
    arping(OWNED_IP, 20); // warm-up: JIT, caches, neighbour entries
    arping(NODE_IP, 20);
    const samples = { announcer: [] as number[], kernel: [] as number[] };
    const perRound = Math.ceil(REQUESTS / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      samples.announcer.push(...arping(OWNED_IP, perRound));
      samples.kernel.push(...arping(NODE_IP, perRound));
    }
    return {
      announcer: summarize(samples.announcer, perRound * ROUNDS),
      kernel: summarize(samples.kernel, perRound * ROUNDS),
    };
  } finally {
    await announcer.stop();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error("speaker-arp-latency: needs root (network namespaces, libpcap); skipped");
    process.exitCode = 2;
    return;
  }
  removeStaleNamespaces();
  const lab = new NetnsLab();
  try {
    const results = await measure(lab);
    const summary = {
      benchmark: "speaker-arp-latency",
      unit: "microseconds",
      requestsPerTarget: REQUESTS,
      intervalSeconds: Number(INTERVAL_S),
      targets: { announcer: OWNED_IP, kernel: NODE_IP },
      ...results,
    };
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await lab.cleanup();
  }
}

await main();
