/** IronLB speaker: answers ARP/NDP for the IPs this node owns. Composition root. */
import { EventRecorder } from "../lib/adapters/events.js";
import { collectDefaultMetrics } from "prom-client";
import { exposedGc, HeapTrim } from "../lib/adapters/heap-trim.js";
import { loadMallocTrim } from "../lib/adapters/malloc-trim.js";
import { realTimers } from "../lib/adapters/timers.js";
import { MonitoringServer } from "../lib/adapters/http-server.js";
import { ironlbVersion, loadApiClient } from "../lib/adapters/kubeconfig.js";
import { createLogger } from "../lib/adapters/logger.js";
import { describe } from "../lib/adapters/reflector.js";
import { COMMON_FLAGS, parseFlags, usage, type Parsed } from "../lib/core/flags.js";
import { err, ok, type Result } from "../lib/core/result.js";
import { DEFAULT_EXCLUDE } from "./core/interface-choice.js";
import { L2_TIMING_FLAGS, parseL2Timing, type L2Timing } from "./core/l2-timing-flags.js";
import { InterfaceWatcher } from "./adapters/interfaces.js";
import { FramePath } from "./adapters/frame-path.js";
import { LeaseKeeper } from "./adapters/lease-keeper.js";
import { apiLeaseVersion, OwnerLeasePoll } from "./adapters/owner-lease-poll.js";
import { SpeakerMetrics } from "./adapters/metrics.js";
import { FailoverMetrics } from "./adapters/failover-metrics.js";
import { OwnerProbe } from "./adapters/owner-probe.js";
import { DEFAULT_OWNER_WATCH } from "./core/failover/owner-watch.js";
import { eligibleInterfaces } from "./core/interface-choice.js";
import { Speaker } from "./adapters/speaker.js";
import { SpeakerStatusWriter } from "./adapters/speaker-status.js";
import { BGP_FLAGS, bgpSide } from "./adapters/bgp/wiring.js";

/** Ahead of the node's ordinary work for a CPU when a frame arrives (docs/benchmarks.md). */
const FRAME_PATH_NICENESS = -10;

const FLAGS = {
  "node-name": { env: "METALLB_NODE_NAME", default: "", help: "this node's name (required)" },
  namespace: {
    env: "METALLB_NAMESPACE",
    default: "metallb-system",
    help: "namespace of pools, advertisements, Leases",
  },
  "lease-renew-ms": {
    env: "IRONLB_LEASE_RENEW_MS",
    default: "5000",
    help: "how often this speaker renews its Lease (one apiserver write each; membership only)",
    number: true,
    min: 100,
    max: 60_000,
  },
  "lease-duration-ms": {
    env: "IRONLB_LEASE_DURATION_MS",
    default: "15000",
    help: "a speaker leaves the membership this long after its last renewal (>= 2x renew)",
    number: true,
    min: 300,
    max: 180_000,
  },
  "owner-probe-interval-ms": {
    env: "IRONLB_OWNER_PROBE_INTERVAL_MS",
    default: "100",
    help: "a backup asks the owner of the units it backs up this often (docs/failover.md)",
    number: true,
    min: 20,
    max: 5_000,
  },
  "owner-probe-misses": {
    env: "IRONLB_OWNER_PROBE_MISSES",
    default: "3",
    help: "unanswered probes in a row after which the backup takes over",
    number: true,
    min: 2,
    max: 50,
  },
  "exclude-interfaces": {
    env: "IRONLB_EXCLUDE_INTERFACES",
    default: DEFAULT_EXCLUDE.join(","),
    help: "comma-separated globs of interfaces never announced on",
  },
  ...L2_TIMING_FLAGS,
  ...BGP_FLAGS,
  ...COMMON_FLAGS,
} as const;

/** Flags and env, checked once: the node name is required, the L2 timings strictly valid. */
function configure(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Result<Parsed<typeof FLAGS> & { node: string; timing: L2Timing }, string> {
  const parsed = parseFlags(FLAGS, argv, env);
  if (!parsed.ok) return parsed;
  const node = parsed.value.values["node-name"];
  if (node === "") return err("--node-name (or METALLB_NODE_NAME) is required");
  const timing = parseL2Timing(parsed.value.values);
  if (!timing.ok) return timing;
  return ok({ ...parsed.value, node, timing: timing.value });
}

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    process.stdout.write(`${usage("ironlb-speaker", FLAGS)}\n`);
    return;
  }
  const parsed = configure(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    process.stderr.write(`ironlb-speaker: ${parsed.error}\n${usage("ironlb-speaker", FLAGS)}\n`);
    process.exitCode = 2;
    return;
  }
  const { node, timing } = parsed.value;
  const flags = parsed.value.values;
  const log = createLogger("speaker", flags["log-level"]).child({ node });
  for (const w of parsed.value.warnings) log.warn(w);
  const renewMs = Number(flags["lease-renew-ms"]);
  let durationMs = Number(flags["lease-duration-ms"]);
  if (durationMs < 2 * renewMs) {
    log.warn(
      `--lease-duration-ms=${durationMs} is under twice the renew interval; using ${2 * renewMs}`,
    );
    durationMs = 2 * renewMs;
  }
  const exclude = flags["exclude-interfaces"]
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

  // Lease renewals, status writes (16 at most), Event creates (8) and BGP status share one agent.
  const kc = loadApiClient(flags.kubeconfig, {
    userAgent: `ironlb-speaker/${ironlbVersion()}`,
    maxSockets: 32,
  });

  const { garpRefreshMs, probeBackoffMaxMs } = timing;
  // Answers ARP/NDP in its own thread, whatever this one is busy with (frame-path-worker.ts).
  const announcer = new FramePath({
    niceness: FRAME_PATH_NICENESS,
    announce: { refreshMs: garpRefreshMs },
    claims: { backoffMaxMs: probeBackoffMaxMs },
    onError: (e) => log.warn(e.message, { iface: e.iface, ip: e.ip, err: describe(e.cause) }),
    onConflict: (c) => speaker.reportConflict(c),
    onReceiver: ({ iface, priority }) =>
      log.info("answering ARP/NDP from a receiving thread per interface", { iface, priority }),
  });
  const lease = new LeaseKeeper(kc, {
    namespace: flags.namespace,
    node,
    timing: { renewMs, durationMs },
    log,
  });
  const metrics = new SpeakerMetrics(node, () => announcer.counters());
  collectDefaultMetrics({ register: metrics.registry }); // heap, external, RSS: docs/benchmarks.md
  // Heap back to the OS after a mass deletion (lib/adapters/heap-trim.ts; needs --expose-gc).
  // The frame path thread has a heap of its own, holding every owned IP too: collected alike.
  const gc = exposedGc();
  const trim = new HeapTrim({
    gc:
      gc &&
      ((): void => {
        gc();
        announcer.collect();
      }),
    trimMalloc: loadMallocTrim(log),
    timers: realTimers,
  });
  const events = new EventRecorder(kc, "metallb-speaker", node);
  const bgp = bgpSide(flags, {
    kc,
    node,
    namespace: flags.namespace,
    log,
    registry: metrics.registry,
  });
  const ownerLeases = new OwnerLeasePoll({
    read: apiLeaseVersion(kc, flags.namespace),
    onRenewed: (owner) => failover.leaseRenewed(owner),
    log,
  });
  const failover = new OwnerProbe({
    node,
    intervalMs: Number(flags["owner-probe-interval-ms"]),
    watch: { ...DEFAULT_OWNER_WATCH, misses: Number(flags["owner-probe-misses"]) },
    metrics: new FailoverMetrics(metrics.registry),
    onChange: () => speaker.replan(),
    onSilent: (owners) => ownerLeases.watch(owners),
    onError: (e) => log.warn(e.message, { iface: e.iface, ip: e.ip, err: describe(e.cause) }),
  });
  const speaker: Speaker = new Speaker({
    kc,
    node,
    namespace: flags.namespace,
    exclude,
    log,
    announcer,
    lease,
    status: new SpeakerStatusWriter(kc, flags.namespace, node),
    events,
    failover,
    onPlan: (plans) => {
      metrics.setPlan(plans);
      trim.observe(plans.size);
    },
    ...(bgp && { onView: (view, nodes) => bgp.setView(view, nodes) }),
  });
  const interfaces = new InterfaceWatcher({
    onChange: (links) => {
      announcer.setInterfaces(links.filter((l) => l.mac));
      failover.setLinks(eligibleInterfaces(links, { exclude }).filter((l) => l.mac));
      lease.setMacs(links.map((l) => l.mac).filter((m) => m && m !== "00:00:00:00:00:00"));
      speaker.setLinks(links);
    },
    onError: (e) => log.warn(e.message),
    exclude,
    intervalMs: 1000, // a link flap is noticed (and its capture reopened) within a second
  });
  const monitoring = new MonitoringServer(metrics.registry, {
    healthy: () => true,
    ready: () => {
      const bgpReady = bgp?.ready() ?? true;
      return bgpReady === true ? speaker.ready() : bgpReady;
    },
  });
  await monitoring.start(flags["metrics-host"], Number(flags["metrics-port"]));
  announcer.start();
  await interfaces.rescan();
  interfaces.start();
  lease.start();
  speaker.start();
  bgp?.start();
  log.info("speaker started", {
    namespace: flags.namespace,
    renewMs,
    durationMs,
    garpRefreshMs,
    probeBackoffMaxMs,
  });

  const shutdown = (signal: string): void => {
    log.info("stopping: handing over at once", { reason: signal });
    const silent = announcer.stop(); // nothing answered any more before the Lease says we left
    trim.stop();
    failover.stop();
    ownerLeases.stop();
    speaker.stop();
    bgp?.stop();
    interfaces.stop();
    void silent
      .then(() => lease.stop())
      .then(() => monitoring.stop())
      .then(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((e: unknown) => {
  process.stderr.write(`ironlb-speaker: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
