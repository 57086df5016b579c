/**
 * A sorted list of disjoint runs `[start, end]` kept in blocks of fewer than MAX_BLOCK runs, so an
 * update moves the entries of one block (two on a merge, plus one entry of the block list on a
 * split or a merge): finding a run is a binary search over the blocks' first starts, then one
 * inside a block.
 * Costs: `floor`/`higher` O(log runs), `insert`/`delete` O(log runs + MAX_BLOCK + runs/MIN_BLOCK
 * pointer moves on a split or merge only).
 *
 * The caller keeps the runs disjoint (`insert` only refuses a start that exists already), and may
 * change a run's `start`/`end` in place as long as the order of runs is kept (start <= end,
 * end < next start).
 */

export interface Run {
  start: bigint;
  end: bigint;
}

/** A block is split in two halves when it reaches this size. */
export const MAX_BLOCK = 128;
/** A block this small after a delete is merged with a neighbour. */
export const MIN_BLOCK = 16;

export class SortedRuns {
  /** Non-empty blocks, each sorted by start, blocks in order. */
  readonly #blocks: Run[][] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get blockCount(): number {
    return this.#blocks.length;
  }

  first(): Run | undefined {
    return this.#blocks[0]?.[0];
  }

  /** The last run starting at or before `value`. */
  floor(value: bigint): Run | undefined {
    const b = this.#blockAtOrBefore(value);
    const block = this.#blocks[b];
    return block === undefined ? undefined : block[runAtOrBefore(block, value)];
  }

  /** The first run starting after `value`. */
  higher(value: bigint): Run | undefined {
    const b = Math.max(this.#blockAtOrBefore(value), 0);
    const block = this.#blocks[b];
    if (block === undefined) return undefined;
    const i = runAtOrBefore(block, value) + 1;
    return i < block.length ? block[i] : this.#blocks[b + 1]?.[0];
  }

  /** Adds a run; its start must not be a run's start already. */
  insert(start: bigint, end: bigint): void {
    const run: Run = { start, end };
    const b = Math.max(this.#blockAtOrBefore(start), 0);
    const block = this.#blocks[b];
    if (block === undefined) {
      this.#blocks.push([run]);
      this.#size++;
      return;
    }
    const i = runAtOrBefore(block, start);
    if (block[i]?.start === start) throw new Error(`run starting at ${start} exists already`);
    block.splice(i + 1, 0, run);
    this.#size++;
    if (block.length >= MAX_BLOCK) {
      this.#blocks.splice(b + 1, 0, block.splice(block.length >> 1));
    }
  }

  /** Removes the run starting at `start` (throws when there is none). */
  delete(start: bigint): void {
    const b = this.#blockAtOrBefore(start);
    const block = this.#blocks[b];
    const i = block === undefined ? -1 : runAtOrBefore(block, start);
    if (block === undefined || block[i]?.start !== start) {
      throw new Error(`no run starts at ${start}`);
    }
    block.splice(i, 1);
    this.#size--;
    if (block.length >= MIN_BLOCK) return;
    // Merge with the next block (or into the previous one for the last block).
    const left = b + 1 < this.#blocks.length ? b : b - 1;
    const a = this.#blocks[left];
    const c = this.#blocks[left + 1];
    if (a === undefined || c === undefined) {
      if (block.length === 0) this.#blocks.splice(b, 1);
      return;
    }
    a.push(...c);
    this.#blocks.splice(left + 1, 1);
    if (a.length >= MAX_BLOCK) this.#blocks.splice(left + 1, 0, a.splice(a.length >> 1));
  }

  /** Every run in order (tests, diagnostics). */
  *[Symbol.iterator](): IterableIterator<Run> {
    for (const block of this.#blocks) yield* block;
  }

  /** Index of the last block whose first run starts at or before `value`, or -1. */
  #blockAtOrBefore(value: bigint): number {
    let lo = 0;
    let hi = this.#blocks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const first = this.#blocks[mid]?.[0];
      if (first !== undefined && first.start <= value) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }
}

/** Index of the last run in `block` starting at or before `value`, or -1. */
function runAtOrBefore(block: readonly Run[], value: bigint): number {
  let lo = 0;
  let hi = block.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const run = block[mid];
    if (run !== undefined && run.start <= value) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}
