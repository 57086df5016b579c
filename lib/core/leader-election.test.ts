import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  checkTiming,
  leadershipLost,
  nextStep,
  observe,
  releasedSpec,
  type ElectionStep,
  type LeaseRecord,
  type Observed,
} from "./leader-election.js";

const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 250 };
const T0 = 1_000_000;

/** The spec "a" writes at T0: acquired at `acquireTime`, `transitions` so far. */
const mine = (acquireTime: number, transitions: number) => ({
  holderIdentity: "a",
  leaseDurationSeconds: 2,
  acquireTime,
  renewTime: T0,
  leaseTransitions: transitions,
});

const lease = (over: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holder: "b",
  durationSeconds: 2,
  acquireTime: T0 - 60_000,
  transitions: 3,
  resourceVersion: "10",
  ...over,
});

describe("nextStep", () => {
  const cases: {
    name: string;
    lease: LeaseRecord | undefined;
    observed?: Observed;
    now: number;
    want: ElectionStep;
  }[] = [
    {
      name: "no Lease: create it, 0 transitions",
      lease: undefined,
      now: T0,
      want: {
        kind: "create",
        spec: mine(T0, 0),
      },
    },
    {
      name: "held by another, first seen now: wait the whole duration",
      lease: lease(),
      now: T0,
      want: { kind: "wait", holder: "b", expiresAt: T0 + 2_000 },
    },
    {
      name: "held by another, unchanged for 1999 ms: still wait",
      lease: lease(),
      observed: { resourceVersion: "10", at: T0 - 1_999 },
      now: T0,
      want: { kind: "wait", holder: "b", expiresAt: T0 + 1 },
    },
    {
      name: "held by another, unchanged for 2000 ms: take it, one more transition",
      lease: lease(),
      observed: { resourceVersion: "10", at: T0 - 2_000 },
      now: T0,
      want: {
        kind: "acquire",
        resourceVersion: "10",
        spec: mine(T0, 4),
      },
    },
    {
      name: "held by another, seen long ago but renewed since (new resourceVersion): wait",
      lease: lease({ resourceVersion: "11" }),
      observed: { resourceVersion: "10", at: T0 - 60_000 },
      now: T0,
      want: { kind: "wait", holder: "b", expiresAt: T0 + 2_000 },
    },
    {
      name: "the holder's own longer duration counts (10 s)",
      lease: lease({ durationSeconds: 10 }),
      observed: { resourceVersion: "10", at: T0 - 5_000 },
      now: T0,
      want: { kind: "wait", holder: "b", expiresAt: T0 + 5_000 },
    },
    {
      name: "released (holder empty): take it at once",
      lease: lease({ holder: "", durationSeconds: 1 }),
      now: T0,
      want: {
        kind: "acquire",
        resourceVersion: "10",
        spec: mine(T0, 4),
      },
    },
    {
      name: "held by me: renew, acquireTime and transitions kept",
      lease: lease({ holder: "a" }),
      now: T0,
      want: {
        kind: "renew",
        resourceVersion: "10",
        spec: mine(T0 - 60_000, 3),
      },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const observed = c.lease ? observe(c.observed, c.lease, c.now) : undefined;
      assert.deepEqual(
        nextStep({ identity: "a", timing, lease: c.lease, observed, now: c.now }),
        c.want,
      );
    });
  }
});

test("observe keeps the first sighting of a resourceVersion, restarts on a new one", () => {
  const first = observe(undefined, lease(), T0);
  assert.deepEqual(first, { resourceVersion: "10", at: T0 });
  assert.deepEqual(observe(first, lease(), T0 + 500), { resourceVersion: "10", at: T0 });
  assert.deepEqual(observe(first, lease({ resourceVersion: "12" }), T0 + 700), {
    resourceVersion: "12",
    at: T0 + 700,
  });
});

test("leadershipLost: at the renew deadline, not before", () => {
  const table: [number, boolean][] = [
    [0, false],
    [999, false],
    [1_000, true],
    [5_000, true],
  ];
  for (const [age, lost] of table) {
    assert.equal(leadershipLost(T0, T0 + age, timing), lost, `${age} ms since the last renewal`);
  }
});

test("releasedSpec: no holder, one second, history kept", () => {
  assert.deepEqual(releasedSpec(lease({ holder: "a" }), T0), {
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTime: T0 - 60_000,
    renewTime: T0,
    leaseTransitions: 3,
  });
});

test("checkTiming: leaseDuration > renewDeadline > 1.2 x retryPeriod", () => {
  assert.ok(checkTiming(timing).ok);
  assert.ok(
    checkTiming({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }).ok,
  );
  const bad: [typeof timing, RegExp][] = [
    [{ ...timing, retryPeriodMs: 0 }, /retry period must be > 0/],
    [{ ...timing, renewDeadlineMs: 300 }, /renew deadline \(300 ms\)/],
    [{ ...timing, leaseDurationMs: 1_000 }, /lease duration \(1000 ms\)/],
  ];
  for (const [t, message] of bad) {
    const r = checkTiming(t);
    assert.ok(!r.ok && message.test(r.error), JSON.stringify(t));
  }
});
