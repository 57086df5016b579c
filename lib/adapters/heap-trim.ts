/**
 * Gives heap back to the OS after a process's caches shrank a lot (a mass deletion of Services).
 *
 * V8 collects its old generation only when allocation pushes it to. After 5,000 Services are
 * deleted an idle controller or speaker allocates almost nothing, so the dead records, and the
 * heap pages they fill, stay in RSS (measured before this: controller 179 MiB 15 s after deleting
 * 5,000 Services against 62 MiB idle; docs/benchmarks.md). The binaries run with `--expose-gc`
 * (chart, manifests, Dockerfile, lab): `observe(size)` is told the size of the caches (addresses
 * in use, planned IPs) and, once the size has settled for `settleMs`, asks V8 for one full
 * collection when it fell to at most half of its peak since the last collection and by at least
 * `minDrop` entries; at most once per `minGapMs`. A full collection of a 150 MiB heap blocks the
 * event loop for about 0.1 s, so it is kept to these large drops. Without `gc` it does nothing.
 *
 * Right after that collection `trimMalloc` (malloc_trim(0), lib/adapters/malloc-trim.ts) gives
 * back the C heap's free pages: glibc keeps chunks freed by V8's off-heap allocations, libuv and
 * OpenSSL in its arenas, which is what stayed in RSS above idle once the V8 heap had shrunk.
 */
import type { TimerHandle, Timers } from "./timers.js";

export type HeapTrimOptions = {
  /** `globalThis.gc` (present with `--expose-gc`). */
  readonly gc: (() => void) | undefined;
  /** Gives the C heap's free pages back to the OS, after `gc` (`loadMallocTrim()`). */
  readonly trimMalloc?: (() => boolean) | undefined;
  readonly timers: Timers;
  /** Quiet time after the last change before deciding (ms). */
  readonly settleMs?: number;
  /** Smallest drop from the peak (entries) worth a collection. */
  readonly minDrop?: number;
  /** Least time between two collections (ms). */
  readonly minGapMs?: number;
  readonly onTrim?: (from: number, to: number) => void;
};

/**
 * `globalThis.gc` as two synchronous full collections in a row, when node runs with
 * `--expose-gc`. One collection frees the dead records but leaves the survivors on pages it
 * found mostly full before it ran; the second sees those pages sparse and compacts them, so the
 * heap V8 keeps committed shrinks back instead of creeping up after every mass deletion. Node 20's
 * `gc()` takes no options (V8 11.3: no "last-resort" flavour), so this is how to ask for it.
 * bench/support/gc-churn.ts (5,000 records deleted per round, a few long-lived ones kept): one
 * collection left 7.7 / 8.5 / 9.2 MiB committed after rounds 1 to 3, two 7.5 / 7.7 / 8.0; the
 * second costs 9 to 25 ms (docs/benchmarks.md, controller memory).
 */
export function exposedGc(): (() => void) | undefined {
  const gc = globalThis.gc;
  return (
    gc &&
    ((): void => {
      gc();
      gc();
    })
  );
}

export class HeapTrim {
  private peak = 0;
  private size = 0;
  private lastGc = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | undefined;
  private readonly settleMs: number;
  private readonly minDrop: number;
  private readonly minGapMs: number;

  constructor(private readonly opts: HeapTrimOptions) {
    this.settleMs = opts.settleMs ?? 5_000;
    this.minDrop = opts.minDrop ?? 1_000;
    this.minGapMs = opts.minGapMs ?? 30_000;
  }

  /** The caches now hold `size` entries. */
  observe(size: number): void {
    this.size = size;
    this.peak = Math.max(this.peak, size);
    if (!this.opts.gc || !this.worthIt()) return this.cancel();
    const now = this.opts.timers.now();
    const at = Math.max(now + this.settleMs, this.lastGc + this.minGapMs);
    this.cancel();
    this.timer = this.opts.timers.setTimeout(() => this.trim(), at - now);
  }

  stop(): void {
    this.cancel();
  }

  private worthIt(): boolean {
    return this.peak - this.size >= this.minDrop && this.size * 2 <= this.peak;
  }

  private trim(): void {
    this.timer = undefined;
    if (!this.worthIt()) return;
    this.opts.gc?.();
    this.opts.trimMalloc?.();
    this.lastGc = this.opts.timers.now();
    this.opts.onTrim?.(this.peak, this.size);
    this.peak = this.size;
  }

  private cancel(): void {
    if (this.timer) this.opts.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
