import assert from "node:assert/strict";
import { test } from "node:test";
import { AddressClaims } from "./address-claims.js";

const VIP = "198.18.0.200";
const own = (ip = VIP) => new Map([[ip, ["eth0"]]]);

/**
 * Drives one claim through a script of [time, event] and records its phase after each step:
 * `conflict` (a foreign claim at that time), `tick` (advance), `probe` (take due probes).
 */
function run(claims: AddressClaims, script: [number, "conflict" | "tick" | "probe"][]): string[] {
  return script.map(([now, event]) => {
    let note = "";
    if (event === "conflict") note = JSON.stringify(claims.conflict(VIP, now) ?? null);
    if (event === "tick") note = String(claims.advance(now).nextAt);
    if (event === "probe") note = claims.takeProbes().join(",");
    return `${now} ${event} ${claims.get(VIP)?.phase} ${note}`;
  });
}

test("probe conflicts hold the IP with a backoff of 1 s doubling up to the cap", () => {
  const claims = new AddressClaims({ probeWindowMs: 200, backoffMaxMs: 5000 });
  claims.set(own(), [], 0);
  assert.deepEqual(
    run(claims, [
      [0, "probe"],
      [50, "conflict"],
      [60, "conflict"],
      [1049, "tick"],
      [1050, "tick"],
      [1050, "probe"],
      [1100, "conflict"],
      [3100, "tick"],
      [3100, "probe"],
      [3150, "conflict"],
      [7150, "tick"],
      [7200, "conflict"],
      [12_200, "tick"],
      [12_250, "conflict"],
      [17_250, "tick"],
      [17_449, "tick"],
      [17_450, "tick"],
      [17_500, "conflict"],
    ]),
    [
      `0 probe probing ${VIP}`,
      `50 conflict conflicted {"phase":"probing","retryInMs":1000}`,
      "60 conflict conflicted null",
      "1049 tick conflicted 1050",
      "1050 tick probing 1250",
      `1050 probe probing ${VIP}`,
      `1100 conflict conflicted {"phase":"probing","retryInMs":2000}`,
      "3100 tick probing 3300",
      `3100 probe probing ${VIP}`,
      `3150 conflict conflicted {"phase":"probing","retryInMs":4000}`,
      "7150 tick probing 7350",
      `7200 conflict conflicted {"phase":"probing","retryInMs":5000}`,
      "12200 tick probing 12400",
      `12250 conflict conflicted {"phase":"probing","retryInMs":5000}`,
      "17250 tick probing 17450",
      "17449 tick probing 17450",
      "17450 tick announcing Infinity",
      `17500 conflict announcing {"phase":"announcing","defend":true}`,
    ],
  );
});

test("an announced IP is defended at most once per 10 s and never stops being answerable", () => {
  const claims = new AddressClaims();
  claims.set(own(), [VIP], 1000);
  const defends = [1000, 5000, 10_999, 11_000, 11_001, 40_000].map(
    (now) => [now, claims.conflict(VIP, now)] as const,
  );
  assert.deepEqual(
    defends.map(([now, o]) => [now, o && o.phase === "announcing" ? o.defend : o]),
    [
      [1000, true],
      [5000, false],
      [10_999, false],
      [11_000, true],
      [11_001, false],
      [40_000, true],
    ],
  );
  assert.deepEqual([...(claims.answerable(VIP) ?? [])], ["eth0"]);
  assert.equal(claims.watched(VIP), true);
});

test("held IPs are neither answered nor watched; owned anew, the backoff starts over", () => {
  const claims = new AddressClaims({ probeWindowMs: 200 });
  claims.set(own(), [], 0);
  claims.conflict(VIP, 10);
  assert.equal(claims.answerable(VIP), undefined);
  assert.equal(claims.watched(VIP), false);
  claims.advance(1010);
  claims.conflict(VIP, 1020); // retry 2000
  claims.advance(3020);
  claims.advance(3220);
  assert.equal(claims.get(VIP)?.phase, "announcing");
  claims.set(new Map(), [], 4000);
  claims.set(own(), [], 5000);
  assert.deepEqual(claims.conflict(VIP, 5010), { phase: "probing", retryInMs: 1000 });
});

test("takeovers and a zero probe window announce at once; unknown IPs are no conflict", () => {
  const claims = new AddressClaims({ probeWindowMs: 0 });
  claims.set(own(), [], 0);
  assert.equal(claims.get(VIP)?.phase, "announcing");
  assert.deepEqual(claims.takeProbes(), []);
  assert.equal(claims.conflict("198.18.0.1", 0), undefined);
});
