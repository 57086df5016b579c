import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../lib/adapters/logger.js";
import { ConflictReporter } from "./conflict-reporter.js";
import type { AddressConflictReport } from "./l2-announcer.js";
import type { AddressConflictTrace } from "./speaker-status.js";
import { ManualTimers } from "../../lib/adapters/testing/manual-timers.js";

const VIP = "198.18.0.200";
const FORGED = "02:00:00:00:66:66";
const claim = (outcome: AddressConflictReport["outcome"], mac = FORGED): AddressConflictReport => ({
  ip: VIP,
  mac,
  evidence: "arpReply",
  iface: "eth0",
  outcome,
});

function setup(statusFails = false) {
  const timers = new ManualTimers(0);
  const events: string[] = [];
  const traces: string[] = [];
  const reporter = new ConflictReporter({
    node: "node1",
    log: createLogger("test", "error"),
    timers,
    events: {
      record: (ref, type, reason, message) => {
        events.push(`${ref.namespace}/${ref.name} ${type} ${reason}: ${message}`);
        return Promise.resolve();
      },
    },
    status: {
      recordConflict: (svc, t: AddressConflictTrace) => {
        traces.push(`${svc.namespace}/${svc.name} ${t.ip} ${t.mac} ${t.interface} ${t.phase}`);
        return statusFails ? Promise.reject(new Error("404 not found")) : Promise.resolve();
      },
    },
  });
  return { reporter, timers, events, traces };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const services = [{ key: "default/web" }, { key: "default/web-udp" }];

test("a Warning event on every Service of the IP names the foreign MAC and the interface", async () => {
  const { reporter, events, traces } = setup();
  reporter.report(claim({ phase: "announcing", defend: true }), services);
  await flush();
  const message = `IP ${VIP} is claimed by MAC ${FORGED} on eth0 (arpReply): node "node1" keeps answering for it, defended with a gratuitous announcement`;
  assert.deepEqual(events, [
    `default/web Warning AddressConflict: ${message}`,
    `default/web-udp Warning AddressConflict: ${message}`,
  ]);
  assert.deepEqual(traces, [
    `default/web ${VIP} ${FORGED} eth0 announcing`,
    `default/web-udp ${VIP} ${FORGED} eth0 announcing`,
  ]);
});

test("a flood costs one event and one status write per IP per minute; the next counts the rest", async () => {
  const { reporter, timers, events, traces } = setup();
  for (let i = 0; i < 1000; i++) {
    reporter.report(claim({ phase: "announcing", defend: i === 0 }, `02:00:00:00:${i % 100}:01`), [
      services[0]!,
    ]);
    timers.advance(50);
    await flush();
  }
  assert.equal(events.length, 1);
  assert.equal(traces.length, 1);
  timers.advance(10_000); // 60 s after the first
  reporter.report(claim({ phase: "announcing", defend: true }), [services[0]!]);
  await flush();
  assert.equal(events.length, 2);
  assert.match(events[1] ?? "", /; 999 more claims on it since the last report$/);
});

test("probing: the message says the IP is held and when it is probed again", async () => {
  const { reporter, events } = setup();
  reporter.report(claim({ phase: "probing", retryInMs: 4000 }), [services[0]!]);
  await flush();
  assert.deepEqual(events, [
    `default/web Warning AddressConflict: IP ${VIP} is claimed by MAC ${FORGED} on eth0 (arpReply) before node "node1" announced it: held back, probing again in 4 s`,
  ]);
});

test("a status trace that failed (record not there yet) is tried again 2 s later", async () => {
  const { reporter, timers, events, traces } = setup(true);
  const probing = claim({ phase: "probing", retryInMs: 1000 });
  for (const t of [0, 1000, 2000, 3000]) {
    timers.advance(t - timers.now());
    reporter.report(probing, [services[0]!]);
    await flush();
  }
  assert.equal(events.length, 1);
  assert.equal(traces.length, 2, "at 0 and 2 s");
});
