import assert from "node:assert/strict";
import { test } from "node:test";
import { RateGate } from "./rate-gate.js";
import { ManualTimers } from "../../lib/adapters/testing/manual-timers.js";

test("one pass per key per interval; the next pass tells how many were refused", () => {
  const timers = new ManualTimers();
  const gate = new RateGate(timers, 60_000);
  const seen: [number, string, number | undefined][] = [];
  const at = (t: number, key: string) => {
    timers.advance(t - timers.now());
    seen.push([t, key, gate.admit(key)]);
  };
  at(0, "a");
  at(1, "a");
  at(2, "b");
  at(59_999, "a");
  at(60_000, "a");
  at(60_001, "a");
  assert.deepEqual(seen, [
    [0, "a", 0],
    [1, "a", undefined],
    [2, "b", 0],
    [59_999, "a", undefined],
    [60_000, "a", 2],
    [60_001, "a", undefined],
  ]);
});

test("hold closes a key for longer, or opens it sooner", () => {
  const timers = new ManualTimers();
  const gate = new RateGate(timers, 2000);
  assert.equal(gate.admit("a"), 0);
  gate.hold("a", 60_000);
  timers.advance(2000);
  assert.equal(gate.admit("a"), undefined);
  gate.hold("a", 0);
  assert.equal(gate.admit("a"), 1);
});

test("a flood over many keys keeps the table bounded by the keys still closed", () => {
  const timers = new ManualTimers();
  const gate = new RateGate(timers, 10);
  for (let i = 0; i < 10_000; i++) {
    timers.advance(1);
    assert.equal(gate.admit(`k${i}`), 0);
  }
  assert.ok(gate.size <= 257, `${gate.size} keys remembered`);
  assert.equal(gate.admit("k9999"), undefined, "the newest is still closed");
  timers.advance(10);
  assert.equal(gate.admit("k0"), 0, "long open again");
});
