import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualTimers } from "../../test/support/manual-timers.js";
import type { LeaseRecord, LeaseSpecOut } from "../core/leader-election.js";
import type { LeaseApi } from "./k8s-lease-api.js";
import { LeaderElector } from "./leader-elector.js";

const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 250 };

class ConflictError extends Error {
  readonly code = 409;
}

/** One Lease in memory, with resourceVersions and 409 on a stale write, as the apiserver. */
class LeaseStore {
  lease: (LeaseSpecOut & { resourceVersion: string }) | undefined;
  writes: { by: string; holder: string }[] = [];
  private rv = 0;

  record(): LeaseRecord | undefined {
    const l = this.lease;
    return (
      l && {
        holder: l.holderIdentity,
        durationSeconds: l.leaseDurationSeconds,
        acquireTime: l.acquireTime,
        transitions: l.leaseTransitions,
        resourceVersion: l.resourceVersion,
      }
    );
  }

  write(by: string, spec: LeaseSpecOut, expectRv: string | undefined): void {
    if (expectRv === undefined ? this.lease : this.lease?.resourceVersion !== expectRv) {
      throw new ConflictError("409 Conflict");
    }
    this.lease = { ...spec, resourceVersion: String(++this.rv) };
    this.writes.push({ by, holder: spec.holderIdentity });
  }
}

/** One replica's view of the API: `dead` (SIGKILLed: nothing settles), `failing` (rejects). */
class FakeLeaseApi implements LeaseApi {
  dead = false;
  failing = false;
  constructor(
    private readonly store: LeaseStore,
    private readonly who: string,
  ) {}

  private answer<T>(fn: () => T): Promise<T> {
    if (this.dead) return new Promise<T>(() => undefined);
    if (this.failing) return Promise.reject(new Error("connection refused"));
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  get() {
    return this.answer(() => this.store.record());
  }
  create(spec: LeaseSpecOut) {
    return this.answer(() => this.store.write(this.who, spec, undefined));
  }
  update(spec: LeaseSpecOut, rv: string) {
    return this.answer(() => this.store.write(this.who, spec, rv));
  }
}

const quiet = { info: () => undefined, warn: () => undefined };
const untimed = (line: string): string => line.replace(/ @\d+$/, "");
const flush = () => new Promise<void>((r) => setImmediate(r));

function world() {
  const timers = new ManualTimers();
  timers.now = 1_000_000;
  const store = new LeaseStore();
  const log: string[] = [];
  const replica = (id: string) => {
    const api = new FakeLeaseApi(store, id);
    const elector = new LeaderElector({
      api,
      identity: id,
      timing,
      timers,
      now: () => timers.now,
      log: quiet,
      events: {
        onStartedLeading: () => log.push(`${id} leads @${timers.now - 1_000_000}`),
        onStoppedLeading: (why) => log.push(`${id} stops: ${why}`),
      },
    });
    return { api, elector };
  };
  /** Advances the clock in 10 ms steps, letting the fake API's answers through after each. */
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      timers.advance(10);
      for (let i = 0; i < 5; i++) await flush();
    }
  };
  /** "a" starts and leads; "b" starts 50 ms later; both run for `ms`. */
  const pair = async (ms: number) => {
    const a = replica("a");
    const b = replica("b");
    a.elector.start();
    await run(50);
    b.elector.start();
    await run(ms);
    return { a, b };
  };
  return { timers, store, log, replica, run, pair };
}

test("the first replica creates the Lease; the second waits and never leads while it is renewed", async () => {
  const w = world();
  const a = w.replica("a");
  a.elector.start();
  await w.run(100);
  const b = w.replica("b");
  assert.equal(b.elector.hasDecided, false);
  b.elector.start();
  await w.run(10_000);
  assert.equal(b.elector.hasDecided, true, "b knows it stands by");
  assert.deepEqual(w.log.map(untimed), ["a leads"]);
  assert.equal(w.store.lease?.holderIdentity, "a");
  assert.ok(!w.store.writes.some((x) => x.by === "b"), "b never wrote the Lease");
});

test("SIGKILLed leader: the other takes over only after the Lease expired, counted from its last renewal", async () => {
  const w = world();
  const { a } = await w.pair(3_000);
  a.api.dead = true; // no more renewals; a's process is gone
  const killedAt = w.timers.now - 1_000_000;
  const lastRenew = killedAt - ((killedAt - 0) % 250); // a renews every 250 ms from t=0
  await w.run(1_900);
  assert.equal(w.store.lease?.holderIdentity, "a", "not taken before the 2 s lease duration");
  await w.run(1_000);
  assert.equal(w.store.lease?.holderIdentity, "b");
  const took = w.log.find((l) => l.startsWith("b leads"));
  assert.ok(took, w.log.join("; "));
  const at = Number(took.split("@")[1]);
  // b first saw a's last renewal up to one retry period after it was written; expiry is 2 s
  // from then, and b looks every 250 ms.
  assert.ok(at >= lastRenew + 2_000 && at <= lastRenew + 2_000 + 2 * 250, `${at} vs ${lastRenew}`);
  assert.equal(w.store.lease?.leaseTransitions, 1);
});

test("a released Lease is taken at once, not after its duration", async () => {
  const w = world();
  const { a } = await w.pair(1_000);
  const stopAt = w.timers.now;
  await a.elector.stop();
  assert.equal(w.store.lease?.holderIdentity, "", "stop() cleared the holder");
  assert.equal(w.store.lease?.leaseDurationSeconds, 1);
  assert.deepEqual(w.log.slice(-1), ["a stops: stopping"]);
  await w.run(300);
  assert.equal(w.store.lease?.holderIdentity, "b");
  const took = w.log.find((l) => l.startsWith("b leads"));
  assert.ok(took && Number(took.split("@")[1]) - (stopAt - 1_000_000) <= 260, w.log.join("; "));
});

test("two candidates racing for a released Lease: one wins, the other gets a conflict and waits", async () => {
  const w = world();
  w.store.write(
    "old",
    {
      holderIdentity: "",
      leaseDurationSeconds: 1,
      acquireTime: 0,
      renewTime: 0,
      leaseTransitions: 5,
    },
    undefined,
  );
  const a = w.replica("a");
  const b = w.replica("b");
  a.elector.start();
  b.elector.start(); // same instant: both read resourceVersion 1, both try to update it
  await w.run(5_000);
  const leaders = w.log.filter((l) => l.includes("leads"));
  assert.deepEqual(leaders.map(untimed), ["a leads"]);
  assert.equal(w.store.lease?.leaseTransitions, 6);
  assert.equal(a.elector.isLeader, true);
  assert.equal(b.elector.isLeader, false);
});

test("a leader that cannot renew stops at the renew deadline, before anyone may take over", async () => {
  const w = world();
  const { a } = await w.pair(1_000);
  a.api.failing = true;
  const failAt = w.timers.now - 1_000_000;
  await w.run(3_000);
  const stop = w.log.find((l) => l.startsWith("a stops")) ?? "";
  const take = w.log.find((l) => l.startsWith("b leads")) ?? "";
  assert.ok(stop?.includes("no renewal for 1000 ms"), w.log.join("; "));
  assert.ok(take !== "", w.log.join("; "));
  assert.ok(w.log.indexOf(stop) < w.log.indexOf(take), "a stopped before b started");
  assert.ok(Number(take.split("@")[1]) >= failAt + 1_500, "b waited for the Lease to expire");
});

test("a leader whose Lease was taken (seen at its next read) stops at once", async () => {
  const w = world();
  const a = w.replica("a");
  a.elector.start();
  await w.run(100);
  const rv = w.store.lease?.resourceVersion;
  w.store.write(
    "intruder",
    {
      holderIdentity: "x",
      leaseDurationSeconds: 2,
      acquireTime: 0,
      renewTime: 0,
      leaseTransitions: 1,
    },
    rv,
  );
  await w.run(300);
  assert.deepEqual(w.log.map(untimed), ["a leads", "a stops: the Lease is held by x"]);
  assert.equal(a.elector.isLeader, false);
});
