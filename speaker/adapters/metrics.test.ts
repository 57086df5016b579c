import assert from "node:assert/strict";
import { test } from "node:test";
import type { AnnouncerCounters } from "./announcer-counters.js";
import { SpeakerMetrics } from "./metrics.js";

const VIP = "198.18.0.200";
const zero: AnnouncerCounters = {
  framesReceived: 0,
  requestsReceived: {},
  responsesSent: {},
  gratuitousSent: {},
  probesSent: 0,
  conflicts: {},
  defensesSent: {},
  sendErrors: 0,
  drops: {},
};

/** The sample lines (no HELP/TYPE) of a scrape. */
const samples = async (m: SpeakerMetrics): Promise<string[]> =>
  (await m.registry.metrics()).split("\n").filter((l) => l !== "" && !l.startsWith("#"));

test("a scrape shows every counter as of that scrape, by IP and phase, never by MAC", async () => {
  let counters = zero;
  const metrics = new SpeakerMetrics("node1", () => counters);
  assert.deepEqual(await samples(metrics), ["ironlb_speaker_frames_received 0"]);
  counters = {
    ...zero,
    framesReceived: 7,
    requestsReceived: { [VIP]: 2 },
    gratuitousSent: { [VIP]: 2 },
    conflicts: { [`${VIP}|announcing`]: 3, [`${VIP}|probing`]: 1 },
    defensesSent: { [VIP]: 1 },
    drops: { notOwned: 4 },
  };
  assert.deepEqual(await samples(metrics), [
    `metallb_layer2_requests_received{ip="${VIP}"} 2`,
    `metallb_layer2_gratuitous_sent{ip="${VIP}"} 2`,
    `ironlb_speaker_address_conflicts_total{ip="${VIP}",phase="announcing"} 3`,
    `ironlb_speaker_address_conflicts_total{ip="${VIP}",phase="probing"} 1`,
    `ironlb_speaker_address_defenses_total{ip="${VIP}"} 1`,
    `ironlb_speaker_frames_dropped_total{reason="notOwned"} 4`,
    "ironlb_speaker_frames_received 7",
  ]);
  counters = { ...counters, conflicts: { [`${VIP}|announcing`]: 5, [`${VIP}|probing`]: 1 } };
  assert.ok(
    (await samples(metrics)).includes(
      `ironlb_speaker_address_conflicts_total{ip="${VIP}",phase="announcing"} 5`,
    ),
  );
});
