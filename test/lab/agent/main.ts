/**
 * The lab agent: scheduler and kubelet stand-in for the lab's network-namespace nodes.
 * Composition root; started (and stopped by PID) by test/lab/nodes.sh. Needs root.
 *
 *   node --import tsx test/lab/agent/main.ts --kubeconfig .lab/kubeconfig --state-dir .lab/agent
 *
 * Writes `<state-dir>/ready` once every existing pod was handled; removes it on exit. Pods keep
 * running across an agent restart (their servers are in their own sessions) and are adopted.
 */
import { rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeConfig } from "@kubernetes/client-node";
import { ApiClient } from "../../../lib/adapters/kube/client.js";
import { createLogger } from "../../../lib/adapters/logger.js";
import { parseFlags, usage } from "../../../lib/core/flags.js";
import { LabAgent } from "./agent.js";
import { KubeApi } from "./kube-api.js";
import { PodNetworks } from "./pod-networks.js";
import { PodRealiser } from "./pod-realiser.js";
import { PodRecords } from "./pod-records.js";
import { emitServer, PodServers } from "./pod-servers.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..", "..");

const FLAGS = {
  kubeconfig: { default: join(repoRoot, ".lab", "kubeconfig"), help: "admin kubeconfig" },
  "state-dir": {
    default: join(repoRoot, ".lab", "agent"),
    help: "pod records, pod server logs, the emitted pod server and the ready file",
  },
  nodes: { default: "node1,node2,node3", help: "the lab nodes this agent schedules to and runs" },
  concurrency: {
    default: "4",
    help: "pods handled in parallel",
    number: true,
    min: 1,
    max: 32,
  },
  "log-level": { default: "info", help: "error, warn, info or debug" },
} as const;

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    process.stdout.write(`${usage("lab-agent", FLAGS)}\n`);
    return;
  }
  const parsed = parseFlags(FLAGS, process.argv.slice(2), process.env);
  if (!parsed.ok) {
    process.stderr.write(`lab-agent: ${parsed.error}\n${usage("lab-agent", FLAGS)}\n`);
    process.exitCode = 2;
    return;
  }
  const flags = parsed.value.values;
  const log = createLogger("lab-agent", flags["log-level"]);
  for (const w of parsed.value.warnings) log.warn(w);
  if (process.getuid?.() !== 0) throw new Error("the lab agent needs root (network namespaces)");

  const stateDir = resolve(flags["state-dir"]);
  const readyFile = join(stateDir, "ready");
  await rm(readyFile, { force: true });
  const serverDir = join(stateDir, "bin");
  await emitServer(repoRoot, here, serverDir);

  const kc = new KubeConfig();
  kc.loadFromFile(flags.kubeconfig);
  const networks = new PodNetworks();
  const records = new PodRecords(join(stateDir, "pods"));
  await records.init();
  const agent = new LabAgent({
    kc: ApiClient.load(flags.kubeconfig, { userAgent: "ironlb-lab-agent", maxSockets: 8 }),
    nodeNames: flags.nodes.split(",").map((n) => n.trim()),
    api: new KubeApi(kc),
    realiser: new PodRealiser(networks, new PodServers(serverDir), records),
    records,
    networks,
    log,
    concurrency: Number(flags.concurrency),
  });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info("stopping; pods keep running and are adopted by the next agent", { reason: signal });
    void rm(readyFile, { force: true })
      .then(() => agent.stop())
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));

  const started = Date.now();
  await agent.start();
  await writeFile(readyFile, `${process.pid}\n`);
  log.info("lab agent ready", {
    nodes: flags.nodes,
    pods: agent.running,
    ms: Date.now() - started,
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`lab-agent: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
