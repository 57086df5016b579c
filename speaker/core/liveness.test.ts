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
  t.observe(lease("node1", "r2"), 1550); // an event (not a renewal) after node2's deadline
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
  t.observe(lease("node1", "r3"), 61_600);
  assert.deepEqual(names(t.live(61_600, true)), ["node1"]);
});

test("a Lease past its deadline stays live until the API shows something newer", () => {
  // The apiserver dies just after this node's own last renewal (at 300), while the last renewal
  // of node2 it saw is older (0): node2's deadline (1500) comes while this node still counts as
  // healthy, and no event arrives after it.
  const t = new LivenessTracker();
  t.observe(lease("node2", "r1"), 0);
  t.observe(lease("self", "r1"), 300);
  assert.deepEqual(names(t.live(1600, true)), ["node2", "self"]);
  assert.deepEqual(names(t.live(5000, true)), ["node2", "self"]);
  // The API answers again and node2 did not renew: now it is gone.
  t.observe(lease("self", "r2"), 5100);
  assert.deepEqual(names(t.live(5100, true)), ["self"]);
});

test("an event before the deadline does not end a Lease", () => {
  const t = new LivenessTracker();
  t.observe(lease("node2", "r1"), 0);
  t.observe(lease("self", "r1"), 1499);
  assert.deepEqual(names(t.live(1500, true)), ["node2", "self"]);
  t.observe(lease("self", "r2"), 1500);
  assert.deepEqual(names(t.live(1500, true)), ["self"]);
});

test("observe tells a renewal of a live holder from a holder joining, and remembers stops", () => {
  const t = new LivenessTracker();
  assert.equal(t.observe(lease("node1", "r1"), 0), "joined");
  assert.equal(t.observe(lease("node1", "r1"), 100), "same");
  assert.equal(t.observe(lease("node1", "r2"), 500), "renewed");
  assert.equal(t.observe(lease("node1", "r3"), 500 + 1500), "joined", "at its deadline (1.5 s)");
  t.forget("node1");
  assert.deepEqual([...t.stopped()], ["node1"]);
  assert.equal(t.observe(lease("node1", "r4"), 3000), "joined");
  assert.deepEqual([...t.stopped()], []);
});
