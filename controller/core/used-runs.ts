/**
 * The used addresses of one pool range as a sorted list of disjoint, merged runs `[start, end]`,
 * so the lowest free address is found by one binary search, whatever the size of the range.
 *
 * Invariants (`usable` = not skipped by avoidBuggyIPs):
 * - every usable address inside a run is used, and every used address is inside a run;
 * - between two consecutive runs there is at least one usable (hence free) address.
 * The second one makes runs swallow the .0/.255 gaps of an avoidBuggyIPs pool, so a pool filled
 * in order stays one run. The number of runs is at most the number of used addresses.
 * Costs: `lowestFree` and `has` O(log runs); `add`/`remove` O(log runs) search plus one splice.
 */
import type { IpRange } from "../../lib/core/ip.js";
import { firstUsable, isBuggyIp } from "./buggy-ips.js";

export class UsedRuns {
  readonly #starts: bigint[] = [];
  readonly #ends: bigint[] = [];
  readonly #range: IpRange;
  readonly #avoidBuggy: boolean;

  constructor(range: IpRange, avoidBuggy: boolean) {
    this.#range = range;
    this.#avoidBuggy = avoidBuggy;
  }

  get runCount(): number {
    return this.#starts.length;
  }

  /** Whether this range may hand out `value` at all (in range, not a skipped .0/.255). */
  usable(value: bigint): boolean {
    const r = this.#range;
    return value >= r.first && value <= r.last && !(this.#avoidBuggy && isBuggyIp(r.family, value));
  }

  /** The lowest free usable address, or undefined when the range is full. */
  lowestFree(): bigint | undefined {
    let candidate = this.#usableFrom(this.#range.first);
    const i = this.#runAtOrBefore(candidate);
    const end = this.#ends[i];
    // By the second invariant, the first usable address after a run is free.
    if (end !== undefined && end >= candidate) candidate = this.#usableFrom(end + 1n);
    return candidate <= this.#range.last ? candidate : undefined;
  }

  has(value: bigint): boolean {
    const end = this.#ends[this.#runAtOrBefore(value)];
    return end !== undefined && end >= value && this.usable(value);
  }

  /** Marks a free usable address used. Broken invariant (already used, unusable) throws. */
  add(value: bigint): void {
    if (!this.usable(value) || this.has(value)) throw new Error(`cannot mark ${value} used`);
    const i = this.#runAtOrBefore(value);
    const leftEnd = this.#ends[i];
    const rightStart = this.#starts[i + 1];
    const joinsLeft = leftEnd !== undefined && this.#usableFrom(leftEnd + 1n) >= value;
    const joinsRight = rightStart !== undefined && this.#usableFrom(value + 1n) >= rightStart;
    if (joinsLeft && joinsRight) {
      this.#ends[i] = this.#ends[i + 1] ?? value;
      this.#starts.splice(i + 1, 1);
      this.#ends.splice(i + 1, 1);
    } else if (joinsLeft) {
      this.#ends[i] = value;
    } else if (joinsRight) {
      this.#starts[i + 1] = value;
    } else {
      this.#starts.splice(i + 1, 0, value);
      this.#ends.splice(i + 1, 0, value);
    }
  }

  /** Marks a used address free again. Broken invariant (not used) throws. */
  remove(value: bigint): void {
    if (!this.has(value)) throw new Error(`cannot free ${value}: not used`);
    const i = this.#runAtOrBefore(value);
    const start = this.#starts[i] ?? value;
    const end = this.#ends[i] ?? value;
    const starts: bigint[] = [];
    const ends: bigint[] = [];
    // Keep a piece only if it still holds a used (usable) address.
    if (start < value && this.#usableFrom(start) < value) {
      starts.push(start);
      ends.push(value - 1n);
    }
    if (value < end && this.#usableFrom(value + 1n) <= end) {
      starts.push(value + 1n);
      ends.push(end);
    }
    this.#starts.splice(i, 1, ...starts);
    this.#ends.splice(i, 1, ...ends);
  }

  #usableFrom(value: bigint): bigint {
    return firstUsable(value, this.#range.family, this.#avoidBuggy);
  }

  /** Index of the last run starting at or before `value`, or -1. */
  #runAtOrBefore(value: bigint): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#starts[mid] ?? value) <= value) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }
}
