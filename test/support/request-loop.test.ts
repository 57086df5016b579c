import assert from "node:assert/strict";
import { test } from "node:test";
import {
  gapAround,
  longestFailedStretch,
  longestGap,
  restoreTime,
  successRatio,
  type Sample,
} from "./request-loop.js";

/** Samples from `<ms><+|->` tokens, e.g. "0+ 100- 200+". */
const samples = (text: string): Sample[] =>
  text
    .split(" ")
    .filter(Boolean)
    .map((t) => ({
      at: Number(t.slice(0, -1)),
      ok: t.endsWith("+"),
      startedAt: Number(t.slice(0, -1)) - 40,
    }));

const cases: readonly [string, string, number, number, number][] = [
  ["steady traffic: the cadence", "0+ 100+ 200+ 300+ 400+ 500+", 100, 400, 100],
  ["a hole inside the window", "0+ 100+ 200- 300- 400- 500+ 600+", 100, 600, 400],
  ["a hole open before the window", "0+ 100- 200- 300+ 400+", 150, 400, 300],
  ["a hole still open after the window", "0+ 100+ 200- 300- 400+", 100, 250, 300],
  ["nothing after the window", "0+ 100+ 200- 300-", 100, 250, Infinity],
  ["no success before the window: counted from its start", "0- 100- 300+ 400+", 50, 400, 250],
];

for (const [name, text, from, to, want] of cases) {
  test(`longestGap: ${name}`, () => {
    assert.equal(longestGap(samples(text), from, to), want);
  });
}

test("gapAround: the interval between successes that holds the fault", () => {
  const s = samples("0+ 100+ 200- 300- 700+ 800+");
  assert.equal(gapAround(s, 150), 600);
  assert.equal(gapAround(s, 750), 100);
  assert.equal(gapAround(s, 900), Infinity);
});

test("successRatio: only requests ending inside the window", () => {
  const s = samples("0- 100+ 200- 300+ 400+ 500-");
  assert.deepEqual(successRatio(s, 100, 400), { ok: 3, total: 4, ratio: 0.75 });
  assert.deepEqual(successRatio(s, 1000, 2000), { ok: 0, total: 0, ratio: 0 });
});

const stretches: readonly [string, string, number, number, number][] = [
  ["steady traffic: nothing failed", "0+ 100+ 200+ 300+ 400+", 100, 400, 0],
  ["a hole inside the window", "0+ 100+ 200- 300- 400- 500+ 600+", 100, 600, 400],
  ["the client paused (no request at all), then all fine", "0+ 100+ 9100+ 9200+", 50, 9200, 0],
  ["a pause and a failure in the same stretch count", "0+ 100+ 5000- 5100+", 50, 5100, 5000],
  ["a hole open before the window", "0+ 100- 200- 300+ 400+", 150, 400, 300],
  ["nothing succeeded after the window", "0+ 100- 200-", 50, 150, Infinity],
];
for (const [name, text, from, to, want] of stretches) {
  test(`longestFailedStretch: ${name}`, () => {
    assert.equal(longestFailedStretch(samples(text), from, to), want);
  });
}

test("restoreTime: to the end of the first success that started after the fault", () => {
  // Requests take 40 ms (startedAt = at - 40). Fault at 150: the one ending at 180 started at 140.
  assert.equal(restoreTime(samples("100+ 180+ 300- 420+ 500+"), 150), 270);
  assert.equal(restoreTime(samples("100+ 180+ 300-"), 150), Infinity);
});
