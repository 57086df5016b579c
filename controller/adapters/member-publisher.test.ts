/**
 * The membership publisher with fakes: in-memory Lease and ConfigMap sources, a store that
 * writes into the ConfigMap source as the apiserver would, manual timers. Writes only on change,
 * coalesced; a new term starts from the published list.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1ConfigMap, V1Lease } from "@kubernetes/client-node";
import winston from "winston";
import { FakeKind } from "../../lib/adapters/testing/fake-kind.js";
import { ManualTimers } from "../../lib/adapters/testing/manual-timers.js";
import { MemberPublisher } from "./member-publisher.js";

const NS = "metallb-system";

const lease = (node: string, renew: number, macs = ""): V1Lease => ({
  metadata: {
    name: `speaker-${node}`,
    namespace: NS,
    annotations: { "ironlb.io/lease-duration-ms": "15000", "ironlb.io/macs": macs },
  },
  spec: { holderIdentity: node, renewTime: new Date(renew) },
});

/** The object's text for `nodes` (no MACs), written by hand. */
const listed = (nodes: string[], stopped: string[] = []): string =>
  `{"members":[${nodes.map((n) => `{"node":"${n}","macs":[]}`).join(",")}],` +
  `"stopped":[${stopped.map((n) => `"${n}"`).join(",")}]}`;

const object = (text: string): V1ConfigMap => ({
  metadata: { name: "ironlb-speaker-members", namespace: NS },
  data: { "members.json": text },
});

function world(opts: { failWrites?: number } = {}) {
  const leases = new FakeKind();
  const objects = new FakeKind();
  const timers = new ManualTimers();
  const writes: { text: string; exists: boolean; at: number }[] = [];
  let failures = opts.failWrites ?? 0;
  const publisher = new MemberPublisher({
    leases: leases.source(),
    object: objects.source(),
    store: {
      write: (text, exists) => {
        if (failures-- > 0) return Promise.reject(new Error("apiserver away"));
        writes.push({ text, exists, at: timers.now() });
        objects.emit(exists ? "MODIFIED" : "ADDED", object(text));
        return Promise.resolve();
      },
    },
    log: winston.createLogger({ silent: true }),
    timers,
  });
  const texts = () => writes.map((w) => w.text);
  return { leases, objects, timers, writes, texts, publisher };
}

/** Lets promises settle between steps of `step` ms of manual time. */
async function advance(timers: ManualTimers, ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    timers.advance(step);
  }
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test("first install: one create; renewals write nothing; a MAC change writes at once", async () => {
  const w = world();
  w.leases.emit("ADDED", lease("a", 1));
  w.leases.emit("ADDED", lease("b", 1));
  w.publisher.start();
  await advance(w.timers, 100);
  assert.deepEqual(w.writes, [{ text: listed(["a", "b"]), exists: false, at: 50 }]);
  for (let t = 1; t <= 6; t++) {
    for (const n of ["a", "b"]) w.leases.emit("MODIFIED", lease(n, 1 + t * 5_000));
    await advance(w.timers, 5_000, 100);
  }
  assert.equal(w.writes.length, 1, "30 s of renewals: no write");
  w.leases.emit("MODIFIED", lease("a", 40_000, "02:00:00:00:00:0a"));
  const before = w.timers.now();
  await advance(w.timers, 100);
  assert.equal(
    w.texts()[1],
    '{"members":[{"node":"a","macs":["02:00:00:00:00:0a"]},{"node":"b","macs":[]}],"stopped":[]}',
  );
  assert.ok((w.writes[1]?.at ?? Infinity) - before <= 50, "written within the 50 ms window");
  assert.equal(w.writes[1]?.exists, true);
  w.publisher.stop();
});

test("a graceful stop is written at once, not held for the window; stops seen together make one write", async () => {
  const w = world();
  for (const n of ["a", "b", "c"]) w.leases.emit("ADDED", lease(n, 1));
  w.publisher.start();
  await advance(w.timers, 100);
  const before = w.timers.now();
  w.leases.emit("DELETED", lease("a", 1));
  w.leases.emit("DELETED", lease("b", 1));
  await advance(w.timers, 100);
  assert.deepEqual(w.texts(), [listed(["a", "b", "c"]), listed(["c"], ["a", "b"])]);
  const at = (w.writes[1]?.at ?? Infinity) - before;
  assert.ok(at < 50, `written ${at} ms after the stop, not after the 50 ms window`);
  w.publisher.stop();
});

test("a Lease not renewed runs out after its duration (on the next Lease event)", async () => {
  const w = world();
  w.leases.emit("ADDED", lease("a", 1));
  w.leases.emit("ADDED", lease("dead", 1));
  w.publisher.start();
  await advance(w.timers, 100);
  for (let t = 1; t <= 4; t++) {
    await advance(w.timers, 5_000, 100);
    w.leases.emit("MODIFIED", lease("a", 1 + t * 5_000));
  }
  await advance(w.timers, 200);
  assert.deepEqual(w.texts(), [listed(["a", "dead"]), listed(["a"])]);
  const at = w.writes[1]?.at ?? 0;
  assert.ok(at >= 15_000 && at <= 20_200, `removed at ${at} ms`);
  w.publisher.stop();
});

test("a new term keeps the published list and does not re-add a leftover Lease", async () => {
  const w = world();
  w.objects.emit("ADDED", object(listed(["a"])));
  w.leases.emit("ADDED", lease("a", 1));
  w.leases.emit("ADDED", lease("gone-long-ago", 1));
  w.publisher.start();
  await advance(w.timers, 1_000);
  assert.equal(w.writes.length, 0, "the published list is right: no write");
  w.leases.emit("MODIFIED", lease("gone-long-ago", 2)); // renewed after all: it is alive
  await advance(w.timers, 100);
  assert.deepEqual(w.texts(), [listed(["a", "gone-long-ago"])]);
  w.publisher.stop();
});

test("an object deleted by someone is written again; a failed write is retried", async () => {
  const w = world({ failWrites: 1 });
  w.leases.emit("ADDED", lease("a", 1));
  w.publisher.start();
  await advance(w.timers, 100);
  assert.equal(w.writes.length, 0, "the first write failed");
  await advance(w.timers, 1_000);
  assert.deepEqual(w.texts(), [listed(["a"])]);
  w.objects.emit("DELETED", object(listed(["a"])));
  await advance(w.timers, 100);
  assert.deepEqual(
    w.writes.map((x) => x.exists),
    [false, false],
  );
  w.publisher.stop();
});
