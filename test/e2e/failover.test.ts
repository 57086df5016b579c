/**
 * Failover through the real kernel: while the client sends requests, the node announcing the IP
 * loses its speaker (SIGKILL, SIGTERM) or its link; the client's neighbour table must move to
 * another lab node whose speaker runs, and traffic must come back through it. The gaps are
 * printed, not judged: `make bench` measures their distribution over many trials.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { rootSkipReason, uniqueName } from "../support/lab.js";
import { assertIronlbRunning, useLab, waitReachable } from "../support/e2e.js";
import {
  failoverProblems,
  failoverTarget,
  FAULTS,
  measureFailover,
  type FailoverTarget,
} from "../support/failover.js";

const skip = rootSkipReason();
let target: FailoverTarget | undefined;

describe("failover", { skip }, () => {
  before(async () => {
    target = await failoverTarget(useLab(), uniqueName("e2e-fo"), {
      pool: "e2e-failover",
      addresses: "198.18.0.240-198.18.0.249",
    });
  });

  beforeEach(() => void useLab()); // restarts any IronLB process that died, as a DaemonSet would
  afterEach(() => assertIronlbRunning()); // ...but a process that died is a failure first

  after(() => target?.cleanup());

  for (const fault of FAULTS) {
    test(`traffic resumes after ${fault} on the announcing node`, async () => {
      if (!target) throw new Error("no failover target");
      await waitReachable(target.url);
      const r = await measureFailover(target, fault);
      process.stdout.write(
        `# failover ${fault}: owner ${r.owner} -> ${r.newOwner ?? "?"}, gap ${r.gapMs} ms\n`,
      );
      assert.deepEqual(failoverProblems(r), [], `${fault}: ${JSON.stringify(r)}`);
    });
  }
});
