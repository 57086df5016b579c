import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeCluster, lbService } from "../../test/support/fake-cluster.js";
import { ManualTimers } from "../../test/support/manual-timers.js";
import { buildPoolSet } from "../core/pool-set.js";
import { ServiceLoop } from "./service-loop.js";

const pools = (...addresses: string[]) => buildPoolSet([{ name: "p", addresses }], []);
const allocated = (ips: string) => ({
  ingress: ips.split(","),
  pool: "p",
  condition: { status: "True" as const, reason: "Allocated", message: `IPs ${ips} from pool "p"` },
});

function setup(cluster: FakeCluster, timers = new ManualTimers()) {
  const logged: { level: string; msg: string; meta: Record<string, unknown> | undefined }[] = [];
  const log = (level: string) => (msg: string, meta?: Record<string, unknown>) =>
    logged.push({ level, msg, meta });
  const loop = new ServiceLoop({
    lbClass: "",
    writer: cluster,
    log: { info: log("info"), warn: log("warn"), error: log("error") },
    service: cluster.view,
    advertised: () => true,
    concurrency: 4,
    timers,
  });
  const open = (addresses: string[]) => loop.openGate(pools(...addresses), cluster.services);
  return { loop, timers, logged, open };
}

test("restart gate: existing Services keep their IPs, unwritten; new ones get free ones", async () => {
  const cluster = new FakeCluster();
  cluster.add(lbService("new"));
  cluster.add(lbService("b", allocated("198.18.0.203")));
  cluster.add(lbService("a", allocated("198.18.0.201")));
  const { loop, open } = setup(cluster);
  assert.equal(loop.ready(), "waiting for the first sync of Services, pools and namespaces");
  loop.changed("default/new"); // before the gate: ignored
  assert.equal(cluster.writes.length, 0);
  assert.equal(open(["198.18.0.200-198.18.0.203"]), 2);
  await loop.idle();
  assert.deepEqual(cluster.ingress(), {
    "default/new": "198.18.0.200",
    "default/b": "198.18.0.203",
    "default/a": "198.18.0.201",
  });
  assert.deepEqual(
    cluster.writes.map((w) => w.key),
    ["default/new"],
  );
  assert.equal(loop.ready(), true);
});

test("a pending Service gets the address a deleted one frees", async () => {
  const cluster = new FakeCluster();
  cluster.add(lbService("first"));
  const { loop, open } = setup(cluster);
  open(["198.18.0.200/32"]);
  await loop.idle();
  cluster.add(lbService("second"));
  loop.changed("default/second");
  await loop.idle();
  assert.equal(cluster.services.get("default/second")?.shown.condition?.reason, "PoolExhausted");
  assert.equal(loop.pending, 1);
  cluster.services.delete("default/first");
  loop.changed("default/first");
  await loop.idle();
  assert.deepEqual(cluster.ingress(), { "default/second": "198.18.0.200" });
  assert.equal(loop.pending, 0);
  assert.deepEqual(cluster.forgotten, ["default/first"], "the deleted one's Events are let go");
});

test("a failed write is retried with a doubling backoff; its events follow the write", async () => {
  const cluster = new FakeCluster();
  const key = cluster.add(lbService("svc"));
  const busy = { kind: "retry" as const, message: "503 apiserver busy" };
  cluster.failures.set(key, [busy, busy]);
  const { loop, timers, open } = setup(cluster);
  open(["198.18.0.200/30"]);
  await loop.idle();
  assert.equal(cluster.writes.length, 1);
  assert.deepEqual(timers.delays, [250]);
  assert.deepEqual(cluster.events, []);
  timers.advance(249);
  await loop.idle();
  assert.equal(cluster.writes.length, 1);
  timers.advance(1);
  await loop.idle();
  assert.equal(cluster.writes.length, 2);
  assert.deepEqual(timers.delays, [500]);
  timers.advance(500);
  await loop.idle();
  assert.equal(cluster.writes.length, 3);
  assert.deepEqual(cluster.ingress(), { [key]: "198.18.0.200" });
  assert.deepEqual(cluster.events, [{ key, reason: "IPAllocated" }]);
  assert.deepEqual(timers.delays, []);
});

test("a refused write is reported once and not retried", async () => {
  const cluster = new FakeCluster();
  const key = cluster.add(lbService("svc"));
  const refused = { kind: "fatal" as const, message: "422 Unprocessable Entity" };
  cluster.failures.set(key, [refused, refused, refused]);
  const { loop, timers, logged, open } = setup(cluster);
  open(["198.18.0.200/30"]);
  await loop.idle();
  timers.advance(60_000);
  loop.changed(key);
  await loop.idle();
  timers.advance(60_000);
  await loop.idle();
  assert.equal(cluster.writes.length, 2);
  assert.deepEqual(timers.delays, []);
  const errors = logged.filter((l) => l.level === "error");
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.meta?.err, "422 Unprocessable Entity");
});

test("no churn: a Service already right, or just written, causes no write", async () => {
  const cluster = new FakeCluster();
  const done = cluster.add(lbService("done", allocated("198.18.0.202")));
  const fresh = cluster.add(lbService("fresh"));
  const { loop, open } = setup(cluster);
  open(["198.18.0.200/30"]);
  await loop.idle();
  assert.equal(cluster.writes.length, 1);
  for (let i = 0; i < 3; i++) {
    loop.changed(done);
    loop.changed(fresh);
    await loop.idle();
  }
  assert.equal(cluster.writes.length, 1);
  assert.deepEqual(cluster.events, [{ key: fresh, reason: "IPAllocated" }]);
});

test("each reconcile reports its outcome and its duration, writes included", async () => {
  const cluster = new FakeCluster();
  cluster.add(lbService("slow"));
  cluster.add(lbService("b", allocated("198.18.0.201")));
  let clock = 1_000;
  const write = cluster.writeService.bind(cluster);
  // The write of "slow" takes 40 ms on the loop's clock; nothing else moves the clock.
  cluster.writeService = (w) => {
    clock += w.ref.name === "slow" ? 40 : 0;
    return write(w);
  };
  const seen: [string, number][] = [];
  const loop = new ServiceLoop({
    lbClass: "",
    writer: cluster,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    service: cluster.view,
    advertised: () => true,
    timers: new ManualTimers(),
    now: () => clock,
    onOutcome: (kind, ms) => seen.push([kind, ms]),
  });
  loop.openGate(pools("198.18.0.200-198.18.0.201"), cluster.services);
  await loop.idle();
  // "b" is checked too (already right: no write, no time); "slow" takes its write's 40 ms.
  assert.deepEqual(
    seen.sort((x, y) => x[1] - y[1]),
    [
      ["ok", 0],
      ["ok", 40],
    ],
  );
});
