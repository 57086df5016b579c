import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualTimers } from "./testing/manual-timers.js";
import { exposedGc, HeapTrim } from "./heap-trim.js";

/** A step: advance the clock by `after` ms, then report `size` (or nothing when undefined). */
type Step = readonly [after: number, size: number | undefined];

const cases: readonly { name: string; steps: readonly Step[]; gcAt: readonly number[] }[] = [
  {
    name: "5,000 deleted: one collection once the size settled for 5 s",
    steps: [
      [0, 5_000],
      [1_000, 0],
      [4_999, undefined],
      [1, undefined],
      [60_000, 0],
    ],
    gcAt: [6_000],
  },
  {
    name: "a drop to more than half the peak: none",
    steps: [
      [0, 5_000],
      [0, 2_501],
      [60_000, undefined],
    ],
    gcAt: [],
  },
  {
    name: "a drop of fewer than 1,000 entries: none, even to zero",
    steps: [
      [0, 999],
      [0, 0],
      [60_000, undefined],
    ],
    gcAt: [],
  },
  {
    name: "the Services come back before the size settled: none",
    steps: [
      [0, 5_000],
      [0, 0],
      [3_000, 5_000],
      [60_000, undefined],
    ],
    gcAt: [],
  },
  {
    name: "a deletion in steps: the next collection waits 30 s after the previous one",
    steps: [
      [0, 5_000],
      [0, 2_000],
      [6_000, 0],
      [60_000, undefined],
    ],
    gcAt: [5_000, 35_000],
  },
  {
    name: "a new peak after a collection is measured from the size at that collection",
    steps: [
      [0, 4_000],
      [0, 0],
      [10_000, 1_500],
      [40_000, 200],
      [60_000, undefined],
    ],
    gcAt: [5_000, 55_000],
  },
];

for (const c of cases) {
  test(`heap trim: ${c.name}`, () => {
    const timers = new ManualTimers();
    const gcAt: number[] = [];
    const trim = new HeapTrim({ gc: () => gcAt.push(timers.now()), timers });
    for (const [after, size] of c.steps) {
      timers.advance(after);
      if (size !== undefined) trim.observe(size);
    }
    assert.deepEqual(gcAt, c.gcAt);
  });
}

test("heap trim: without --expose-gc nothing is scheduled", () => {
  const timers = new ManualTimers();
  const trim = new HeapTrim({ gc: undefined, timers });
  trim.observe(5_000);
  trim.observe(0);
  assert.equal(timers.pending, 0);
});

test("heap trim: stop cancels a pending collection", () => {
  const timers = new ManualTimers();
  let runs = 0;
  const trim = new HeapTrim({ gc: () => runs++, timers });
  trim.observe(5_000);
  trim.observe(0);
  trim.stop();
  timers.advance(60_000);
  assert.equal(runs, 0);
});

test("heap trim: the C heap is trimmed right after each full collection, not before", () => {
  const timers = new ManualTimers();
  const calls: string[] = [];
  const trim = new HeapTrim({
    gc: () => calls.push(`gc@${timers.now()}`),
    trimMalloc: () => calls.push(`malloc_trim@${timers.now()}`) > 0,
    timers,
  });
  trim.observe(5_000);
  trim.observe(0);
  timers.advance(4_999);
  assert.deepEqual(calls, []);
  timers.advance(1);
  assert.deepEqual(calls, ["gc@5000", "malloc_trim@5000"]);
});

test("heap trim: the exposed gc is two full collections in a row, none without --expose-gc", () => {
  const saved = globalThis.gc;
  try {
    let calls = 0;
    globalThis.gc = (() => void calls++) as typeof globalThis.gc;
    const gc = exposedGc();
    assert.ok(gc);
    gc();
    assert.equal(calls, 2);
    globalThis.gc = undefined;
    assert.equal(exposedGc(), undefined);
  } finally {
    globalThis.gc = saved;
  }
});
