/**
 * Publishes the speakers' membership (docs/failover.md, "Slow path: membership"): the leader
 * watches the speakers' Leases and keeps ONE object, the ConfigMap `ironlb-speaker-members`,
 * which every speaker watches instead of the Leases. The decision is pure
 * (../core/member-book.ts); this only feeds it events and the clock and writes what it says:
 * only when the list changes (a join, a MAC change, a Lease deleted or run out), changes within
 * `windowMs` coalesced into one write. It watches the object too: the list a previous term
 * published seeds this one, and an object edited or deleted by someone else is written again.
 */
import type { V1ConfigMap, V1Lease } from "@kubernetes/client-node";
import type { Logger } from "../../lib/adapters/logger.js";
import { describe, Reflector, type ListWatchSource } from "../../lib/adapters/reflector.js";
import { realTimers, type TimerHandle, type Timers } from "../../lib/adapters/timers.js";
import { slimSpeakerLease, speakerLease } from "../../lib/api/speaker-lease.js";
import { decodeMembers, MEMBERS_KEY, MEMBERS_NAME } from "../../lib/api/speaker-members.js";
import { due, MemberBook } from "../core/member-book.js";

/** Writes the object (the port; K8sMembersStore against the apiserver, a fake in tests). */
export interface MembersStore {
  /** Creates the object (`exists` false) or replaces its data. */
  write(text: string, exists: boolean): Promise<void>;
}

export interface MemberPublisherOptions {
  readonly leases: ListWatchSource<V1Lease>;
  readonly object: ListWatchSource<V1ConfigMap>;
  readonly store: MembersStore;
  readonly log: Logger;
  readonly timers?: Timers;
  /** Changes within this window make one write (SIGTERM handover must stay <= 250 ms). */
  readonly windowMs?: number;
}

const WINDOW_MS = 50;
/** A failed write is tried again after this long. */
const RETRY_MS = 1_000;

export class MemberPublisher {
  private readonly timers: Timers;
  private readonly leases: Reflector<V1Lease>;
  private readonly object: Reflector<V1ConfigMap>;
  private book: MemberBook | undefined;
  private leasesListed = false;
  /** The text this term last wrote, until the object shows something else. */
  private written: string | undefined;
  private flushTimer: TimerHandle | undefined;
  private expiryTimer: TimerHandle | undefined;
  /** A member's deadline passed: the next Lease event may drop it. */
  private overdue = false;
  private writing = false;
  private stopped = false;

  constructor(private readonly opts: MemberPublisherOptions) {
    this.timers = opts.timers ?? realTimers;
    const log = opts.log.child({ op: "reflector" });
    this.object = new Reflector<V1ConfigMap>({
      ...{ name: "speaker-members", source: opts.object, log },
      handler: {
        onEvent: (type, obj) => this.onObject(type, obj),
        onSynced: () => this.onObjectSynced(),
      },
    });
    this.leases = new Reflector<V1Lease>({
      ...{ name: "speaker-leases", source: opts.leases, log, slim: slimSpeakerLease },
      handler: {
        onEvent: (type, lease) => this.onLease(type, lease),
        onSynced: () => this.onLeasesSynced(),
      },
    });
  }

  start(): void {
    this.stopped = false;
    this.object.start();
  }

  stop(): void {
    this.stopped = true;
    this.object.stop();
    this.leases.stop();
    for (const t of [this.flushTimer, this.expiryTimer]) if (t) this.timers.clearTimeout(t);
    this.flushTimer = this.expiryTimer = undefined;
  }

  private published(): V1ConfigMap | undefined {
    return this.object.items().find((o) => o.metadata?.name === MEMBERS_NAME);
  }

  /** The first list of the object seeds the term's book; then the Leases are listed. */
  private onObjectSynced(): void {
    if (this.book) return;
    const data = this.published()?.data;
    const decoded = data && decodeMembers(data);
    if (decoded && !decoded.ok) this.opts.log.warn(`${MEMBERS_NAME}: ${decoded.error}; ignored`);
    this.book = new MemberBook(decoded?.ok ? decoded.value : undefined);
    this.leases.start();
  }

  /** The object changed: ours arriving, or someone else's edit (written again). */
  private onObject(type: string, obj: V1ConfigMap): void {
    if (type === "DELETED" || obj.data?.[MEMBERS_KEY] !== this.written) {
      this.written = undefined;
      this.schedule();
    }
  }

  private onLease(type: string, lease: V1Lease): void {
    const seen = speakerLease(lease);
    const book = this.book;
    if (!seen || !book) return;
    const now = this.timers.now();
    if (type === "DELETED") {
      // A graceful stop: its handover is the SIGTERM figure, so it is not held for the window.
      book.deleted(seen.holder, now);
      this.schedule(0);
      return;
    }
    if (book.observe(seen, now, !this.leasesListed) === "changed" || this.overdue) this.schedule();
  }

  private onLeasesSynced(): void {
    // A later list follows a watch error: the time the watch was blind does not count.
    if (this.leasesListed) this.book?.resynced(this.timers.now());
    this.leasesListed = true;
    this.schedule();
  }

  private schedule(delay = this.opts.windowMs ?? WINDOW_MS): void {
    if (this.flushTimer || this.stopped || !this.leasesListed) return;
    this.flushTimer = this.timers.setTimeout(() => void this.flush(), delay);
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const book = this.book;
    if (!book || this.stopped) return;
    if (this.writing) return this.schedule();
    const now = this.timers.now();
    this.overdue = book.overdue(now);
    this.armExpiry(book.nextExpiry(now), now);
    const existing = this.published();
    const text = due(book.list(now), this.written ?? existing?.data?.[MEMBERS_KEY]);
    if (text === undefined) return;
    this.writing = true;
    try {
      await this.opts.store.write(text, existing !== undefined);
      this.written = text;
      const members = (JSON.parse(text) as { members: unknown[] }).members.length;
      this.opts.log.info("speaker membership written", { op: "members", members });
    } catch (e) {
      this.opts.log.warn("could not write the speaker membership; retrying", {
        ...{ op: "members", err: describe(e) },
      });
      this.schedule(RETRY_MS);
    } finally {
      this.writing = false;
    }
  }

  private armExpiry(at: number | undefined, now: number): void {
    if (this.expiryTimer) this.timers.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (at === undefined || this.stopped) return;
    this.expiryTimer = this.timers.setTimeout(
      () => {
        this.expiryTimer = undefined;
        this.schedule(0);
      },
      at - now + 1,
    );
  }
}
