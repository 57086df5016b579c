/**
 * When to send gratuitous ARP / unsolicited NA, as pure state driven by `now` (ms).
 * On becoming owner of a key (an IP, or "ip%iface" when the caller schedules per interface) the
 * first send is due at once, then every `intervalMs` while less than `durationMs` has passed since
 * the start: MetalLB's defaults, 1.1 s for 5 s, give sends at 0, 1.1, 2.2, 3.3 and 4.4 s. Losing
 * ownership stops the sends at once. With `refreshMs` > 0 an owned key is also announced every
 * `refreshMs` since the start, for as long as it stays owned (networks whose switches forget a
 * MAC before the router's ARP cache does, MetalLB issue 2910); 0, the default, is off. The shell
 * calls `due(now)` after `onOwned` and whenever `nextWakeup()` passes, and sends one
 * announcement per returned key.
 */

export interface AnnounceOptions {
  readonly intervalMs: number;
  readonly durationMs: number;
  /** Periodic refresh after (and beside) the burst; 0 = none. */
  readonly refreshMs: number;
}

export const DEFAULT_ANNOUNCE_OPTIONS: AnnounceOptions = {
  intervalMs: 1100,
  durationMs: 5000,
  refreshMs: 0,
};

interface Burst {
  readonly start: number;
  /** The next send; undefined once the burst is over and no refresh is set (owned, quietly). */
  next: number | undefined;
}

export class AnnounceSchedule {
  readonly #options: AnnounceOptions;
  readonly #owned = new Map<string, Burst>();

  constructor(options: Partial<AnnounceOptions> = {}) {
    const merged = { ...DEFAULT_ANNOUNCE_OPTIONS, ...options };
    if (!(Number.isFinite(merged.intervalMs) && merged.intervalMs > 0)) {
      throw new RangeError(`intervalMs must be a positive number, got ${merged.intervalMs}`);
    }
    if (!(Number.isFinite(merged.durationMs) && merged.durationMs >= 0)) {
      throw new RangeError(`durationMs must be a number >= 0, got ${merged.durationMs}`);
    }
    if (!(Number.isFinite(merged.refreshMs) && merged.refreshMs >= 0)) {
      throw new RangeError(`refreshMs must be a number >= 0 (0: off), got ${merged.refreshMs}`);
    }
    this.#options = merged;
  }

  /** Starts a burst for a key not owned yet (returns true); a key already owned is left alone. */
  onOwned(key: string, now: number): boolean {
    if (this.#owned.has(key)) return false;
    this.#owned.set(key, { start: now, next: now });
    return true;
  }

  /** Restarts the burst of an owned key, e.g. after its interface came back up. */
  restart(key: string, now: number): boolean {
    if (!this.#owned.has(key)) return false;
    this.#owned.set(key, { start: now, next: now });
    return true;
  }

  /** Stops everything for the key at once; returns whether it was owned. */
  onLost(key: string): boolean {
    return this.#owned.delete(key);
  }

  isOwned(key: string): boolean {
    return this.#owned.has(key);
  }

  /** Owned keys, in the order they were acquired. */
  owned(): string[] {
    return [...this.#owned.keys()];
  }

  /**
   * Keys with a send due at `now`, each once, and advances them. After a late wakeup the missed
   * slots are not replayed: the next send is the first slot after `now`.
   */
  due(now: number): string[] {
    const keys: string[] = [];
    for (const [key, burst] of this.#owned) {
      if (burst.next === undefined || burst.next > now) continue;
      keys.push(key);
      burst.next = this.#slotAfter(burst.start, now);
    }
    return keys;
  }

  /** When `due` next returns something, or undefined when no send is pending. */
  nextWakeup(): number | undefined {
    let earliest: number | undefined;
    for (const { next } of this.#owned.values()) {
      if (next !== undefined && (earliest === undefined || next < earliest)) earliest = next;
    }
    return earliest;
  }

  /** The first burst or refresh slot after `now`. */
  #slotAfter(start: number, now: number): number | undefined {
    const { intervalMs, durationMs, refreshMs } = this.#options;
    const burst = nextMultiple(start, intervalMs, now);
    const refresh = refreshMs > 0 ? nextMultiple(start, refreshMs, now) : Infinity;
    const next = Math.min(burst - start < durationMs ? burst : Infinity, refresh);
    return next === Infinity ? undefined : next;
  }
}

/** The first `start + k * step` (k >= 1) after `now`. */
function nextMultiple(start: number, step: number, now: number): number {
  return start + (Math.floor((now - start) / step) + 1) * step;
}
