import assert from "node:assert/strict";
import { test } from "node:test";
import { OwnerWatch } from "./owner-watch.js";

const target = { owner: "node1", ip: "198.18.0.200", ips: new Set(["198.18.0.200"]) };
const OPTS = { misses: 3, graceMs: 1000, holdMs: 1000 };

/** Runs ticks every 100 ms from `from`; returns the time of the first tick that reported a change. */
function ticksUntilChange(w: OwnerWatch, from: number, n: number): number | undefined {
  for (let i = 0; i < n; i++) {
    const at = from + i * 100;
    if (w.tick(at).changed) return at;
  }
  return undefined;
}

test("an owner that answered once is silent after 3 unanswered probes in a row", () => {
  const w = new OwnerWatch(OPTS);
  w.setTargets([target], 0);
  w.tick(0);
  w.heard("node1", 50);
  // probes at 100, 200, 300 go unanswered; the tick at 400 counts the third miss
  assert.equal(ticksUntilChange(w, 100, 10), 400);
  assert.deepEqual([...w.silent()], ["node1"]);
  assert.equal(w.lastAnswerAt("node1"), 50);
});

test("answers between probes keep the owner alive", () => {
  const w = new OwnerWatch(OPTS);
  w.setTargets([target], 0);
  for (let t = 0; t < 2000; t += 100) {
    assert.equal(w.tick(t).changed, false, `tick ${t}`);
    if (t % 300 !== 200) w.heard("node1", t + 10); // one probe in three lost: never 3 in a row
  }
  assert.equal(w.silent().size, 0);
});

test("a new owner that never answered gets the grace period first", () => {
  const w = new OwnerWatch(OPTS);
  w.setTargets([target], 0);
  // misses count from 1000 ms: ticks at 1000, 1100, 1200 count, 1200 is the third
  assert.equal(ticksUntilChange(w, 0, 30), 1200);
});

test("hearing the owner ends the takeover at once", () => {
  const w = new OwnerWatch(OPTS);
  w.setTargets([target], 0);
  w.heard("node1", 0);
  ticksUntilChange(w, 100, 10);
  assert.equal(w.heard("node1", 2000), true);
  assert.equal(w.silent().size, 0);
  assert.equal(w.heard("node1", 2010), false, "no change the second time");
});

test("partition: a Lease renewal seen holdMs after the takeover holds it off until heard", () => {
  const w = new OwnerWatch(OPTS);
  w.setTargets([target], 0);
  w.heard("node1", 0);
  const at = ticksUntilChange(w, 100, 10) ?? -1;
  assert.equal(w.leaseRenewed("node1", at + 500), false, "a renewal too close to the takeover");
  assert.deepEqual([...w.silent()], ["node1"]);
  assert.equal(w.leaseRenewed("node1", at + 1000), true);
  assert.equal(w.silent().size, 0);
  assert.equal(ticksUntilChange(w, at + 1100, 50), undefined, "held off: no takeover again");
  w.heard("node1", at + 6000);
  assert.equal(ticksUntilChange(w, at + 6100, 10), at + 6400, "heard again: watched afresh");
});

test("an owner no longer watched is no longer silent", () => {
  const w = new OwnerWatch(OPTS);
  w.setTargets([target], 0);
  w.heard("node1", 0);
  ticksUntilChange(w, 100, 10);
  assert.equal(w.setTargets([], 1000), true);
  assert.equal(w.silent().size, 0);
  assert.equal(w.ownerOf("198.18.0.200"), undefined);
});
