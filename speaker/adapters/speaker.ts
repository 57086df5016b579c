/**
 * The speaker's loop, wiring only. The caches (speaker-caches.ts) and the membership only ask
 * for a pass; one pass turns the cached records into a plan (pure: one election per announcement
 * unit, the IPs of a Service and of the Services sharing them), the plan into the IPs this node
 * owns with their interfaces for the L2 announcer, and hands ownership to status sync
 * (status-sync.ts). While the API is away no membership change arrives, so nothing moves and
 * what this node owns keeps being announced. Every timer is on the injected Timers.
 */
import type { V1Node } from "@kubernetes/client-node";
import type { ApiClient } from "../../lib/adapters/kube/client.js";
import type { EventRecorder } from "../../lib/adapters/events.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { describe } from "../../lib/adapters/reflector.js";
import { type ClusterView, type IpPlan, ownedBy } from "../core/announcements.js";
import { IncrementalPlanner } from "../core/incremental-plan.js";
import { interfacesPerIp, type LinkInfo, sameInterfacesPerIp } from "../core/interface-choice.js";
import { ConflictReporter } from "./conflict-reporter.js";
import type { LinkLayer } from "./frame-path.js";
import type { AddressConflictReport, L2Announcer } from "./l2-announcer.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import { Membership } from "./membership.js";
import type { OwnerProbe } from "./owner-probe.js";
import { apiSource, type SourceFor, SpeakerCaches } from "./speaker-caches.js";
import type { SpeakerStatusWriter } from "./speaker-status.js";
import { StatusSync } from "./status-sync.js";
import { realTimers, type TimerHandle, type Timers } from "../../lib/adapters/timers.js";

export interface SpeakerOptions {
  readonly kc: ApiClient;
  readonly node: string;
  readonly namespace: string;
  readonly exclude: readonly string[];
  readonly log: Logger;
  /** The frame path (frame-path.ts): status writes wait for its `applied()`. */
  readonly announcer: Pick<L2Announcer, "setOwned" | "setPeerMacs"> & {
    readonly applied?: LinkLayer["applied"];
  };
  readonly lease: Pick<LeaseKeeper, "healthy">;
  readonly status: Pick<SpeakerStatusWriter, "claim" | "remove" | "recordConflict">;
  readonly events: Pick<EventRecorder, "record">;
  /** Every pass's election input, for the BGP side (speaker/adapters/bgp). */
  readonly onView?: (view: ClusterView, nodes: readonly V1Node[]) => void;
  /** Data-path failure detection (docs/failover.md); without it only Leases move IPs. */
  readonly failover?: Pick<OwnerProbe, "setPeer" | "update" | "tookOver" | "reasonOf">;
  readonly onPlan?: (
    plans: ReadonlyMap<string, IpPlan>,
    owned: ReadonlyMap<string, readonly string[]>,
  ) => void;
  /** Lists and watches (default: the API server of `kc`). */
  readonly source?: SourceFor;
  readonly timers?: Timers;
}

const MIN_RECOMPUTE_GAP_MS = 20;
/**
 * A pass costs O(IPs) (tens of ms at 5,000 Services): under a flood of events the next one waits
 * this many times as long as the last one took, so the loop spends at most a quarter of its time
 * planning instead of keeping a core busy while Services arrive (scale benchmark).
 */
const RECOMPUTE_GAP_FACTOR = 3;
/** Without events, a pass this often still notices this node's own API health changing. */
const HEALTH_CHECK_MS = 500;
/**
 * A re-list costs the apiserver the most of anything a speaker does, and one per API-health
 * flap fed an overloaded apiserver (5,000 Services): at most one per 30 s.
 */
const MIN_RESYNC_INTERVAL_MS = 30_000;

export class Speaker {
  private readonly caches: SpeakerCaches;
  private readonly statusSync: StatusSync;
  private readonly conflicts: ConflictReporter;
  private readonly membership: Membership;
  private readonly planner: IncrementalPlanner;
  /** The live set (this node included) the planner last planned with. */
  private plannedLive = "";
  private readonly timers: Timers;
  private links: readonly LinkInfo[] = [];
  private lastOwners = new Map<string, string | undefined>();
  /** What the announcer was last given: the same again is not sent (its acknowledgement gates status writes). */
  private lastOwned: ReadonlyMap<string, readonly string[]> = new Map();
  private plans: ReadonlyMap<string, IpPlan> = new Map();
  private scheduled = false;
  private lastRecompute = -Infinity;
  private lastRecomputeMs = 0;
  /** The last pass left ServiceL2Status writes to do: the timer retries them. */
  private statusOwed = false;
  private expiryTimer: TimerHandle | undefined;
  private passTimer: TimerHandle | undefined;
  private apiWasHealthy = true;
  private lastResync = -Infinity;
  private resyncTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly opts: SpeakerOptions) {
    this.timers = opts.timers ?? realTimers;
    const { node, log, events } = opts;
    const timers = this.timers;
    this.conflicts = new ConflictReporter({ node, log, events, status: opts.status, timers });
    this.planner = new IncrementalPlanner(node);
    this.membership = new Membership({
      node,
      announcer: opts.announcer,
      failover: opts.failover,
      log,
    });
    this.caches = new SpeakerCaches({
      inputs: this.planner,
      source: opts.source ?? apiSource(opts.kc),
      namespace: opts.namespace,
      log,
      onChange: () => this.schedule(),
      onMembers: (type, obj) => this.membership.onObject(type, obj),
    });
    this.statusSync = new StatusSync({
      ...{ node, log, events, status: opts.status, timers },
      uidOf: (key) => this.caches.uidOf(key),
      takeoverReason: (key) => opts.failover?.reasonOf(key),
      ...(opts.announcer.applied && {
        applied: () => opts.announcer.applied?.() ?? Promise.resolve(),
      }),
    });
  }

  start(): void {
    this.stopped = false;
    this.caches.start();
  }

  /** Plans again soon (the data-path watch changed its mind). */
  replan(): void {
    this.schedule();
  }

  /** Ready once every cache synced (the first plan is then computed). */
  ready(): true | string {
    const waiting = this.caches.waiting();
    return waiting === 0 ? true : `${waiting} watches not synced yet`;
  }

  setLinks(links: readonly LinkInfo[]): void {
    this.links = links;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.caches.stop();
    for (const t of [this.expiryTimer, this.resyncTimer, this.passTimer]) {
      if (t) this.timers.clearTimeout(t);
    }
    this.expiryTimer = this.resyncTimer = this.passTimer = undefined;
    this.scheduled = false;
  }

  /** Every watch afresh (connections a cut-off left dead), at most once per 30 s. */
  private resyncAll(): void {
    const wait = this.lastResync + MIN_RESYNC_INTERVAL_MS - this.timers.now();
    if (wait > 0) {
      this.resyncTimer ??= this.timers.setTimeout(() => {
        this.resyncTimer = undefined;
        this.resyncAll();
      }, wait);
      return;
    }
    this.lastResync = this.timers.now();
    this.caches.resync();
  }

  /**
   * Coalesces bursts: at most one recompute per turn of the event loop, and at least
   * MIN_RECOMPUTE_GAP_MS apart, so a flood of Service events costs a few plans, not one each.
   */
  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    const gap = Math.max(MIN_RECOMPUTE_GAP_MS, RECOMPUTE_GAP_FACTOR * this.lastRecomputeMs);
    const wait = Math.max(0, this.lastRecompute + gap - this.timers.now());
    this.passTimer = this.timers.setTimeout(() => this.pass(), wait);
  }

  private pass(): void {
    this.passTimer = undefined;
    this.lastRecompute = this.timers.now();
    this.scheduled = false;
    try {
      this.recompute();
      this.lastRecomputeMs = this.timers.now() - this.lastRecompute;
    } catch (e) {
      // A bug in one recompute must not take down the answers for what this node owns.
      this.opts.log.error("recompute failed; keeping the current announcements", {
        err: describe(e),
      });
      this.armCheck();
    }
  }

  private recompute(): void {
    if (this.caches.waiting() > 0) return;
    const apiHealthy = this.opts.lease.healthy();
    const recovered = apiHealthy && !this.apiWasHealthy;
    if (apiHealthy !== this.apiWasHealthy) {
      this.apiWasHealthy = apiHealthy;
      const msg = apiHealthy
        ? "apiserver reachable again: re-listing everything"
        : "apiserver unreachable: keeping current owners";
      this.opts.log.warn(msg);
      // Watches opened before the outage may sit on dead connections: start them afresh.
      if (apiHealthy) this.resyncAll();
    }
    // The published members; this node only once the list names it (membership.ts).
    const live = new Set(this.membership.live());
    const full = this.planWith(live);
    // Owners the data path found silent leave this node's elections (docs/failover.md); they are
    // judged on the plan they still win, so the full plan is made first.
    const stopped = this.membership.stopped();
    const silent = this.opts.failover?.update(full, { live, stopped }) ?? new Set<string>();
    const plans =
      silent.size === 0 ? full : this.planWith(new Set([...live].filter((n) => !silent.has(n))));
    this.opts.onView?.(this.planner.view(), this.caches.nodeItems());
    const owned = this.apply(plans, recovered);
    this.statusOwed = this.statusSync.sync({
      ...{ plans, owned, liveSpeakers: live, apiHealthy },
      records: this.caches.statusRecords(),
      services: this.caches.serviceKeys(),
    });
    this.armCheck();
  }

  /**
   * `recovered`: this node was cut off and is back. Peers may have taken its IPs over meanwhile
   * and clients may cache their MACs, so what it still owns is announced again at once.
   */
  private apply(
    plans: ReadonlyMap<string, IpPlan>,
    recovered: boolean,
  ): Map<string, readonly string[]> {
    const owned = interfacesPerIp(ownedBy(plans, this.opts.node), this.links, this.opts.exclude);
    const takeovers = [...owned.keys()].filter((ip) => {
      const before = this.lastOwners.get(ip);
      return recovered || (before !== undefined && before !== this.opts.node);
    });
    if (recovered) this.opts.announcer.setOwned(new Map()); // re-arm the gratuitous schedule
    this.opts.failover?.tookOver(
      takeovers.flatMap((ip) => {
        const previous = this.lastOwners.get(ip);
        if (previous === undefined || previous === this.opts.node) return [];
        if (plans.get(ip)?.unit !== ip) return []; // one per unit: its key is its lowest IP
        return [{ ip, previous, services: plans.get(ip)?.services ?? [] }];
      }),
    );
    if (recovered || takeovers.length > 0 || !sameInterfacesPerIp(owned, this.lastOwned)) {
      this.opts.announcer.setOwned(owned, { takeovers });
      this.lastOwned = owned;
    }
    this.lastOwners = new Map([...plans].map(([ip, p]) => [ip, p.election.winner]));
    this.plans = plans;
    this.opts.onPlan?.(plans, owned);
    return owned;
  }

  /** The plan with `live` as the live set (every election again when it changed). */
  private planWith(live: ReadonlySet<string>): ReadonlyMap<string, IpPlan> {
    const liveKey = [...live].sort().join(",");
    if (this.caches.takeSharedChange() || liveKey !== this.plannedLive) {
      this.planner.setShared(this.caches.shared(live)); // enters every election: all again
      this.plannedLive = liveKey;
    }
    return this.planner.plan();
  }

  /** A foreign MAC claims an IP this node probes or announces: say so on every Service using it. */
  reportConflict(c: AddressConflictReport): void {
    const services = (this.plans.get(c.ip)?.services ?? []).map((key) => ({
      key,
      uid: this.caches.uidOf(key),
    }));
    this.conflicts.report(c, services);
  }

  /** Look again soon: this node's API health, status writes owed. */
  private armCheck(): void {
    if (this.expiryTimer) this.timers.clearTimeout(this.expiryTimer);
    if (this.stopped) return;
    this.expiryTimer = this.timers.setTimeout(() => this.onTimer(), HEALTH_CHECK_MS);
  }

  /**
   * A pass only when something may have changed without an event: this node's API health, or
   * status writes still owed (membership changes come as events).
   */
  private onTimer(): void {
    this.expiryTimer = undefined;
    const healthChanged = this.opts.lease.healthy() !== this.apiWasHealthy;
    if (healthChanged || this.statusOwed) this.schedule();
    else this.armCheck();
  }
}
