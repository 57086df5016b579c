/**
 * Differential tests: `UsedRuns` (and the `SortedRuns` blocks under it) against a plain set of
 * used addresses, with every answer computed by a linear scan, over thousands of seeded random
 * adds and removes. The phases fill the range up and drain it again, so the run list grows to
 * several blocks (splits) and shrinks back to none (merges).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mulberry32, type Random } from "../../lib/core/random.js";
import { MAX_BLOCK, MIN_BLOCK, SortedRuns } from "./sorted-runs.js";
import { UsedRuns } from "./used-runs.js";

const FIRST = 0x0a000000n + 3n; // 10.0.0.3: starts after a .0, ends before a .255
const SIZE = 1_500;
const LAST = FIRST + BigInt(SIZE - 1);
const STEPS = 12_000;
/** Chance that a step adds rather than removes, per phase of STEPS / 6 steps. */
const ADD_CHANCE = [0.7, 0.3, 0.9, 0.1, 0.55, 0.45];

/** The oracle: a Set and linear scans, written without the structure's arithmetic. */
class Oracle {
  readonly used = new Set<bigint>();
  constructor(readonly avoidBuggy: boolean) {}

  usable(v: bigint): boolean {
    const low = Number(v % 256n);
    return v >= FIRST && v <= LAST && !(this.avoidBuggy && (low === 0 || low === 255));
  }

  lowestFree(): bigint | undefined {
    for (let v = FIRST; v <= LAST; v++) if (this.usable(v) && !this.used.has(v)) return v;
    return undefined;
  }

  /** Maximal runs of used addresses; unusable addresses between two used ones join them. */
  runs(): { start: bigint; end: bigint }[] {
    const out: { start: bigint; end: bigint }[] = [];
    let open = false;
    for (let v = FIRST; v <= LAST; v++) {
      if (this.used.has(v)) {
        const last = out[out.length - 1];
        if (open && last) last.end = v;
        else out.push({ start: v, end: v });
        open = true;
      } else if (this.usable(v)) {
        open = false;
      }
    }
    return out;
  }
}

const pick = (random: Random): bigint => FIRST - 2n + BigInt(Math.floor(random() * (SIZE + 4)));

function differential(seed: number, avoidBuggy: boolean): void {
  const random = mulberry32(seed);
  const oracle = new Oracle(avoidBuggy);
  const runs = new UsedRuns({ family: "IPv4", first: FIRST, last: LAST }, avoidBuggy);
  let maxRuns = 0;
  for (let step = 0; step < STEPS; step++) {
    const chance = ADD_CHANCE[Math.floor((step * ADD_CHANCE.length) / STEPS)] ?? 0.5;
    const at = `seed ${seed}, avoidBuggy ${avoidBuggy}, step ${step}`;
    if (random() < chance) {
      // Add: mostly the lowest free address (as the allocator does), else a random one.
      const v = random() < 0.2 ? oracle.lowestFree() : pick(random);
      if (v === undefined) continue;
      if (oracle.usable(v) && !oracle.used.has(v)) {
        runs.add(v);
        oracle.used.add(v);
      } else {
        assert.throws(() => runs.add(v), /cannot mark/, `${at}: add ${v}`);
      }
    } else {
      const v = pick(random);
      if (oracle.used.has(v)) {
        runs.remove(v);
        oracle.used.delete(v);
      } else {
        assert.throws(() => runs.remove(v), /cannot free/, `${at}: remove ${v}`);
      }
    }
    const expected = oracle.runs();
    maxRuns = Math.max(maxRuns, expected.length);
    assert.equal(runs.lowestFree(), oracle.lowestFree(), `${at}: lowestFree`);
    assert.equal(runs.runCount, expected.length, `${at}: runCount`);
    if (step % 25 === 0) {
      for (let v = FIRST - 2n; v <= LAST + 2n; v++) {
        assert.equal(runs.has(v), oracle.used.has(v), `${at}: has(${v})`);
      }
    }
  }
  // The walk went through several blocks of runs, and back.
  assert.ok(maxRuns > 300, `only ${maxRuns} runs at most`);
}

for (const avoidBuggy of [false, true]) {
  test(`UsedRuns matches a Set of used addresses (avoidBuggyIPs ${avoidBuggy})`, () => {
    differential(0x5eed + (avoidBuggy ? 1 : 0), avoidBuggy);
  });
}

test("SortedRuns matches a sorted array: floor, higher, and every run in order", () => {
  const random = mulberry32(0x50f7);
  const runs = new SortedRuns();
  const oracle: bigint[] = []; // starts; each run is [start, start]
  for (let step = 0; step < 20_000; step++) {
    // Fill to about 80% of 2,000 starts, then drain to about 3%, and again.
    const phase = Math.floor(step / 2_500) % 2 === 0 ? 0.8 : 0.03;
    const v = BigInt(Math.floor(random() * 2_000));
    const has = oracle.includes(v);
    const adds = random() < phase;
    if (adds && !has) {
      runs.insert(v, v);
      oracle.push(v);
      oracle.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    } else if (!adds && has) {
      runs.delete(v);
      oracle.splice(oracle.indexOf(v), 1);
    } else if (!has) {
      assert.throws(() => runs.delete(v), /no run starts/);
    } else {
      assert.throws(() => runs.insert(v, v), /exists already/);
    }
    const q = BigInt(Math.floor(random() * 2_002)) - 1n;
    const floor = oracle.filter((s) => s <= q).pop();
    const higher = oracle.find((s) => s > q);
    assert.equal(runs.floor(q)?.start, floor, `step ${step}: floor(${q})`);
    assert.equal(runs.higher(q)?.start, higher, `step ${step}: higher(${q})`);
    assert.equal(runs.size, oracle.length, `step ${step}: size`);
    if (step % 50 === 0) {
      assert.deepEqual(
        [...runs].map((r) => r.start),
        oracle,
        `step ${step}: runs in order`,
      );
      // Every block holds MIN_BLOCK to MAX_BLOCK - 1 runs, except a lone block (1 or more).
      const n = oracle.length;
      const fewest = Math.ceil(n / (MAX_BLOCK - 1));
      const most = n === 0 ? 0 : Math.max(1, Math.floor(n / MIN_BLOCK));
      assert.ok(runs.blockCount >= fewest && runs.blockCount <= most, `step ${step}: blocks`);
    }
  }
});
