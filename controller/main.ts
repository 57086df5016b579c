/** IronLB controller: assigns external IPs to LoadBalancer Services. Composition root. */
import { MonitoringServer } from "../lib/adapters/http-server.js";
import { collectDefaultMetrics } from "prom-client";
import { exposedGc, HeapTrim } from "../lib/adapters/heap-trim.js";
import { loadMallocTrim } from "../lib/adapters/malloc-trim.js";
import { realTimers } from "../lib/adapters/timers.js";
import { ironlbVersion, loadApiClient } from "../lib/adapters/kubeconfig.js";
import { createLogger } from "../lib/adapters/logger.js";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { COMMON_FLAGS, parseFlags, usage } from "../lib/core/flags.js";
import { checkTiming, type ElectionTiming } from "../lib/core/leader-election.js";
import { err, ok, type Result } from "../lib/core/result.js";
import { Controller } from "./adapters/controller.js";
import { K8sClusterWriter } from "./adapters/k8s-cluster-writer.js";
import { Leadership } from "./adapters/leadership.js";
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
  "leader-elect": {
    env: "IRONLB_LEADER_ELECT",
    default: "true",
    help: "run as one of several replicas: reconcile only while holding the leader Lease",
  },
  "leader-elect-lease-name": { default: "ironlb-controller", help: "the leader Lease's name" },
  "leader-elect-namespace": {
    default: "",
    help: 'the leader Lease\'s namespace ("": the --namespace value)',
  },
  "leader-elect-identity": {
    env: "POD_NAME",
    default: "",
    help: 'this replica\'s holderIdentity ("": hostname plus a random suffix)',
  },
  "leader-elect-lease-duration": {
    default: "15",
    help: "seconds a standby waits after the leader's last renewal before taking over",
    number: true,
    min: 1,
    max: 300,
  },
  "leader-elect-renew-deadline": {
    default: "10",
    help: "seconds the leader keeps trying to renew before it stops (< lease duration)",
    number: true,
    min: 0.5,
    max: 300,
  },
  "leader-elect-retry-period": {
    default: "2",
    help: "seconds between attempts to acquire or renew",
    number: true,
    min: 0.1,
    max: 60,
  },
  ...COMMON_FLAGS,
} as const;

type Values = { [K in keyof typeof FLAGS]: string };

/** The election settings, or an error naming the flag; undefined when election is off. */
function election(v: Values): Result<ElectionTiming | undefined, string> {
  const on = v["leader-elect"];
  if (on !== "true" && on !== "false") {
    return err(`--leader-elect: "${on}" is not true or false`);
  }
  if (on === "false") return ok(undefined);
  const timing = checkTiming({
    leaseDurationMs: Number(v["leader-elect-lease-duration"]) * 1000,
    renewDeadlineMs: Number(v["leader-elect-renew-deadline"]) * 1000,
    retryPeriodMs: Number(v["leader-elect-retry-period"]) * 1000,
  });
  return timing.ok ? timing : err(`--leader-elect-*: ${timing.error}`);
}

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
  const timing = election(flags);
  if (!timing.ok) {
    process.stderr.write(`ironlb-controller: ${timing.error}\n`);
    process.exitCode = 2;
    return;
  }
  const log = createLogger("controller", flags["log-level"]);
  for (const w of parsed.value.warnings) log.warn(w);

  // Service writes (CONCURRENCY), Event creates (8) and pool status share one keep-alive agent.
  const kc = loadApiClient(flags.kubeconfig, {
    userAgent: `ironlb-controller/${ironlbVersion()}`,
    maxSockets: CONCURRENCY + 12,
  });

  // Heap back to the OS after a mass deletion (lib/adapters/heap-trim.ts; needs --expose-gc).
  const trim = new HeapTrim({
    gc: exposedGc(),
    trimMalloc: loadMallocTrim(log),
    timers: realTimers,
  });
  const metrics = new ControllerMetrics((inUse) => trim.observe(inUse));
  collectDefaultMetrics({ register: metrics.registry }); // heap, external, RSS: docs/benchmarks.md
  const options = {
    kc,
    namespace: flags.namespace,
    lbClass: flags["lb-class"],
    log,
    writer: new K8sClusterWriter(kc, "metallb-controller", log.child({ op: "write" })),
    metrics,
    concurrency: CONCURRENCY,
  };
  const identity =
    flags["leader-elect-identity"] || `${hostname()}_${randomBytes(4).toString("hex")}`;
  const runner = timing.value
    ? new Leadership({
        controller: options,
        build: (o) => new Controller(o),
        lease: {
          namespace: flags["leader-elect-namespace"] || flags.namespace,
          name: flags["leader-elect-lease-name"],
        },
        identity,
        timing: timing.value,
        log,
      })
    : new Controller(options);
  const monitoring = new MonitoringServer(metrics.registry, {
    healthy: () => true,
    ready: () => runner.ready(),
  });
  await monitoring.start(flags["metrics-host"], Number(flags["metrics-port"]));
  runner.start();
  log.info("controller started", {
    namespace: flags.namespace,
    lbClass: flags["lb-class"],
    leaderElection: timing.value ? identity : "off",
  });

  const shutdown = (signal: string): void => {
    log.info("stopping", { reason: signal });
    trim.stop();
    void Promise.resolve(runner.stop())
      .then(() => monitoring.stop())
      .then(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((e: unknown) => {
  process.stderr.write(`ironlb-controller: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
