/**
 * The used addresses of one pool range as a sorted list of disjoint, merged runs `[start, end]`,
 * so the lowest free address is read from the first run, whatever the size of the range.
 *
 * Invariants (`usable` = not skipped by avoidBuggyIPs):
 * - every usable address inside a run is used, and every used address is inside a run;
 * - between two consecutive runs there is at least one usable (hence free) address.
 * The second one makes runs swallow the .0/.255 gaps of an avoidBuggyIPs pool, so a pool filled
 * in order stays one run. The number of runs is at most the number of used addresses.
 * Costs: `lowestFree` O(1), `has`, `add` and `remove` O(log runs): the runs live in a
 * `SortedRuns` (blocks of fewer than MAX_BLOCK runs), so an update moves the runs of one block
 * (two on a merge), never every run.
 */
import type { IpRange } from "../../lib/core/ip.js";
import { firstUsable, isBuggyIp } from "./buggy-ips.js";
import { type Run, SortedRuns } from "./sorted-runs.js";

export class UsedRuns {
  readonly #runs = new SortedRuns();
  readonly #range: IpRange;
  readonly #avoidBuggy: boolean;

  constructor(range: IpRange, avoidBuggy: boolean) {
    this.#range = range;
    this.#avoidBuggy = avoidBuggy;
  }

  get runCount(): number {
    return this.#runs.size;
  }

  /** Whether this range may hand out `value` at all (in range, not a skipped .0/.255). */
  usable(value: bigint): boolean {
    const r = this.#range;
    return value >= r.first && value <= r.last && !(this.#avoidBuggy && isBuggyIp(r.family, value));
  }

  /** The lowest free usable address, or undefined when the range is full. */
  lowestFree(): bigint | undefined {
    let candidate = this.#usableFrom(this.#range.first);
    const run = this.#runs.first();
    // By the second invariant, the first usable address after a run is free.
    if (run !== undefined && run.start <= candidate && run.end >= candidate) {
      candidate = this.#usableFrom(run.end + 1n);
    }
    return candidate <= this.#range.last ? candidate : undefined;
  }

  has(value: bigint): boolean {
    return this.#runHolding(value) !== undefined;
  }

  /** Marks a free usable address used. Broken invariant (already used, unusable) throws. */
  add(value: bigint): void {
    if (!this.usable(value) || this.has(value)) throw new Error(`cannot mark ${value} used`);
    const left = this.#runs.floor(value);
    const right = this.#runs.higher(value);
    const joinsLeft = left !== undefined && this.#usableFrom(left.end + 1n) >= value;
    const joinsRight = right !== undefined && this.#usableFrom(value + 1n) >= right.start;
    if (joinsLeft && joinsRight) {
      left.end = right.end;
      this.#runs.delete(right.start);
    } else if (joinsLeft) {
      left.end = value;
    } else if (joinsRight) {
      right.start = value;
    } else {
      this.#runs.insert(value, value);
    }
  }

  /** Marks a used address free again. Broken invariant (not used) throws. */
  remove(value: bigint): void {
    const run = this.#runHolding(value);
    if (run === undefined) throw new Error(`cannot free ${value}: not used`);
    const { start, end } = run;
    // Keep a piece only if it still holds a used (usable) address.
    const keepLeft = start < value && this.#usableFrom(start) < value;
    const keepRight = value < end && this.#usableFrom(value + 1n) <= end;
    if (keepLeft) run.end = value - 1n;
    if (keepLeft && keepRight) this.#runs.insert(value + 1n, end);
    else if (keepRight) run.start = value + 1n;
    else if (!keepLeft) this.#runs.delete(start);
  }

  /** The run holding the used address `value`, or undefined when `value` is free or unusable. */
  #runHolding(value: bigint): Run | undefined {
    const run = this.#runs.floor(value);
    return run !== undefined && run.end >= value && this.usable(value) ? run : undefined;
  }

  #usableFrom(value: bigint): bigint {
    return firstUsable(value, this.#range.family, this.#avoidBuggy);
  }
}
