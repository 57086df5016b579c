import assert from "node:assert/strict";
import { test } from "node:test";
import { failoverProblems, type GapResult } from "./failover.js";

const good: GapResult = {
  fault: "speaker-sigkill",
  owner: "node1",
  newOwner: "node2",
  liveSpeakers: ["node2", "node3"],
  gapMs: 800,
  resumed: 12,
  resumedAfterTakeover: 4,
  restoreMs: 700,
  neighbourMs: 450,
};

test("a failover is judged on who took over and whether traffic came back through it", () => {
  assert.deepEqual(failoverProblems(good), []);
  const cases: [string, Partial<GapResult>, RegExp][] = [
    ["nobody in the neighbour table", { newOwner: undefined }, /no lab node, not a lab node/],
    ["a MAC that is no lab node's", { newOwner: "router" }, /router, not a lab node/],
    ["the faulted node still", { newOwner: "node1" }, /node1, the faulted node/],
    ["a node whose speaker is down", { liveSpeakers: ["node3"] }, /node2 has no running speaker/],
    ["no traffic through the new owner", { resumedAfterTakeover: 2 }, /2 answers through node2/],
    ["no answer at all after the fault", { gapMs: Infinity }, /no answer after the fault/],
  ];
  for (const [name, change, problem] of cases) {
    const problems = failoverProblems({ ...good, ...change });
    assert.equal(problems.length, 1, `${name}: ${problems.join("; ")}`);
    assert.match(problems[0] ?? "", problem, name);
  }
});
