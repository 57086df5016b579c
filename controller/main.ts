/** IronLB controller: assigns external IPs to LoadBalancer Services. Composition root. */
import { MonitoringServer } from "../lib/adapters/http-server.js";
import { ironlbVersion, loadKubeConfig } from "../lib/adapters/kubeconfig.js";
import { createLogger } from "../lib/adapters/logger.js";
import { COMMON_FLAGS, parseFlags, usage } from "../lib/core/flags.js";
import { Controller } from "./adapters/controller.js";
import { K8sClusterWriter } from "./adapters/k8s-cluster-writer.js";
import { ControllerMetrics } from "./adapters/metrics.js";

const FLAGS = {
  namespace: {
    env: "METALLB_NAMESPACE",
    default: "metallb-system",
    help: "namespace of the IPAddressPools and L2Advertisements",
  },
  "lb-class": {
    env: "METALLB_LB_CLASS",
    default: "",
    help: 'handle only Services of this spec.loadBalancerClass ("": Services without a class)',
  },
  ...COMMON_FLAGS,
} as const;

/** Services written in parallel: enough to hide the apiserver's latency, not to swamp it. */
const CONCURRENCY = 16;

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    process.stdout.write(`${usage("ironlb-controller", FLAGS)}\n`);
    return;
  }
  const parsed = parseFlags(FLAGS, process.argv.slice(2), process.env);
  if (!parsed.ok) {
    process.stderr.write(
      `ironlb-controller: ${parsed.error}\n${usage("ironlb-controller", FLAGS)}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const flags = parsed.value.values;
  const log = createLogger("controller", flags["log-level"]);
  for (const w of parsed.value.warnings) log.warn(w);

  // Service writes (CONCURRENCY), Event creates (8) and pool status share one keep-alive agent.
  const kc = loadKubeConfig(flags.kubeconfig, {
    userAgent: `ironlb-controller/${ironlbVersion()}`,
    maxSockets: CONCURRENCY + 12,
  });

  const metrics = new ControllerMetrics();
  const controller = new Controller({
    kc,
    namespace: flags.namespace,
    lbClass: flags["lb-class"],
    log,
    writer: new K8sClusterWriter(kc, "metallb-controller", log.child({ op: "write" })),
    metrics,
    concurrency: CONCURRENCY,
  });
  const monitoring = new MonitoringServer(metrics.registry, {
    healthy: () => true,
    ready: () => controller.ready(),
  });
  await monitoring.start(flags["metrics-host"], Number(flags["metrics-port"]));
  controller.start();
  log.info("controller started", { namespace: flags.namespace, lbClass: flags["lb-class"] });

  const shutdown = (signal: string): void => {
    log.info("stopping", { reason: signal });
    controller.stop();
    void monitoring.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((e: unknown) => {
  process.stderr.write(`ironlb-controller: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
