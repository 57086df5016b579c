import assert from "node:assert/strict";
import { test } from "node:test";
import { WorkQueue } from "./work-queue.js";

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
    },
    { concurrency: 4, onError: () => undefined },
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
    },
    { concurrency: 2, onError: () => undefined },
  );
  for (const k of ["a", "b", "c", "d", "e"]) q.add(k);
  await q.idle();
  assert.equal(most, 2);
});

test("a failing key is retried after the backoff, with the attempt number", async () => {
  const delays: number[] = [];
  const errors: [string, number][] = [];
  let calls = 0;
  const q = new WorkQueue(
    () => {
      calls++;
      return calls < 3 ? Promise.reject(new Error("boom")) : Promise.resolve();
    },
    {
      concurrency: 1,
      onError: (key, _e, attempt) => errors.push([key, attempt]),
      backoffMs: (attempt) => attempt * 100,
      delay: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    },
  );
  q.add("k");
  for (let i = 0; i < 10 && calls < 3; i++) await tick();
  await q.idle();
  assert.equal(calls, 3);
  assert.deepEqual(errors, [
    ["k", 1],
    ["k", 2],
  ]);
  assert.deepEqual(delays, [100, 200]);
});

test("stop drops queued keys and waits for the running ones", async () => {
  const g = gate();
  const runs: string[] = [];
  const q = new WorkQueue(
    async (key) => {
      runs.push(key);
      await g.promise;
    },
    { concurrency: 1, onError: () => undefined },
  );
  q.add("a");
  q.add("b");
  await tick();
  const stopped = q.stop();
  q.add("c");
  g.open();
  await stopped;
  assert.deepEqual(runs, ["a"]);
});
