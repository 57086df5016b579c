import assert from "node:assert/strict";
import { test } from "node:test";
import { LivenessTracker } from "./liveness.js";

const lease = (holder: string, renewTime: string) => ({ holder, renewTime, durationMs: 1500 });
const names = (s: ReadonlySet<string>) => [...s].sort();

test("a speaker is live while renewals keep arriving, on this node's clock", () => {
  const t = new LivenessTracker();
  t.observe(lease("node1", "r1"), 0);
  t.observe(lease("node2", "r1"), 0);
  assert.deepEqual(names(t.live(1000, true)), ["node1", "node2"]);
  t.observe(lease("node1", "r2"), 1000);
  t.observe(lease("node2", "r1"), 1000); // same renewTime again: not a renewal
  assert.deepEqual(names(t.live(1600, true)), ["node1"]);
  assert.equal(t.nextExpiry(1600), 2500);
});

test("a deleted Lease ends liveness at once", () => {
  const t = new LivenessTracker();
  t.observe(lease("node1", "r1"), 0);
  t.forget("node1");
  assert.deepEqual(names(t.live(1, true)), []);
});

test("while the API is unhealthy the view is frozen, and nobody expires for the outage", () => {
  const t = new LivenessTracker();
  t.observe(lease("node1", "r1"), 0);
  t.observe(lease("node2", "r1"), 0);
  assert.deepEqual(names(t.live(500, false)), ["node1", "node2"]);
  assert.deepEqual(names(t.live(60_000, false)), ["node1", "node2"]);
  // Back: peers get a fresh duration to show renewals before they can expire.
  assert.deepEqual(names(t.live(60_001, true)), ["node1", "node2"]);
  t.observe(lease("node1", "r2"), 61_000);
  assert.deepEqual(names(t.live(61_600, true)), ["node1"]);
});
