/** The speaker's Prometheus metrics, MetalLB's names, fed from the announcer's counters. */
import { Counter, Gauge, Registry } from "prom-client";
import type { AnnouncerCounters } from "./announcer-counters.js";
import type { IpPlan } from "../core/announcements.js";

export class SpeakerMetrics {
  readonly registry = new Registry();
  /**
   * Registered first, so its `collect` reads the announcer's counters before any counter is
   * written out: a scrape shows what happened up to that scrape, not up to the one before.
   */
  private readonly announced = new Gauge({
    name: "metallb_speaker_announced",
    help: "Services being announced from this node (1 per announced IP and service)",
    labelNames: ["ip", "node", "protocol", "service"],
    registers: [this.registry],
    collect: () => this.sync(this.read()),
  });
  private readonly perIp = {
    requestsReceived: this.counter(
      "metallb_layer2_requests_received",
      "Number of layer2 requests received for owned IPs",
    ),
    responsesSent: this.counter(
      "metallb_layer2_responses_sent",
      "Number of layer2 responses sent for owned IPs",
    ),
    gratuitousSent: this.counter(
      "metallb_layer2_gratuitous_sent",
      "Number of gratuitous layer2 packets sent for owned IPs",
    ),
  };
  /** By our IP and phase, never by foreign MAC: series bounded by the IPs this node owned. */
  private readonly conflicts = new Counter({
    name: "ironlb_speaker_address_conflicts_total",
    help: "Frames from a foreign MAC claiming an IP this node probes or announces, by IP and phase",
    labelNames: ["ip", "phase"],
    registers: [this.registry],
  });
  private readonly defenses = this.counter(
    "ironlb_speaker_address_defenses_total",
    "Announcements sent to defend an announced IP against a foreign claim (at most 1 per 10 s)",
  );
  private readonly drops = new Counter({
    name: "ironlb_speaker_frames_dropped_total",
    help: "Received ARP/NDP frames not answered, by reason",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  private last: AnnouncerCounters | undefined;

  constructor(
    private readonly node: string,
    /** The announcer's counters, read when Prometheus scrapes. */
    private readonly read: () => AnnouncerCounters,
  ) {
    const last = (): AnnouncerCounters | undefined => this.last;
    new Gauge({
      name: "ironlb_speaker_frames_received",
      help: "ARP/NDP frames that passed the kernel filter since start",
      registers: [this.registry],
      collect() {
        this.set(last()?.framesReceived ?? 0);
      },
    });
  }

  private counter(name: string, help: string): Counter<"ip"> {
    return new Counter({ name, help, labelNames: ["ip"], registers: [this.registry] });
  }

  setPlan(plans: ReadonlyMap<string, IpPlan>): void {
    this.announced.reset();
    for (const plan of plans.values()) {
      if (plan.election.winner !== this.node) continue;
      for (const service of plan.services) {
        this.announced.set({ ip: plan.ip, node: this.node, protocol: "layer2", service }, 1);
      }
    }
  }

  private sync(now: AnnouncerCounters): void {
    const before = this.last;
    this.last = now;
    for (const key of ["requestsReceived", "responsesSent", "gratuitousSent"] as const) {
      grown(now[key], before?.[key], (ip, delta) => this.perIp[key].inc({ ip }, delta));
    }
    grown(now.conflicts, before?.conflicts, (key, delta) => {
      const [ip = "", phase = ""] = key.split("|");
      this.conflicts.inc({ ip, phase }, delta);
    });
    grown(now.defensesSent, before?.defensesSent, (ip, delta) => this.defenses.inc({ ip }, delta));
    grown(now.drops, before?.drops, (reason, delta) => this.drops.inc({ reason }, delta));
  }
}

/** Calls `inc` with each key's growth since `before` (monotonic counters read at each scrape). */
function grown(
  now: Readonly<Record<string, number | undefined>>,
  before: Readonly<Record<string, number | undefined>> | undefined,
  inc: (key: string, delta: number) => void,
): void {
  for (const [key, n] of Object.entries(now)) {
    const delta = (n ?? 0) - (before?.[key] ?? 0);
    if (delta > 0) inc(key, delta);
  }
}
