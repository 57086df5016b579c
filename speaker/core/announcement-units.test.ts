import assert from "node:assert/strict";
import { test } from "node:test";
import { parseIp } from "../../lib/core/ip.js";
import { mulberry32 } from "../../lib/core/random.js";
import { announcementUnits, compareIps, type UnitMember } from "./announcement-units.js";
import { GOLDEN_UNITS } from "./testing/election-golden.js";

const shape = (members: readonly UnitMember[]) =>
  announcementUnits(members).map((u) => ({ key: u.key, ips: u.ips, services: u.services }));

test("announcement units: golden cases (keys and members written by hand)", () => {
  for (const c of GOLDEN_UNITS) {
    assert.deepEqual(
      shape(c.services),
      c.units.map(({ key, ips, services }) => ({ key, ips, services })),
      c.name,
    );
  }
});

test("announcement units: edge cases", () => {
  const cases: [string, UnitMember[], ReturnType<typeof shape>][] = [
    ["no Service", [], []],
    ["a Service without a valid IP is in no unit", [{ key: "ns/x", ips: ["", "nope"] }], []],
    [
      "bad text beside a good IP is ignored",
      [{ key: "ns/x", ips: ["nope", "198.18.0.9"] }],
      [{ key: "198.18.0.9", ips: ["198.18.0.9"], services: ["ns/x"] }],
    ],
    [
      "one IP written twice, two spellings",
      [{ key: "ns/x", ips: ["2001:db8::1", "2001:DB8:0::1"] }],
      [{ key: "2001:db8::1", ips: ["2001:db8::1"], services: ["ns/x"] }],
    ],
    [
      "two Services on one IP",
      [
        { key: "ns/b", ips: ["198.18.0.9"] },
        { key: "ns/a", ips: ["198.18.0.9"] },
      ],
      [{ key: "198.18.0.9", ips: ["198.18.0.9"], services: ["ns/a", "ns/b"] }],
    ],
    [
      "IPv4-mapped IPv6 is IPv6, after every IPv4",
      [{ key: "ns/x", ips: ["::ffff:198.18.0.1", "255.255.255.255"] }],
      [
        {
          key: "255.255.255.255",
          ips: ["255.255.255.255", "::ffff:c612:1"],
          services: ["ns/x"],
        },
      ],
    ],
  ];
  for (const [name, members, want] of cases) assert.deepEqual(shape(members), want, name);
});

test("compareIps: numeric order, every IPv4 before every IPv6", () => {
  const ordered = [
    "0.0.0.0",
    "9.0.0.0",
    "10.0.0.0",
    "255.255.255.255",
    "::",
    "::1",
    "::ff",
    "::1:0",
  ];
  for (const [i, a] of ordered.entries()) {
    for (const [j, b] of ordered.entries()) {
      const got = Math.sign(compareIps(parseIp(a) ?? assert.fail(a), parseIp(b) ?? assert.fail(b)));
      assert.equal(got, Math.sign(i - j), `${a} vs ${b}`);
    }
  }
});

/**
 * Oracle sharing no code with the implementation: keep disjoint IP sets; each Service merges the
 * sets its IPs touch into one.
 */
function mergedSets(members: readonly UnitMember[]): string[] {
  let sets: Set<string>[] = [];
  for (const m of members) {
    const touched = sets.filter((s) => m.ips.some((ip) => s.has(ip)));
    sets = sets.filter((s) => !touched.includes(s));
    sets.push(new Set([...m.ips, ...touched.flatMap((s) => [...s])]));
  }
  return sets.map((s) => [...s].sort().join(",")).sort();
}

/** Order of the addresses generated below: IPv4 by last octet, then IPv6 by last group. */
const rank = (ip: string): number =>
  ip.includes(":") ? 1000 + parseInt(ip.split(":").pop() || "0", 16) : Number(ip.split(".").pop());

test("announcement units: random sharing graphs match a merge-until-stable oracle", () => {
  const random = mulberry32(9);
  const pick = (n: number): number => Math.floor(random() * n);
  for (let round = 0; round < 200; round++) {
    // Few addresses, many Services: plenty of sharing, chains and isolated Services.
    const v4 = Array.from({ length: 6 }, (_, i) => `198.18.0.${10 + i * 40}`);
    const v6 = Array.from({ length: 6 }, (_, i) => `2001:db8:18::${((i + 1) * 0x3f).toString(16)}`);
    const members: UnitMember[] = Array.from({ length: 1 + pick(8) }, (_, i) => ({
      key: `ns/s${i}`,
      ips: [v4[pick(6)] ?? "", ...(random() < 0.5 ? [v6[pick(6)] ?? ""] : [])],
    }));
    const units = announcementUnits(members);
    const got = units.map((u) => [...u.ips].sort().join(",")).sort();
    assert.deepEqual(got, mergedSets(members), `round ${round}`);
    for (const u of units) {
      const lowest = [...u.ips].sort((a, b) => rank(a) - rank(b))[0];
      assert.equal(u.key, lowest, `round ${round}: key of ${u.ips.join(",")}`);
      const users = members.filter((m) => m.ips.some((ip) => u.ips.includes(ip)));
      assert.deepEqual(u.services, users.map((m) => m.key).sort(), `round ${round}`);
    }
    const reversed = announcementUnits(
      [...members].reverse().map((m) => ({ ...m, ips: [...m.ips].reverse() })),
    );
    assert.deepEqual(reversed, units, `round ${round}: input order`);
  }
});
