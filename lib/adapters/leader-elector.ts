/**
 * Leader election for a replicated IronLB component, after client-go's leaderelection: every
 * retry period read the Lease and act on the pure decision of lib/core/leader-election.ts
 * (create, take over, renew, or wait), each API call with a deadline. The leader that cannot
 * renew for the renew deadline stops leading at once (a timer, so a hung call cannot delay it);
 * stop() releases the Lease (client-go's ReleaseOnCancel) so a standby takes over without
 * waiting for it to expire. Timers and clock are injected.
 */
import {
  type ElectionTiming,
  leadershipLost,
  type LeaseRecord,
  nextStep,
  observe,
  type Observed,
  releasedSpec,
} from "../core/leader-election.js";
import { withDeadline } from "./deadline.js";
import type { LeaseApi } from "./k8s-lease-api.js";
import { describe } from "./reflector.js";
import { realTimers, type Timers } from "./work-queue.js";

export interface ElectorLog {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
}

export interface LeadershipEvents {
  /** This replica now holds the Lease: start the work. */
  onStartedLeading(): void;
  /** This replica no longer holds the Lease: stop writing at once. */
  onStoppedLeading(reason: string): void;
  /** Another holder was seen ("" = nobody). */
  onNewLeader?(holder: string): void;
}

export interface LeaderElectorOptions {
  readonly api: LeaseApi;
  readonly identity: string;
  readonly timing: ElectionTiming;
  readonly events: LeadershipEvents;
  readonly log: ElectorLog;
  readonly timers?: Timers;
  /** Wall clock, ms since the epoch (the Lease's times). Default Date.now. */
  readonly now?: () => number;
}

export class LeaderElector {
  private leading = false;
  private decided = false;
  private stopped = false;
  private observed: Observed | undefined;
  private seenHolder: string | undefined;
  private lastRenewAt = -Infinity;
  private retryTimer: unknown;
  private lossTimer: unknown;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly timers: Timers;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** An attempt got through: this replica knows whether it leads or stands by. */
  get hasDecided(): boolean {
    return this.decided;
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops trying; a leader releases the Lease so a standby takes it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clearTimeout(this.retryTimer);
    await this.inFlight;
    if (!this.leading) return;
    this.lose("stopping");
    try {
      const lease = await this.call(this.opts.api.get(), "read Lease");
      if (lease?.holder !== this.opts.identity) return;
      const spec = releasedSpec(lease, this.now());
      await this.call(this.opts.api.update(spec, lease.resourceVersion), "release Lease");
      this.opts.log.info("leader Lease released");
    } catch (e) {
      this.opts.log.warn("could not release the leader Lease; it expires on its own", {
        err: describe(e),
      });
    }
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.retryTimer = this.timers.setTimeout(() => {
      this.inFlight = this.attempt();
    }, ms);
  }

  private async attempt(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
      this.decided = true;
    } catch (e) {
      const level = this.leading ? "warn" : "info";
      this.opts.log[level]("leader Lease: attempt failed", { err: describe(e) });
    }
    this.schedule(this.opts.timing.retryPeriodMs);
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const { api, identity, timing } = this.opts;
    const lease = await this.call(api.get(), "read Lease");
    if (this.stopped) return;
    const now = this.now();
    if (lease) {
      this.observed = observe(this.observed, lease, now);
      this.noteHolder(lease);
    }
    const step = nextStep({ identity, timing, lease, observed: this.observed, now });
    if (step.kind === "wait") {
      if (this.leading) this.lose(`the Lease is held by ${step.holder}`);
      return;
    }
    if (step.kind === "create") await this.call(api.create(step.spec), "create Lease");
    else await this.call(api.update(step.spec, step.resourceVersion), `${step.kind} Lease`);
    if (this.stopped) return;
    this.renewed(now);
  }

  private renewed(at: number): void {
    this.lastRenewAt = at;
    this.timers.clearTimeout(this.lossTimer);
    const { timing } = this.opts;
    const check = (): void => {
      if (this.leading && leadershipLost(this.lastRenewAt, this.now(), timing)) {
        this.lose(`no renewal for ${timing.renewDeadlineMs} ms`);
      }
    };
    this.lossTimer = this.timers.setTimeout(check, at + timing.renewDeadlineMs - this.now());
    if (this.leading) return;
    this.leading = true;
    this.seenHolder = this.opts.identity;
    this.opts.log.info("became the leader", { holder: this.opts.identity });
    this.opts.events.onStartedLeading();
  }

  private lose(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.timers.clearTimeout(this.lossTimer);
    this.opts.log.warn("stopped leading", { reason });
    this.opts.events.onStoppedLeading(reason);
  }

  private noteHolder(lease: LeaseRecord): void {
    if (lease.holder === this.seenHolder) return;
    this.seenHolder = lease.holder;
    if (lease.holder !== this.opts.identity) this.opts.events.onNewLeader?.(lease.holder);
  }

  private call<T>(p: Promise<T>, what: string): Promise<T> {
    // Only against calls that never settle: the loss timer, not this, ends a leader's term, so a
    // slow but answering apiserver is waited for.
    return withDeadline(p, this.opts.timing.renewDeadlineMs, what, this.timers);
  }
}
