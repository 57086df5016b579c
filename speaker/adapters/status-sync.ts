/**
 * Status follows ownership. Level-based: each pass compares what this node announces with the
 * ServiceL2Status records the cluster holds and writes the difference (status-plan.ts), so a
 * write lost while cut off, or a record a peer removed after this node took a Service back, is
 * put right on a later pass. A `nodeAssigned` event goes out when this node starts announcing a
 * Service. Writes are bounded (MAX_WRITES in flight, one per Service) and each has a deadline,
 * on the injected timers.
 */
import type { EventRecorder } from "../../lib/adapters/events.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { describe } from "../../lib/adapters/reflector.js";
import type { IpPlan } from "../core/announcements.js";
import {
  announcedServices,
  statusActions,
  type StatusAction,
  type StatusRecord,
} from "../core/status-plan.js";
import type { SpeakerStatusWriter } from "./speaker-status.js";
import { realTimers, type Timers } from "../../lib/adapters/timers.js";

/**
 * ServiceL2Status writes in flight at once; the rest wait for a later pass (the plan is level-
 * based). Unbounded, 5,000 new Services meant hundreds of writes at once per speaker, queued in
 * the apiserver's priority level with the controller's writes and this speaker's Lease renewals.
 */
export const MAX_STATUS_WRITES = 16;
/** A write that has not answered by then gives its place up (see lib/adapters/deadline.ts). */
export const STATUS_WRITE_DEADLINE_MS = 30_000;

export interface StatusSyncOptions {
  readonly node: string;
  readonly log: Logger;
  readonly status: Pick<SpeakerStatusWriter, "claim" | "remove">;
  readonly events: Pick<EventRecorder, "record">;
  /** The uid of a Service the caches hold (events name it). */
  readonly uidOf: (key: string) => string | undefined;
  readonly timers?: Timers;
  /** Why this node took a Service over, when it did (the `nodeAssigned` message names it). */
  readonly takeoverReason?: (key: string) => string | undefined;
  /**
   * Resolves once what this node last announced is in force where frames are answered (the
   * frame path's `applied()`): each write waits for it, so the cluster hears of a release only
   * once nothing here answers for the IP any more.
   */
  readonly applied?: () => Promise<void>;
}

export interface StatusInput {
  readonly plans: ReadonlyMap<string, IpPlan>;
  /** IP -> interfaces this node answers on. */
  readonly owned: ReadonlyMap<string, readonly string[]>;
  readonly records: readonly StatusRecord[];
  /** Keys of every Service in the cluster. */
  readonly services: ReadonlySet<string>;
  readonly liveSpeakers: ReadonlySet<string>;
  readonly apiHealthy: boolean;
}

const split = (key: string): { namespace: string; name: string } => {
  const [namespace = "", name = ""] = key.split("/");
  return { namespace, name };
};

export class StatusSync {
  /** Services this node announces (key -> interfaces). */
  private announcing = new Map<string, readonly string[]>();
  /** Services whose write is under way (one at a time per Service). */
  private readonly writes = new Set<string>();
  private readonly timers: Timers;

  constructor(private readonly opts: StatusSyncOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  /** One pass. True when writes are still owed (a later pass must come even without events). */
  sync(input: StatusInput): boolean {
    const now = announcedServices(input.plans, input.owned, this.opts.node);
    for (const svc of now.keys()) if (!this.announcing.has(svc)) this.nodeAssigned(svc);
    this.announcing = now;
    if (!input.apiHealthy) return false; // writes would fail; the pass after recovery catches up
    const actions = statusActions({
      node: this.opts.node,
      announcing: now,
      records: input.records,
      services: input.services,
      liveSpeakers: input.liveSpeakers,
    });
    for (const action of actions) void this.write(action);
    return actions.length > 0;
  }

  /** Writes under way (for tests and metrics). */
  get inFlight(): number {
    return this.writes.size;
  }

  private async write(action: StatusAction): Promise<void> {
    if (this.writes.has(action.service)) return;
    if (this.writes.size >= MAX_STATUS_WRITES) return; // a later pass does it
    this.writes.add(action.service);
    const svc = split(action.service);
    let timer: ReturnType<Timers["setTimeout"]> | undefined;
    // The deadline covers the wait for the frame path as well as the call: a slot held by a wait
    // that never ends would be lost for good (MAX_STATUS_WRITES stuck slots stop every write).
    const expired = new Promise<never>((_, reject) => {
      timer = this.timers.setTimeout(() => {
        const ms = STATUS_WRITE_DEADLINE_MS;
        reject(new Error(`${action.kind} ${action.service}: not done within ${ms} ms`));
      }, STATUS_WRITE_DEADLINE_MS);
    });
    const attempt = async (): Promise<void> => {
      if (this.opts.applied) await this.opts.applied();
      await (action.kind === "claim"
        ? this.opts.status.claim(svc, action.interfaces)
        : this.opts.status.remove(svc, action.node));
    };
    try {
      await Promise.race([attempt(), expired]);
    } catch (e) {
      this.opts.log.warn(`could not ${action.kind} the announcement status; retrying`, {
        service: action.service,
        reason: action.reason,
        err: describe(e),
      });
    } finally {
      if (timer) this.timers.clearTimeout(timer);
      this.writes.delete(action.service);
    }
  }

  private nodeAssigned(key: string): void {
    const from = `announcing from node "${this.opts.node}" with protocol "layer2"`;
    const takeover = this.opts.takeoverReason?.(key);
    const message = takeover ? `${from}, taking over: ${takeover}` : from;
    this.opts.log.info(message, { service: key, reason: "nodeAssigned" });
    const ref = { kind: "Service", apiVersion: "v1", ...split(key), uid: this.opts.uidOf(key) };
    this.opts.events.record(ref, "Normal", "nodeAssigned", message).catch((e: unknown) => {
      this.opts.log.warn("event not recorded", { service: key, err: describe(e) });
    });
  }
}
