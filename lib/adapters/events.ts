/**
 * core/v1 Events about an object, as `kubectl describe` shows them. With `aggregateWindowMs`,
 * as client-go's recorder does: one Event per object, type and reason per window; repeats within
 * the window raise its `count` (and update its message and `lastTimestamp`) through at most one
 * patch per `flushMs`, instead of one create each.
 */
import type { ApiClient } from "./kube/client.js";
import { resourcePath } from "./kube/paths.js";
import { describe } from "./reflector.js";
import { realTimers, type Timers } from "./work-queue.js";

export interface ObjectRef {
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string | undefined;
}

export type EventType = "Normal" | "Warning";

export interface EventRecorderOptions {
  readonly now?: () => Date;
  /** Repeats of one object's reason within this window update one Event. 0 (default): off. */
  readonly aggregateWindowMs?: number;
  /** Longest a repeat waits to be written. Default 1 s. */
  readonly flushMs?: number;
  readonly timers?: Timers;
  /** A patch of an aggregated Event failed (the recorder is best effort). */
  readonly onError?: (reason: string, err: string) => void;
}

/**
 * Event creates in flight at once; the rest wait their turn. A speaker records one event per
 * Service it starts announcing: 5,000 new Services would otherwise be as many requests at once.
 */
const MAX_IN_FLIGHT = 8;
/** A create that has not answered by then gives its place up (see ./deadline.ts). */
const DEADLINE_MS = 30_000;
const events = (namespace: string, name?: string): string =>
  resourcePath({ group: "", version: "v1", plural: "events", namespace, name });

interface Series {
  /** `namespace/name` of the object. */
  readonly object: string;
  readonly namespace: string;
  readonly first: number;
  /** Name of the Event once created. */
  name: Promise<string | undefined>;
  count: number;
  written: number;
  message: string;
  last: Date;
  flushing: boolean;
}

export class EventRecorder {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Aggregated series by object, type and reason, oldest first. */
  private readonly series = new Map<string, Series>();
  /** Series keys by object (`namespace/name`): `forget` drops a deleted object's at once. */
  private readonly byObject = new Map<string, Set<string>>();
  private readonly timers: Timers;
  private readonly now: () => Date;

  constructor(
    private readonly kc: ApiClient,
    private readonly component: string,
    private readonly instance: string,
    private readonly opts: EventRecorderOptions = {},
  ) {
    this.timers = opts.timers ?? realTimers;
    this.now = opts.now ?? (() => new Date());
  }

  async record(ref: ObjectRef, type: EventType, reason: string, message: string): Promise<void> {
    const window = this.opts.aggregateWindowMs ?? 0;
    if (window <= 0) {
      await this.create(ref, type, reason, message);
      return;
    }
    const now = this.now();
    this.expire(now.getTime() - window);
    const object = `${ref.namespace}/${ref.name}`;
    const key = `${object}/${ref.uid ?? ""}/${type}/${reason}`;
    const known = this.series.get(key);
    if (known) {
      known.count++;
      known.message = message;
      known.last = now;
      this.scheduleFlush(known);
      return;
    }
    const created = this.create(ref, type, reason, message);
    const series: Series = {
      object,
      namespace: ref.namespace,
      first: now.getTime(),
      name: created.catch(() => undefined),
      ...{ count: 1, written: 1, message, last: now, flushing: false },
    };
    this.series.set(key, series);
    this.byObject.set(object, (this.byObject.get(object) ?? new Set<string>()).add(key));
    // A series whose Event was never created starts again with the next repeat.
    void series.name.then((name) => {
      if (name === undefined && this.series.get(key) === series) this.drop(key, series);
    });
    await created;
  }

  /**
   * The object was deleted: its series go now instead of at the end of their window (a new
   * object of that name has another uid, so they could never be repeated). With 5,000 Services
   * deleted they were 4 MiB of heap kept for 10 minutes, or until the next Event.
   */
  forget(namespace: string, name: string): void {
    const object = `${namespace}/${name}`;
    for (const key of this.byObject.get(object) ?? []) this.series.delete(key);
    this.byObject.delete(object);
  }

  private expire(before: number): void {
    for (const [key, s] of this.series) {
      if (s.first >= before) break;
      this.drop(key, s);
    }
  }

  private drop(key: string, s: Series): void {
    this.series.delete(key);
    const keys = this.byObject.get(s.object);
    keys?.delete(key);
    if (keys?.size === 0) this.byObject.delete(s.object);
  }

  private scheduleFlush(s: Series): void {
    if (s.flushing) return;
    s.flushing = true;
    this.timers.setTimeout(() => void this.flush(s), this.opts.flushMs ?? 1_000);
  }

  private async flush(s: Series): Promise<void> {
    const name = await s.name;
    const count = s.count;
    try {
      if (name === undefined || count === s.written) return;
      await this.turn();
      try {
        const body = { count, message: s.message, lastTimestamp: s.last.toISOString() };
        await this.kc.patch(events(s.namespace, name), body, "merge", { deadlineMs: DEADLINE_MS });
        s.written = count;
      } finally {
        this.leave();
      }
    } catch (e) {
      this.opts.onError?.("event count not updated", describe(e));
    } finally {
      s.flushing = false;
      if (s.count !== s.written && name !== undefined) this.scheduleFlush(s);
    }
  }

  /** Resolves holding one of the MAX_IN_FLIGHT places, in order of arrival. */
  private async turn(): Promise<void> {
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private leave(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the place passes straight to the next in line
    else this.inFlight--;
  }

  private async create(
    ref: ObjectRef,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<string | undefined> {
    await this.turn();
    try {
      const now = this.now();
      const body = {
        metadata: { generateName: `${ref.name}.`, namespace: ref.namespace },
        involvedObject: {
          kind: ref.kind,
          apiVersion: ref.apiVersion,
          namespace: ref.namespace,
          name: ref.name,
          ...(ref.uid ? { uid: ref.uid } : {}),
        },
        type,
        reason,
        message,
        source: { component: this.component, host: this.instance },
        reportingComponent: this.component,
        reportingInstance: this.instance,
        firstTimestamp: now.toISOString(),
        lastTimestamp: now.toISOString(),
        count: 1,
      };
      const event = await this.kc.create<{ metadata?: { name?: string } }>(
        events(ref.namespace),
        body,
        { deadlineMs: DEADLINE_MS },
      );
      return event?.metadata?.name;
    } finally {
      this.leave();
    }
  }
}
