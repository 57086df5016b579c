import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIp, type IpRange, parseRange } from "../../lib/core/ip.js";
import { countBuggy, firstUsable, isBuggyIp } from "./buggy-ips.js";
import { UsedRuns } from "./used-runs.js";

const range = (text: string): IpRange => {
  const r = parseRange(text);
  assert.ok(r.ok, text);
  return r.value;
};
const v4 = (value: bigint | undefined): string | undefined =>
  value === undefined ? undefined : formatIp({ family: "IPv4", value });

/** Takes the lowest free address `n` times. */
const takeLowest = (runs: UsedRuns, n: number): (string | undefined)[] =>
  Array.from({ length: n }, () => {
    const v = runs.lowestFree();
    if (v !== undefined) runs.add(v);
    return v4(v);
  });

test("lowest free address comes first, and a freed address is reused first", () => {
  const runs = new UsedRuns(range("10.0.0.1-10.0.0.4"), false);
  assert.deepEqual(takeLowest(runs, 5), [
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.3",
    "10.0.0.4",
    undefined,
  ]);
  runs.remove(range("10.0.0.2").first);
  assert.equal(v4(runs.lowestFree()), "10.0.0.2");
  assert.equal(runs.runCount, 2);
});

test("avoidBuggyIPs skips .0 and .255 and a filled range stays one run", () => {
  const runs = new UsedRuns(range("10.0.0.253-10.0.2.1"), true);
  const taken = takeLowest(runs, 6);
  assert.deepEqual(taken, [
    "10.0.0.253",
    "10.0.0.254",
    "10.0.1.1",
    "10.0.1.2",
    "10.0.1.3",
    "10.0.1.4",
  ]);
  assert.equal(runs.runCount, 1);
  assert.equal(runs.usable(range("10.0.1.0").first), false);
  assert.throws(() => runs.add(range("10.0.1.255").first));
});

test("freeing addresses next to skipped .0/.255 gaps keeps the free address right", () => {
  const runs = new UsedRuns(range("10.0.0.0/22"), true);
  takeLowest(runs, 254 * 3);
  assert.equal(runs.runCount, 1);
  for (const ip of ["10.0.0.254", "10.0.1.1", "10.0.2.254"]) runs.remove(range(ip).first);
  assert.deepEqual(takeLowest(runs, 4), ["10.0.0.254", "10.0.1.1", "10.0.2.254", "10.0.3.1"]);
  assert.equal(runs.runCount, 1);
});

/** The lowest free address, by scanning (the model the runs must agree with). */
function bruteLowest(r: IpRange, runs: UsedRuns, used: ReadonlySet<bigint>): bigint | undefined {
  for (let v = r.first; v <= r.last; v++) if (runs.usable(v) && !used.has(v)) return v;
  return undefined;
}

test("matches a brute-force model under random add/remove", () => {
  for (const avoid of [false, true]) {
    const r = range("10.0.0.250-10.0.3.5");
    const runs = new UsedRuns(r, avoid);
    const used = new Set<bigint>();
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let step = 0; step < 3000; step++) {
      const value = r.first + BigInt(next(Number(r.last - r.first) + 1));
      if (!runs.usable(value)) continue;
      if (used.has(value)) {
        runs.remove(value);
        used.delete(value);
      } else {
        runs.add(value);
        used.add(value);
      }
      assert.equal(runs.lowestFree(), bruteLowest(r, runs, used), `step ${step} avoid=${avoid}`);
      assert.equal(runs.has(value), used.has(value));
      assert.ok(runs.runCount <= used.size);
    }
  }
});

test("buggy address arithmetic", () => {
  assert.equal(isBuggyIp("IPv4", range("10.0.0.255").first), true);
  assert.equal(isBuggyIp("IPv6", range("::ff").first), false);
  assert.equal(v4(firstUsable(range("10.0.0.255").first, "IPv4", true)), "10.0.1.1");
  const cases: [string, bigint][] = [
    ["10.0.0.0/24", 2n],
    ["10.0.0.0/16", 512n],
    ["10.0.0.1-10.0.0.254", 0n],
    ["10.0.0.255-10.0.1.0", 2n],
    ["0.0.0.0/0", 2n * 2n ** 24n],
    ["2001:db8::/120", 0n],
  ];
  for (const [text, want] of cases) assert.equal(countBuggy(range(text)), want, text);
});
