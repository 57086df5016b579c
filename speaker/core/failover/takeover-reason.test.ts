import assert from "node:assert/strict";
import { test } from "node:test";
import { takeoverReason } from "./takeover-reason.js";

test("takeover reasons", () => {
  const s = (...n: string[]) => new Set(n);
  const cases = [
    { silent: s("a"), stopped: s(), live: s("a", "b"), want: "ownerSilent" },
    { silent: s(), stopped: s("a"), live: s("b"), want: "ownerStopped" },
    { silent: s(), stopped: s(), live: s("b"), want: "ownerSilent" },
    { silent: s(), stopped: s(), live: s("a", "b"), want: "ownerNotEligible" },
  ];
  for (const { want, ...facts } of cases) assert.equal(takeoverReason("a", facts), want);
});
