import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeArp, encodeGratuitousArp } from "../core/arp.js";
import {
  MAC0,
  PEER,
  STRANGER,
  VIP,
  announced,
  ask,
  own,
  setup,
} from "./testing/l2-announcer-bench.js";

/** RFC 5227 2.4 conflicts: a foreign claim while probing holds the IP, while announcing is defended. */
const foreignReply = (ip: string) =>
  encodeArp({
    op: 2,
    senderMac: STRANGER,
    senderIp: ip,
    targetMac: MAC0,
    targetIp: "0.0.0.0",
    ethDst: MAC0,
  });

test("a foreign reply to the probe holds the IP back: reprobed 1 s doubling, up to the cap", () => {
  const { announcer, timers, socket, sent, conflicts } = setup({ claims: { backoffMaxMs: 8000 } });
  announcer.setOwned(own([VIP, ["eth0"]]));
  const start = timers.now();
  const probes: number[] = [];
  const other: string[] = [];
  // The squatter answers every probe at once, until 40 s; then nobody answers.
  for (let t = 0; t <= 45_000; t += 100) {
    if (t > 0) timers.advance(100);
    for (const line of sent()) {
      if (!line.startsWith("probe ")) other.push(`${t} ${line}`);
      else probes.push(timers.now() - start);
    }
    if (probes.at(-1) === t && t < 40_000) socket("eth0").deliver(foreignReply(VIP));
    if (t === 500) socket("eth0").deliver(ask(VIP));
  }
  assert.deepEqual(probes, [0, 1000, 3000, 7000, 15_000, 23_000, 31_000, 39_000]);
  assert.deepEqual(
    conflicts.map((c) => c.outcome),
    [1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000].map((retryInMs) => ({
      phase: "probing",
      retryInMs,
    })),
  );
  assert.deepEqual(conflicts[0], {
    ip: VIP,
    mac: STRANGER,
    evidence: "arpReply",
    iface: "eth0",
    outcome: { phase: "probing", retryInMs: 1000 },
  });
  assert.deepEqual(other, [], "held: never answered, never announced");
  assert.equal(announcer.counters().drops.conflicted, 1);
  assert.equal(announcer.phase(VIP), "conflicted");
  timers.advance(47_000 - 45_000);
  assert.deepEqual(sent(), [`probe ${VIP} from ${MAC0}`], "probed at 47 s, unanswered");
  timers.advance(200);
  assert.deepEqual(sent(), announced(VIP), "announced when the probe window closes");
  assert.equal(announcer.phase(VIP), "announcing");
});

test("owning a held IP again after dropping it starts with a fresh probe", () => {
  const { announcer, socket, sent } = setup();
  announcer.setOwned(own([VIP, ["eth0"]]));
  sent();
  socket("eth0").deliver(foreignReply(VIP));
  assert.equal(announcer.phase(VIP), "conflicted");
  announcer.setOwned(own());
  announcer.setOwned(own([VIP, ["eth0"]]));
  assert.deepEqual(sent(), [`probe ${VIP} from ${MAC0}`]);
});

test("while announcing, a stranger's claim is defended at most once per 10 s; answers go on", () => {
  const { announcer, timers, socket, sent, conflicts } = setup();
  announcer.setPeerMacs([PEER.toUpperCase()]);
  announcer.setOwned(own([VIP, ["eth0"]], ["198.18.0.201", ["eth0"]]), {
    takeovers: [VIP, "198.18.0.201"],
  });
  timers.advance(6000);
  sent();
  socket("eth0").deliver(encodeGratuitousArp(PEER, VIP));
  assert.equal(conflicts.length, 0, "a peer speaker's GARP is a takeover");
  assert.deepEqual(sent(), []);
  const defended: [number, boolean, string[]][] = [];
  for (const dt of [0, 1000, 4000, 4999, 1, 9999, 10_000]) {
    timers.advance(dt);
    socket("eth0").deliver(encodeGratuitousArp(STRANGER, VIP));
    const outcome = conflicts.at(-1)?.outcome;
    assert.equal(outcome?.phase, "announcing");
    defended.push([timers.now() - 7000, outcome.defend, sent()]);
  }
  assert.deepEqual(defended, [
    [0, true, announced(VIP)],
    [1000, false, []],
    [5000, false, []],
    [9999, false, []],
    [10_000, true, announced(VIP)],
    [19_999, false, []],
    [29_999, true, announced(VIP)],
  ]);
  assert.equal(conflicts[0]?.evidence, "arpAnnouncement");
  assert.equal(announcer.phase(VIP), "announcing");
  socket("eth0").deliver(ask(VIP));
  assert.deepEqual(sent(), [`reply ${VIP} from ${MAC0}`], "still answered");
  const c = announcer.counters();
  assert.deepEqual(c.defensesSent, { [VIP]: 3 });
  assert.deepEqual(c.conflicts, { [`${VIP}|announcing`]: 7 });
});
