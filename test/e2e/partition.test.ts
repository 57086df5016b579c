/**
 * Partitions between the owner of an IP and its designated backup (docs/failover.md), made on
 * the lab bridge: the backup cannot hear the owner (both directions cut, or only owner -> backup)
 * while the client and the apiserver hear both. The backup takes over on the data path, then
 * sees the owner renew its Lease and yields: at steady state one MAC answers for the IP (the
 * owner's), and client traffic is never cut for longer than the failover target.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { rootSkipReason, uniqueName } from "../support/lab.js";
import { arpAnswerers, nodeMac, useLab, waitReachable } from "../support/e2e.js";
import { failoverTarget, settledOwner, type FailoverTarget } from "../support/failover.js";
import { dropFrames, healAll, runnerUp } from "../support/partition.js";
import { longestGap, startRequestLoop } from "../support/request-loop.js";

const skip = rootSkipReason();
/** The failover target: the VIP never goes unanswered longer than this. */
const MAX_GAP_MS = 1000;
/** Takeover (~0.4 s) + one Lease renewal after the hold (5 s + 1 s) + margin. */
const SETTLE_MS = 9000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let target: FailoverTarget | undefined;

const CASES = [
  { name: "owner and backup cannot hear each other", oneWay: false },
  { name: "frames from the owner to the backup are lost (one-way)", oneWay: true },
];

describe("partition between owner and backup", { skip }, () => {
  before(async () => {
    const cp = useLab();
    healAll(); // rules a crashed run left behind
    target = await failoverTarget(
      cp,
      uniqueName("e2e-part"),
      // Node-local forwarding: the cut between two nodes must not break kube-proxy's own
      // cross-node traffic, which is not what is tested here.
      { pool: "e2e-partition", addresses: "198.18.0.210-198.18.0.214", trafficPolicy: "Local" },
    );
  });
  afterEach(() => healAll());
  after(() => {
    healAll();
    target?.cleanup();
  });

  for (const c of CASES) {
    test(`${c.name}: one MAC answers at steady state, traffic never stops`, async () => {
      if (!target) throw new Error("no target");
      await waitReachable(target.url);
      const owner = await settledOwner(target);
      const backup = runnerUp(target.ip);
      assert.notEqual(owner, backup);
      const loop = startRequestLoop(target.url);
      try {
        await sleep(1000);
        const from = Date.now();
        const cut = [{ from: owner, to: backup }];
        dropFrames(c.oneWay ? cut : [...cut, { from: backup, to: owner }]);
        await sleep(SETTLE_MS);
        const answerers = new Set<string>();
        for (let i = 0; i < 3; i++) {
          for (const mac of await arpAnswerers(target.ip, 0.5)) answerers.add(mac);
          await sleep(500);
        }
        const to = Date.now();
        await sleep(300);
        const gap = longestGap(loop.samples, from, to);
        process.stdout.write(
          `# partition (${c.name}): owner ${owner}, backup ${backup}, answerers ${[...answerers].join(",")}, longest gap ${gap} ms\n`,
        );
        assert.deepEqual(
          [...answerers],
          [nodeMac(owner)],
          "the owner alone answers at steady state",
        );
        assert.ok(gap <= MAX_GAP_MS, `traffic stopped for ${gap} ms (at most ${MAX_GAP_MS})`);
      } finally {
        loop.stop();
        healAll();
      }
    });
  }
});
