/**
 * Failover as the new owner saw it: a histogram of the time from the last answer it heard from
 * the old owner to its own first announcement, and takeovers counted by reason
 * (../core/failover/takeover-reason.ts).
 */
import { Counter, Histogram, type Registry } from "prom-client";
import type { TakeoverReason } from "../core/failover/takeover-reason.js";

/** From 50 ms to 30 s: data-path takeovers land under 1 s, Lease expiries near the duration. */
const BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 5, 10, 20, 30];

export class FailoverMetrics {
  private readonly duration: Histogram<"reason">;
  private readonly takeovers: Counter<"reason">;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: "ironlb_speaker_failover_duration_seconds",
      help: "Takeovers by this node: from the last answer heard from the old owner to the first announcement",
      labelNames: ["reason"],
      buckets: BUCKETS,
      registers: [registry],
    });
    this.takeovers = new Counter({
      name: "ironlb_speaker_takeovers_total",
      help: "Announcement units this node took over from another node, by reason",
      labelNames: ["reason"],
      registers: [registry],
    });
  }

  /** One unit taken over; `seconds` undefined when the old owner was never heard (not watched). */
  record(reason: TakeoverReason, seconds: number | undefined): void {
    this.takeovers.inc({ reason });
    if (seconds !== undefined) this.duration.observe({ reason }, seconds);
  }
}
