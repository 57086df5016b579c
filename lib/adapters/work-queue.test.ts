import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualTimers } from "../../test/support/manual-timers.js";
import { fatal, OK, retry, WorkQueue, type WorkOutcome } from "./work-queue.js";

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}
const gate = (): Gate => {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
};
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test("one run per key at a time; a key added while running runs once more afterwards", async () => {
  const runs: string[] = [];
  const gates: Gate[] = [];
  const q = new WorkQueue(
    async (key) => {
      runs.push(key);
      const g = gate();
      gates.push(g);
      await g.promise;
      return OK;
    },
    { concurrency: 4 },
  );
  q.add("a");
  q.add("a");
  q.add("a");
  q.add("b");
  await tick();
  assert.deepEqual(runs, ["a", "b"]);
  gates[0]?.open();
  await tick();
  assert.deepEqual(runs, ["a", "b", "a"]);
  for (const g of gates) g.open();
  await tick();
  gates.forEach((g) => g.open());
  await q.idle();
  assert.deepEqual(runs, ["a", "b", "a"]);
});

test("never more than `concurrency` runs at once", async () => {
  let running = 0;
  let most = 0;
  const q = new WorkQueue(
    async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
      return OK;
    },
    { concurrency: 2 },
  );
  for (const k of ["a", "b", "c", "d", "e"]) q.add(k);
  await q.idle();
  assert.equal(most, 2);
});

test("retries back off per key, doubling up to the cap; ok forgets the failures", async () => {
  const timers = new ManualTimers();
  const retries: [string, string, number, number][] = [];
  let calls = 0;
  const plan: WorkOutcome[] = [retry("r1"), retry("r2"), retry("r3"), retry("r4"), OK, retry("r5")];
  const q = new WorkQueue(() => Promise.resolve(plan[calls++] ?? OK), {
    concurrency: 1,
    baseDelayMs: 100,
    maxDelayMs: 500,
    timers,
    onRetry: (key, reason, attempt, delayMs) => retries.push([key, reason, attempt, delayMs]),
  });
  q.add("k");
  for (let i = 0; i < 5; i++) {
    await q.idle();
    timers.advance(1_000);
  }
  await q.idle();
  q.add("k");
  await q.idle();
  assert.equal(calls, 6);
  assert.deepEqual(retries, [
    ["k", "r1", 1, 100],
    ["k", "r2", 2, 200],
    ["k", "r3", 3, 400],
    ["k", "r4", 4, 500],
    ["k", "r5", 1, 100],
  ]);
});

test("a run waits its backoff: nothing before the delay, the run right after", async () => {
  const timers = new ManualTimers();
  let calls = 0;
  const q = new WorkQueue(() => Promise.resolve(calls++ === 0 ? retry("busy") : OK), {
    concurrency: 1,
    baseDelayMs: 300,
    timers,
  });
  q.add("k");
  await q.idle();
  timers.advance(299);
  await q.idle();
  assert.equal(calls, 1);
  timers.advance(1);
  await q.idle();
  assert.equal(calls, 2);
});

test("a thrown error is retried; adding a key waiting for its backoff runs it at once", async () => {
  const timers = new ManualTimers();
  let calls = 0;
  const q = new WorkQueue(
    () => (calls++ === 0 ? Promise.reject(new Error("boom")) : Promise.resolve(OK)),
    { concurrency: 1, baseDelayMs: 10_000, timers },
  );
  q.add("k");
  await q.idle();
  assert.equal(q.retrying, 1);
  q.add("k");
  await q.idle();
  assert.equal(calls, 2);
  assert.equal(q.retrying, 0);
  assert.deepEqual(timers.delays, []);
});

test("fatal stops retrying and is reported once per reason", async () => {
  const timers = new ManualTimers();
  const reports: [string, string][] = [];
  const plan = [fatal("invalid"), fatal("invalid"), fatal("forbidden"), OK, fatal("forbidden")];
  let calls = 0;
  const q = new WorkQueue(() => Promise.resolve(plan[calls++] ?? OK), {
    concurrency: 1,
    timers,
    onFatal: (key, reason) => reports.push([key, reason]),
    onRetry: () => assert.fail("a fatal outcome must not be retried"),
  });
  for (let i = 0; i < plan.length; i++) {
    q.add("svc");
    await q.idle();
    timers.advance(60_000);
  }
  assert.equal(calls, 5);
  assert.deepEqual(reports, [
    ["svc", "invalid"],
    ["svc", "forbidden"],
    ["svc", "forbidden"],
  ]);
});

test("stop drops queued keys and pending retries, and waits for the running ones", async () => {
  const timers = new ManualTimers();
  const g = gate();
  const runs: string[] = [];
  const q = new WorkQueue(
    async (key) => {
      runs.push(key);
      if (key === "r") return retry("later");
      await g.promise;
      return OK;
    },
    { concurrency: 1, timers },
  );
  q.add("r");
  await tick();
  q.add("a");
  q.add("b");
  await tick();
  const stopped = q.stop();
  q.add("c");
  g.open();
  await stopped;
  timers.advance(60_000);
  await tick();
  assert.deepEqual(runs, ["r", "a"]);
  assert.deepEqual(timers.delays, []);
});

test("concurrency must be a positive integer", () => {
  assert.throws(() => new WorkQueue(() => Promise.resolve(OK), { concurrency: 0 }), /concurrency/);
});
