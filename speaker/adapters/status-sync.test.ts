import assert from "node:assert/strict";
import { test } from "node:test";
import winston from "winston";
import type { Election } from "../core/election.js";
import type { IpPlan } from "../core/announcements.js";
import type { StatusRecord } from "../core/status-plan.js";
import { MAX_STATUS_WRITES, STATUS_WRITE_DEADLINE_MS, StatusSync } from "./status-sync.js";
import { ManualTimers } from "../../lib/adapters/testing/manual-timers.js";

const NODE = "node1";

const plan = (ip: string, service: string, winner: string): IpPlan => ({
  ip,
  pool: "p",
  unit: ip,
  services: [service],
  election: { winner, outcome: "elected", reasons: new Map() } as unknown as Election,
  interfaces: undefined,
});

/** `n` Services, each with one IP this node wins, answered on eth0. */
function owning(n: number) {
  const plans = new Map<string, IpPlan>();
  const owned = new Map<string, readonly string[]>();
  for (let i = 0; i < n; i++) {
    const ip = `198.18.1.${i}`;
    plans.set(ip, plan(ip, `ns/s${i}`, NODE));
    owned.set(ip, ["eth0"]);
  }
  return { plans, owned };
}

function rig(applied?: () => Promise<void>) {
  const timers = new ManualTimers();
  const started: string[] = [];
  const pending: (() => void)[] = [];
  const events: string[] = [];
  const sync = new StatusSync({
    node: NODE,
    log: winston.createLogger({ silent: true }),
    status: {
      // Writes that never answer unless the test settles them.
      claim: (svc) => {
        started.push(`claim ${svc.name}`);
        return new Promise<void>((r) => pending.push(r));
      },
      remove: (svc) => {
        started.push(`remove ${svc.name}`);
        return new Promise<void>((r) => pending.push(r));
      },
    },
    events: {
      record: (ref) => {
        events.push(ref.name);
        return Promise.resolve();
      },
    },
    uidOf: () => "uid",
    timers,
    ...(applied && { applied }),
  });
  return { timers, started, pending, events, sync };
}

const input = (
  state: ReturnType<typeof owning>,
  records: StatusRecord[] = [],
  apiHealthy = true,
) => ({
  ...state,
  records,
  services: new Set([...state.plans.values()].flatMap((p) => p.services)),
  liveSpeakers: new Set([NODE]),
  apiHealthy,
});

/** Records for the first `n` Services, as the apiserver holds them once their claims succeeded. */
const claimed = (n: number): StatusRecord[] =>
  Array.from({ length: n }, (_, i) => ({ service: `ns/s${i}`, node: NODE, interfaces: ["eth0"] }));

const flush = () => new Promise((r) => setImmediate(r));

test("writes in flight are bounded; the rest wait for a later pass", async () => {
  const r = rig();
  assert.equal(r.sync.sync(input(owning(40))), true, "writes owed");
  assert.equal(r.started.length, MAX_STATUS_WRITES);
  assert.equal(r.sync.sync(input(owning(40))), true);
  assert.equal(r.started.length, MAX_STATUS_WRITES, "no second write for a Service under way");
  for (const done of r.pending.splice(0)) done();
  await flush();
  r.sync.sync(input(owning(40), claimed(MAX_STATUS_WRITES)));
  assert.equal(r.started.length, 2 * MAX_STATUS_WRITES);
  assert.equal(new Set(r.started).size, r.started.length, "each Service written once");
});

test("a write that never answers gives its place up at the deadline (on the injected timers)", async () => {
  const r = rig();
  r.sync.sync(input(owning(MAX_STATUS_WRITES + 1)));
  assert.equal(r.sync.inFlight, MAX_STATUS_WRITES);
  r.timers.advance(STATUS_WRITE_DEADLINE_MS - 1);
  await flush();
  assert.equal(r.sync.inFlight, MAX_STATUS_WRITES);
  r.timers.advance(1);
  await flush();
  assert.equal(r.sync.inFlight, 0);
  r.sync.sync(input(owning(MAX_STATUS_WRITES + 1), claimed(MAX_STATUS_WRITES)));
  assert.ok(r.started.includes(`claim s${MAX_STATUS_WRITES}`), "the waiting Service's turn came");
});

test("nodeAssigned once per Service this node starts announcing; no writes while the API is away", () => {
  const r = rig();
  const one = owning(1);
  r.sync.sync(input(one, [], false));
  assert.deepEqual(r.events, ["s0"]);
  assert.deepEqual(r.started, [], "no write while the API is away");
  const recorded: StatusRecord[] = [{ service: "ns/s0", node: NODE, interfaces: ["eth0"] }];
  assert.equal(r.sync.sync(input(one, recorded)), false, "nothing owed: the record is right");
  assert.deepEqual(r.events, ["s0"], "not again while it keeps announcing");
  const none = { plans: new Map<string, IpPlan>(), owned: new Map<string, readonly string[]>() };
  r.sync.sync({ ...input(none, recorded), services: new Set(["ns/s0"]) });
  assert.deepEqual(r.started, ["remove s0"], "its record goes when it stops announcing");
  r.sync.sync(input(one, []));
  assert.deepEqual(r.events, ["s0", "s0"], "announcing again is reported again");
});

test("each write waits for the frame path to apply what this node announces", async () => {
  let inForce = (): void => undefined;
  let asked = 0;
  const r = rig(() => {
    asked++;
    return new Promise<void>((resolve) => (inForce = resolve));
  });
  const recorded: StatusRecord[] = [{ service: "ns/s0", node: NODE, interfaces: ["eth0"] }];
  const none = { plans: new Map<string, IpPlan>(), owned: new Map<string, readonly string[]>() };
  assert.equal(r.sync.sync({ ...input(none, recorded), services: new Set(["ns/s0"]) }), true);
  await flush();
  assert.equal(asked, 1);
  assert.deepEqual(r.started, [], "the release is not written while the IP may still be answered");
  assert.equal(r.sync.inFlight, 1, "the write holds its place while it waits");
  inForce();
  await flush();
  assert.deepEqual(r.started, ["remove s0"]);
});

test("a wait for the frame path that never ends gives the write's place up at the deadline", async () => {
  const r = rig(() => new Promise<void>(() => undefined)); // the frame path never acknowledges
  r.sync.sync(input(owning(MAX_STATUS_WRITES + 1)));
  await flush();
  assert.equal(r.sync.inFlight, MAX_STATUS_WRITES, "every slot waits for the frame path");
  assert.deepEqual(r.started, [], "nothing written while the announcement may not be in force");
  r.timers.advance(STATUS_WRITE_DEADLINE_MS - 1);
  await flush();
  assert.equal(r.sync.inFlight, MAX_STATUS_WRITES);
  r.timers.advance(1);
  await flush();
  assert.equal(r.sync.inFlight, 0, "the slots are free for a later pass");
});
