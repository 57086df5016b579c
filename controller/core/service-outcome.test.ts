import assert from "node:assert/strict";
import { test } from "node:test";
import { FailureReason } from "./allocation-failure.js";
import {
  releasedOutcome,
  serviceOutcome,
  type Attempt,
  type ServiceShown,
} from "./service-outcome.js";

const none: ServiceShown = { ingress: [], pool: undefined, condition: undefined };
const shownAllocated: ServiceShown = {
  ingress: ["198.18.0.200"],
  pool: "p",
  condition: { status: "True", reason: "Allocated", message: 'IPs 198.18.0.200 from pool "p"' },
};
const got: Attempt = { ok: true, ips: ["198.18.0.200"], pool: "p" };
const exhausted: Attempt = {
  ok: false,
  failure: { reason: FailureReason.PoolExhausted, message: 'no free IPv4 address in pool "p"' },
};

test("serviceOutcome: writes and events only when something changed", () => {
  const cases: {
    name: string;
    attempt: Attempt;
    shown: ServiceShown;
    advertised?: boolean;
    writeStatus: boolean;
    writeAnnotation: boolean;
    events: string[];
  }[] = [
    {
      name: "first allocation",
      attempt: got,
      shown: none,
      writeStatus: true,
      writeAnnotation: true,
      events: ["IPAllocated"],
    },
    {
      name: "unchanged",
      attempt: got,
      shown: shownAllocated,
      writeStatus: false,
      writeAnnotation: false,
      events: [],
    },
    {
      name: "not advertised",
      attempt: got,
      shown: none,
      advertised: false,
      writeStatus: true,
      writeAnnotation: true,
      events: ["IPAllocated", "NotAdvertised"],
    },
    {
      name: "first failure",
      attempt: exhausted,
      shown: none,
      writeStatus: true,
      writeAnnotation: false,
      events: ["AllocationFailed"],
    },
    {
      name: "same failure again: no new event, no write",
      attempt: exhausted,
      shown: {
        ingress: [],
        pool: undefined,
        condition: {
          status: "False",
          reason: "PoolExhausted",
          message: 'no free IPv4 address in pool "p"',
        },
      },
      writeStatus: false,
      writeAnnotation: false,
      events: [],
    },
    {
      name: "IP moved by a pool edit",
      attempt: {
        ...got,
        ips: ["198.18.0.210"],
        cleared: { ips: ["198.18.0.200"], pool: "p", message: "pool edited" },
      },
      shown: shownAllocated,
      writeStatus: true,
      writeAnnotation: false,
      events: ["ClearAssignment", "IPAllocated"],
    },
    {
      name: "lost its IP and got none: status cleared, annotation removed",
      attempt: {
        ...exhausted,
        cleared: { ips: ["198.18.0.200"], pool: "p", message: "pool edited" },
      },
      shown: shownAllocated,
      writeStatus: true,
      writeAnnotation: true,
      events: ["ClearAssignment", "AllocationFailed"],
    },
  ];
  for (const c of cases) {
    const out = serviceOutcome(c.attempt, c.shown, c.advertised ?? true);
    assert.equal(out.writeStatus, c.writeStatus, `${c.name}: writeStatus`);
    assert.equal(out.writeAnnotation, c.writeAnnotation, `${c.name}: writeAnnotation`);
    assert.deepEqual(
      out.events.map((e) => e.reason),
      c.events,
      `${c.name}: events`,
    );
  }
});

test("serviceOutcome: the ClearAssignment message names the old and the new IP", () => {
  const out = serviceOutcome(
    {
      ...got,
      ips: ["198.18.0.210"],
      cleared: { ips: ["198.18.0.200"], pool: "p", message: "pool edited" },
    },
    shownAllocated,
    true,
  );
  assert.match(
    out.events[0]?.message ?? "",
    /198\.18\.0\.200 .*pool edited.*new IP: 198\.18\.0\.210/,
  );
  assert.equal(out.condition?.reason, "Allocated");
  assert.deepEqual(out.ingress, ["198.18.0.210"]);
});

test("releasedOutcome: only Services that show IronLB's state are cleaned", () => {
  assert.equal(
    releasedOutcome({ ingress: ["10.0.0.1"], pool: undefined, condition: undefined }),
    undefined,
  );
  const out = releasedOutcome(shownAllocated);
  assert.ok(out);
  assert.deepEqual(out.ingress, []);
  assert.equal(out.condition, undefined);
  assert.equal(out.writeAnnotation, true);
});
