import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualTimers } from "../../lib/adapters/testing/manual-timers.js";
import { OwnerLeasePoll } from "./owner-lease-poll.js";

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function world() {
  const timers = new ManualTimers();
  const versions = new Map<string, string | Error>();
  const reads: string[] = [];
  const renewed: { owner: string; at: number }[] = [];
  const poll = new OwnerLeasePoll({
    read: (node) => {
      reads.push(node);
      const v = versions.get(node);
      return v instanceof Error ? Promise.reject(v) : Promise.resolve(v);
    },
    onRenewed: (owner) => renewed.push({ owner, at: timers.now() }),
    log: { warn: () => undefined as never },
    timers,
  });
  const advance = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 100) {
      await flush();
      timers.advance(100);
    }
    await flush();
  };
  return { timers, versions, reads, renewed, poll, advance };
}

test("a renewal of the taken-over owner's Lease is reported; reads stop when the takeover ends", async () => {
  const w = world();
  w.versions.set("node1", "10");
  w.poll.watch(new Set(["node1"]));
  await w.advance(3_000);
  assert.deepEqual(w.renewed, [], "the version read when the takeover began is no renewal");
  assert.equal(w.reads.length, 4, "one read at once, then one a second");
  w.versions.set("node1", "11");
  await w.advance(1_000);
  assert.deepEqual(w.renewed, [{ owner: "node1", at: 4_000 }]);
  w.poll.watch(new Set());
  const reads = w.reads.length;
  await w.advance(5_000);
  assert.equal(w.reads.length, reads, "no reads without a takeover");
});

test("reads only the owners taken over; failed reads and a gone Lease report nothing", async () => {
  const w = world();
  w.versions.set("node1", new Error("apiserver away"));
  w.versions.set("node3", "7");
  w.poll.watch(new Set(["node1", "node2"]));
  await w.advance(2_000);
  assert.deepEqual([...new Set(w.reads)].sort(), ["node1", "node2"]);
  w.versions.set("node1", "5"); // first successful read: the baseline
  await w.advance(1_000);
  w.versions.delete("node1"); // deleted: membership moves the units, not this rule
  await w.advance(2_000);
  assert.deepEqual(w.renewed, []);
  w.poll.stop();
});
