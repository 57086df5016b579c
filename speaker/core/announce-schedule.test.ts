import assert from "node:assert/strict";
import { test } from "node:test";
import { AnnounceSchedule } from "./announce-schedule.js";

/** Calls due() at each instant and records what was sent when. */
function run(schedule: AnnounceSchedule, times: number[]): [number, string[]][] {
  return times.map((now) => [now, schedule.due(now)]);
}

test("with MetalLB's defaults an owner announces at 0, 1.1, 2.2, 3.3 and 4.4 s", () => {
  const schedule = new AnnounceSchedule();
  assert.equal(schedule.onOwned("198.18.0.200", 10_000), true);
  const sent: number[] = [];
  for (let now = 10_000; now <= 20_000; now += 100) {
    if (schedule.due(now).length > 0) sent.push(now - 10_000);
  }
  assert.deepEqual(sent, [0, 1100, 2200, 3300, 4400]);
  assert.equal(schedule.nextWakeup(), undefined);
  assert.equal(schedule.isOwned("198.18.0.200"), true, "still owned after the burst");
});

test("nextWakeup names the next due instant across keys", () => {
  const schedule = new AnnounceSchedule({ intervalMs: 1000, durationMs: 3000 });
  assert.equal(schedule.nextWakeup(), undefined);
  schedule.onOwned("a", 0);
  schedule.onOwned("b", 500);
  const steps: [number, string[], number | undefined][] = [
    [0, ["a"], 500],
    [500, ["b"], 1000],
    [999, [], 1000],
    [1000, ["a"], 1500],
    [1500, ["b"], 2000],
    [2000, ["a"], 2500],
    [2500, ["b"], undefined],
    [10_000, [], undefined],
  ];
  for (const [now, keys, wakeup] of steps) {
    assert.deepEqual(schedule.due(now), keys, `due(${now})`);
    assert.equal(schedule.nextWakeup(), wakeup, `nextWakeup after ${now}`);
  }
});

test("losing ownership stops the sends at once", () => {
  const schedule = new AnnounceSchedule();
  schedule.onOwned("a", 0);
  schedule.onOwned("b", 0);
  assert.deepEqual(schedule.due(0), ["a", "b"]);
  assert.equal(schedule.onLost("a"), true);
  assert.equal(schedule.onLost("a"), false);
  assert.deepEqual(schedule.due(1100), ["b"]);
  schedule.onLost("b");
  assert.equal(schedule.nextWakeup(), undefined);
  assert.deepEqual(schedule.due(2200), []);
  assert.deepEqual(schedule.owned(), []);
});

test("owning again is a no-op; after a loss it starts a new burst; restart re-arms", () => {
  const schedule = new AnnounceSchedule();
  schedule.onOwned("a", 0);
  schedule.due(0);
  assert.equal(schedule.onOwned("a", 500), false);
  assert.equal(schedule.nextWakeup(), 1100, "the first burst goes on undisturbed");
  schedule.onLost("a");
  assert.equal(schedule.onOwned("a", 700), true);
  assert.deepEqual(run(schedule, [700, 1799, 1800]), [
    [700, ["a"]],
    [1799, []],
    [1800, ["a"]],
  ]);
  assert.equal(schedule.restart("a", 9000), true);
  assert.equal(schedule.restart("b", 9000), false);
  assert.deepEqual(schedule.due(9000), ["a"]);
});

test("a late wakeup sends once and does not replay the missed slots", () => {
  const schedule = new AnnounceSchedule();
  schedule.onOwned("a", 0);
  assert.deepEqual(run(schedule, [0, 3500, 3600, 4400, 5500]), [
    [0, ["a"]],
    [3500, ["a"]],
    [3600, []],
    [4400, ["a"]],
    [5500, []],
  ]);
});

test("duration 0 sends once; bad options are refused", () => {
  const once = new AnnounceSchedule({ durationMs: 0 });
  once.onOwned("a", 0);
  assert.deepEqual(run(once, [0, 1100, 2200]), [
    [0, ["a"]],
    [1100, []],
    [2200, []],
  ]);
  for (const bad of [
    { intervalMs: 0 },
    { intervalMs: -1 },
    { intervalMs: NaN },
    { durationMs: -1 },
    { refreshMs: -1 },
    { refreshMs: Infinity },
  ]) {
    assert.throws(() => new AnnounceSchedule(bad), RangeError, JSON.stringify(bad));
  }
});

test("a refresh interval adds a send every refreshMs since the start, as long as owned", () => {
  const schedule = new AnnounceSchedule({ refreshMs: 30_000 });
  schedule.onOwned("a", 1000);
  const sent: number[] = [];
  for (let now = 1000; now <= 100_000; now += 100) {
    if (schedule.due(now).length > 0) sent.push(now - 1000);
  }
  assert.deepEqual(sent, [0, 1100, 2200, 3300, 4400, 30_000, 60_000, 90_000]);
  assert.equal(schedule.nextWakeup(), 121_000);
  schedule.onLost("a");
  assert.equal(schedule.nextWakeup(), undefined, "no refresh once lost");
});

test("a refresh shorter than the burst merges with it; a late wakeup sends once", () => {
  const schedule = new AnnounceSchedule({ intervalMs: 1000, durationMs: 3000, refreshMs: 2500 });
  schedule.onOwned("a", 0);
  assert.deepEqual(run(schedule, [0, 1000, 2000, 2500, 5000, 12_000, 12_400, 12_500]), [
    [0, ["a"]],
    [1000, ["a"]],
    [2000, ["a"]],
    [2500, ["a"]],
    [5000, ["a"]],
    [12_000, ["a"]],
    [12_400, []],
    [12_500, ["a"]],
  ]);
});
