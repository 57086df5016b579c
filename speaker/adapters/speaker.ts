/**
 * The speaker's loop. Reflectors and the Lease watch only mark the view dirty; one recompute
 * turns the view into a plan (pure: one election per announcement unit, the IPs of a Service and
 * of the Services sharing them), the plan into the IPs this node owns with
 * their interfaces, and hands those to the L2 announcer. Status (ServiceL2Status, nodeAssigned)
 * follows ownership changes. While this node cannot renew its Lease (API away), liveness is
 * frozen, so nothing moves and what it owns keeps being announced.
 */
import type {
  KubeConfig,
  V1EndpointSlice,
  V1Lease,
  V1Node,
  V1Service,
} from "@kubernetes/client-node";
import {
  type IPAddressPool,
  type L2Advertisement,
  METALLB_API_VERSION,
  paths,
  type ServiceL2Status,
} from "../../lib/api/metallb.js";
import type { EventRecorder } from "../../lib/adapters/events.js";
import { k8sSource, type ResourceRef } from "../../lib/adapters/k8s-source.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { withDeadline } from "../../lib/adapters/deadline.js";
import { describe, Reflector } from "../../lib/adapters/reflector.js";
import { type IpPlan, ownedBy, planAnnouncements } from "../core/announcements.js";
import { interfacesPerIp, type LinkInfo } from "../core/interface-choice.js";
import { LivenessTracker } from "../core/liveness.js";
import {
  announcedServices,
  statusActions,
  type StatusAction,
  type StatusRecord,
} from "../core/status-plan.js";
import { clusterView, speakerLease } from "./cluster-view.js";
import { ConflictReporter } from "./conflict-reporter.js";
import type { AddressConflictReport, L2Announcer } from "./l2-announcer.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import type { OwnerProbe } from "./owner-probe.js";
import { readStatusRecord, type SpeakerStatusWriter } from "./speaker-status.js";

export interface SpeakerOptions {
  readonly kc: KubeConfig;
  readonly node: string;
  readonly namespace: string;
  readonly exclude: readonly string[];
  readonly log: Logger;
  readonly announcer: L2Announcer;
  readonly lease: LeaseKeeper;
  readonly status: SpeakerStatusWriter;
  readonly events: EventRecorder;
  /** Data-path failure detection (docs/failover.md); without it only Leases move IPs. */
  readonly failover?: OwnerProbe;
  readonly onPlan?: (
    plans: ReadonlyMap<string, IpPlan>,
    owned: ReadonlyMap<string, readonly string[]>,
  ) => void;
}

const MIN_RECOMPUTE_GAP_MS = 20;
/**
 * A pass costs O(IPs) (tens of ms at 5,000 Services): under a flood of events the next one waits
 * this many times as long as the last one took, so the loop spends at most a quarter of its time
 * planning instead of keeping a core busy while Services arrive (scale benchmark).
 */
const RECOMPUTE_GAP_FACTOR = 3;
/**
 * ServiceL2Status writes in flight at once; the rest wait for a later pass (the plan is level-
 * based). Unbounded, 5,000 new Services meant hundreds of writes at once per speaker, queued in
 * the apiserver's priority level with the controller's writes and this speaker's Lease renewals.
 */
const MAX_STATUS_WRITES = 16;
/** A write that has not answered by then gives its place up (see lib/adapters/deadline.ts). */
const STATUS_WRITE_DEADLINE_MS = 30_000;
/**
 * Re-listing everything costs the apiserver the most of anything a speaker does. An overloaded
 * apiserver (429s, slow Lease renewals) makes this node's API health flap every few seconds, and
 * a re-list on each recovery fed the overload (seen with 5,000 Services). So at most one per
 * 30 s; a recovery sooner than that re-lists when the 30 s are up.
 */
const MIN_RESYNC_INTERVAL_MS = 30_000;

type Obj = { metadata?: { name?: string; namespace?: string } };

export class Speaker {
  private readonly reflectors: Reflector<Obj>[] = [];
  private readonly services: Reflector<V1Service>;
  private readonly slices: Reflector<V1EndpointSlice>;
  private readonly nodes: Reflector<V1Node>;
  private readonly pools: Reflector<IPAddressPool>;
  private readonly advertisements: Reflector<L2Advertisement>;
  private readonly leases: Reflector<V1Lease>;
  private readonly statuses: Reflector<ServiceL2Status>;
  /** Services whose ServiceL2Status write is under way (one at a time per Service). */
  private readonly statusWrites = new Set<string>();
  private readonly liveness = new LivenessTracker();
  /** Each holder's MACs as last seen, to tell a Lease event that changes them. */
  private readonly peerMacKeys = new Map<string, string>();
  private links: readonly LinkInfo[] = [];
  private owned = new Map<string, readonly string[]>();
  /** Services this node announces (key -> interfaces), for status and nodeAssigned. */
  private announcing = new Map<string, readonly string[]>();
  private lastOwners = new Map<string, string | undefined>();
  private plans: ReadonlyMap<string, IpPlan> = new Map();
  private scheduled = false;
  private lastRecompute = 0;
  private lastRecomputeMs = 0;
  /** The live set the last pass used (sorted names), to tell a Lease event that changes it. */
  private lastLive = "";
  /** The last pass left ServiceL2Status writes to do: the timer retries them. */
  private statusOwed = false;
  private expiryTimer: NodeJS.Timeout | undefined;
  private apiWasHealthy = true;
  private lastResync = -Infinity;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly conflicts: ConflictReporter;

  constructor(private readonly opts: SpeakerOptions) {
    const { namespace } = opts;
    this.conflicts = new ConflictReporter(opts);
    const ns = { namespace };
    this.services = this.reflect("services", {
      apiVersion: "v1",
      kind: "Service",
      path: paths.services,
    });
    this.slices = this.reflect("endpointslices", {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      path: paths.endpointSlices,
    });
    this.nodes = this.reflect("nodes", { apiVersion: "v1", kind: "Node", path: paths.nodes });
    this.pools = this.reflect("ipaddresspools", {
      apiVersion: METALLB_API_VERSION,
      kind: "IPAddressPool",
      path: paths.pools(namespace),
      ...ns,
    });
    this.advertisements = this.reflect("l2advertisements", {
      apiVersion: METALLB_API_VERSION,
      kind: "L2Advertisement",
      path: paths.l2Advertisements(namespace),
      ...ns,
    });
    this.leases = this.reflect(
      "leases",
      { apiVersion: "coordination.k8s.io/v1", kind: "Lease", path: paths.leases(namespace), ...ns },
      (type, lease) => this.onLease(type, lease),
    );
    this.statuses = this.reflect("servicel2statuses", {
      apiVersion: METALLB_API_VERSION,
      kind: "ServiceL2Status",
      path: paths.l2Statuses(namespace),
      ...ns,
    });
  }

  private reflect<T extends Obj>(
    name: string,
    ref: ResourceRef,
    /** Returns false when the event cannot change the plan (no pass needed). */
    onEvent?: (type: string, obj: T) => boolean,
  ): Reflector<T> {
    const reflector = new Reflector<T>({
      name,
      source: k8sSource<T & { apiVersion?: string; kind?: string }>(this.opts.kc, ref),
      log: this.opts.log.child({ op: "reflector" }),
      handler: {
        onEvent: (type, obj) => {
          if (onEvent?.(type, obj) !== false) this.schedule();
        },
        onSynced: () => this.schedule(),
      },
    });
    this.reflectors.push(reflector);
    return reflector;
  }

  start(): void {
    for (const r of this.reflectors) r.start();
  }

  /** Plans again soon (the data-path watch changed its mind). */
  replan(): void {
    this.schedule();
  }

  /** Ready once every reflector synced (the first plan is then computed). */
  ready(): true | string {
    const waiting = this.reflectors.filter((r) => !r.synced).length;
    return waiting === 0 ? true : `${waiting} watches not synced yet`;
  }

  setLinks(links: readonly LinkInfo[]): void {
    this.links = links;
    this.schedule();
  }

  stop(): void {
    for (const r of this.reflectors) r.stop();
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
  }

  /** Every watch afresh (connections a cut-off left dead), at most once per 30 s. */
  private resyncAll(): void {
    const wait = this.lastResync + MIN_RESYNC_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.resyncTimer ??= setTimeout(() => {
        this.resyncTimer = undefined;
        this.resyncAll();
      }, wait);
      return;
    }
    this.lastResync = Date.now();
    for (const r of this.reflectors) r.resync();
  }

  /**
   * O(1) per renewal (1,000 members renew 200 times a second): only a holder joining or leaving
   * plans again; expiries are the timer's. Peer MACs are recomputed only when a holder's change.
   */
  private onLease(type: string, lease: V1Lease): boolean {
    const seen = speakerLease(lease);
    if (!seen) return false;
    const macs = type === "DELETED" ? [] : seen.macs;
    if ((this.peerMacKeys.get(seen.holder) ?? "") !== macs.join(",")) {
      this.peerMacKeys.set(seen.holder, macs.join(","));
      this.opts.failover?.setPeer(seen.holder, macs);
      this.opts.announcer.setPeerMacs(this.peerMacs());
    }
    if (type === "DELETED") return (this.liveness.forget(seen.holder), true);
    const change = this.liveness.observe(seen, Date.now());
    if (change !== "same") this.opts.failover?.leaseRenewed(seen.holder);
    return change === "joined";
  }

  private liveKey(now: number): string {
    return [...this.liveness.live(now, this.opts.lease.healthy())].sort().join(",");
  }

  private peerMacs(): string[] {
    return this.leases.items().flatMap((l) => {
      const s = speakerLease(l);
      return s && s.holder !== this.opts.node ? s.macs : [];
    });
  }

  /**
   * Coalesces bursts: at most one recompute per turn of the event loop, and at least
   * MIN_RECOMPUTE_GAP_MS apart, so a flood of Service events costs a few plans, not one each.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const gap = Math.max(MIN_RECOMPUTE_GAP_MS, RECOMPUTE_GAP_FACTOR * this.lastRecomputeMs);
    const wait = Math.max(0, this.lastRecompute + gap - Date.now());
    setTimeout(() => {
      this.lastRecompute = Date.now();
      this.scheduled = false;
      try {
        this.recompute();
        this.lastRecomputeMs = Date.now() - this.lastRecompute;
      } catch (e) {
        // A bug in one recompute must not take down the answers for what this node owns.
        this.opts.log.error("recompute failed; keeping the current announcements", {
          err: describe(e),
        });
        this.armExpiry(Date.now());
      }
    }, wait);
  }

  private recompute(): void {
    if (this.reflectors.some((r) => !r.synced)) return;
    const now = Date.now();
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
    const live = new Set(this.liveness.live(now, apiHealthy));
    this.lastLive = [...live].sort().join(",");
    live.add(this.opts.node); // this process is alive by definition, and renewing if it can
    const node = this.opts.node;
    const view = clusterView({
      services: this.services.items(),
      slices: this.slices.items(),
      nodes: this.nodes.items(),
      pools: this.pools.items(),
      advertisements: this.advertisements.items(),
      liveSpeakers: live,
    });
    const full = planAnnouncements(view, this.opts.node);
    const stopped = this.liveness.stopped();
    const silent = this.opts.failover?.update(full, { live, stopped }) ?? new Set<string>();
    const liveSpeakers = new Set([...live].filter((n) => !silent.has(n)));
    const plans = silent.size === 0 ? full : planAnnouncements({ ...view, liveSpeakers }, node);
    this.apply(plans, recovered);
    this.syncStatus(plans, live, apiHealthy);
    this.armExpiry(now);
  }

  /**
   * `recovered`: this node was cut off and is back. Peers may have taken its IPs over meanwhile
   * and clients may cache their MACs, so what it still owns is announced again at once.
   */
  private apply(plans: ReadonlyMap<string, IpPlan>, recovered: boolean): void {
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
    this.opts.announcer.setOwned(owned, { takeovers });
    this.lastOwners = new Map([...plans].map(([ip, p]) => [ip, p.election.winner]));
    this.plans = plans;
    this.owned = owned;
    this.opts.onPlan?.(plans, owned);
  }

  /**
   * Level-based: compares what this node announces with the ServiceL2Status records the cluster
   * holds and writes the difference, so a write lost while cut off, or a record a peer removed
   * after this node took a Service back, is put right on a later pass (one at most 500 ms away).
   */
  private syncStatus(
    plans: ReadonlyMap<string, IpPlan>,
    live: ReadonlySet<string>,
    apiHealthy: boolean,
  ): void {
    const now = announcedServices(plans, this.owned, this.opts.node);
    for (const svc of now.keys()) if (!this.announcing.has(svc)) this.nodeAssigned(svc);
    this.announcing = now;
    if (!apiHealthy) return; // writes would fail; the pass after recovery catches up
    const records = this.statuses
      .items()
      .map(readStatusRecord)
      .filter((r): r is StatusRecord => r !== undefined);
    const services = new Set(
      this.services.items().map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`),
    );
    const actions = statusActions({
      node: this.opts.node,
      announcing: now,
      records,
      services,
      liveSpeakers: live,
    });
    this.statusOwed = actions.length > 0;
    for (const action of actions) void this.writeStatus(action);
  }

  private async writeStatus(action: StatusAction): Promise<void> {
    if (this.statusWrites.has(action.service)) return;
    if (this.statusWrites.size >= MAX_STATUS_WRITES) return; // a later pass does it
    this.statusWrites.add(action.service);
    const [namespace = "", name = ""] = action.service.split("/");
    try {
      const write =
        action.kind === "claim"
          ? this.opts.status.claim({ namespace, name }, action.interfaces)
          : this.opts.status.remove({ namespace, name }, action.node);
      await withDeadline(write, STATUS_WRITE_DEADLINE_MS, `${action.kind} ${action.service}`);
    } catch (e) {
      this.opts.log.warn(`could not ${action.kind} the announcement status; retrying`, {
        service: action.service,
        reason: action.reason,
        err: describe(e),
      });
    } finally {
      this.statusWrites.delete(action.service);
    }
  }

  private nodeAssigned(key: string): void {
    const [namespace = "", name = ""] = key.split("/");
    const uid = this.services.get(key)?.metadata?.uid;
    const takeover = this.opts.failover?.reasonOf(key);
    const from = `announcing from node "${this.opts.node}" with protocol "layer2"`;
    const message = takeover ? `${from}, taking over: ${takeover}` : from;
    this.opts.log.info(message, { service: key, reason: "nodeAssigned" });
    this.opts.events
      .record(
        { kind: "Service", apiVersion: "v1", namespace, name, uid },
        "Normal",
        "nodeAssigned",
        message,
      )
      .catch((e: unknown) => {
        this.opts.log.warn("event not recorded", { service: key, err: describe(e) });
      });
  }

  /** A foreign MAC claims an IP this node probes or announces: say so on every Service using it. */
  reportConflict(c: AddressConflictReport): void {
    const services = (this.plans.get(c.ip)?.services ?? []).map((key) => ({
      key,
      uid: this.services.get(key)?.metadata?.uid,
    }));
    this.conflicts.report(c, services);
  }

  /** Recompute when the next peer Lease would expire without a renewal. */
  private armExpiry(now: number): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    const next = this.liveness.nextExpiry(now);
    const healthCheck = now + 500; // also notices our own API health changing
    const at = next === undefined ? healthCheck : Math.min(next, healthCheck);
    this.expiryTimer = setTimeout(() => this.onTimer(), Math.max(10, at - now + 5));
    this.expiryTimer.unref();
  }

  /**
   * A pass only when something may have changed without an event: the live set (a deadline
   * passed, the view froze or thawed), this node's API health, or status writes still owed.
   */
  private onTimer(): void {
    const now = Date.now();
    const healthChanged = this.opts.lease.healthy() !== this.apiWasHealthy;
    if (healthChanged || this.statusOwed || this.liveKey(now) !== this.lastLive) this.schedule();
    else this.armExpiry(now);
  }
}
