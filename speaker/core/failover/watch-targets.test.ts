import assert from "node:assert/strict";
import { test } from "node:test";
import type { IpPlan } from "../announcements.js";
import { elect, type CandidateInput, type Election } from "../election.js";
import { GOLDEN_HASHES } from "../testing/election-golden.js";
import { backupOf, watchTargets } from "./watch-targets.js";

const NODES = ["node1", "node2", "node3"];
const OK = { networkUnavailable: false, excludedByLabel: false };
const cluster = {
  trafficPolicy: "Cluster" as const,
  hasEndpoint: true,
  nodesWithEndpoint: new Set<string>(),
};

const input = (live: readonly string[]): CandidateInput => ({
  liveSpeakers: new Set(live),
  nodes: new Map(NODES.map((n) => [n, OK])),
  selectedByL2Advertisement: new Set(NODES),
  services: [cluster],
});

/** Nodes by their golden digest (sha256sum, election-golden.ts), smallest first. */
const goldenOrder = (key: string, among: readonly string[]): string[] => {
  const h = GOLDEN_HASHES[key] ?? {};
  return [...among].sort((a, b) => ((h[a] ?? "") < (h[b] ?? "") ? -1 : 1));
};

const plan = (ip: string, unit: string, election: Election): IpPlan => ({
  ip,
  pool: "p",
  unit,
  services: [`ns/${unit}`],
  election,
  interfaces: [],
});

test("the backup is the runner-up in golden hash order among live candidates", () => {
  const cases: { key: string; live: string[] }[] = [
    { key: "198.18.0.200", live: NODES },
    { key: "198.18.0.201", live: NODES },
    { key: "198.18.0.30", live: NODES },
    { key: "198.18.0.200", live: ["node1", "node2"] },
    { key: "198.18.0.201", live: ["node2", "node3"] },
  ];
  for (const c of cases) {
    const [owner, backup] = goldenOrder(c.key, c.live);
    const e = elect(c.key, input(c.live));
    assert.equal(e.winner, owner, `${c.key} owner`);
    assert.equal(backupOf(c.key, e), backup, `${c.key} backup among ${c.live.join(",")}`);
  }
});

test("a unit with one candidate has no backup", () => {
  assert.equal(backupOf("198.18.0.200", elect("198.18.0.200", input(["node2"]))), undefined);
});

test("watch targets: one per owner this node backs up, IPv4 representative first", () => {
  const plans = new Map<string, IpPlan>();
  for (const key of ["198.18.0.200", "198.18.0.201", "198.18.0.30"]) {
    plans.set(key, plan(key, key, elect(key, input(NODES))));
  }
  // A dual-stack unit keyed by its IPv4 address: its IPv6 address belongs to the same target.
  plans.set(
    "2001:db8:18::200",
    plan("2001:db8:18::200", "198.18.0.200", elect("198.18.0.200", input(NODES))),
  );
  for (const me of NODES) {
    const want = new Map<string, string[]>();
    for (const key of ["198.18.0.200", "198.18.0.201", "198.18.0.30"]) {
      const [owner = "", backup] = goldenOrder(key, NODES);
      if (backup !== me) continue;
      want.set(owner, [...(want.get(owner) ?? []), key]);
      if (key === "198.18.0.200") want.get(owner)?.push("2001:db8:18::200");
    }
    const got = watchTargets(plans, me);
    assert.deepEqual(
      got.map((t) => [t.owner, [...t.ips].sort()]),
      [...want].sort().map(([o, ips]) => [o, ips.sort()]),
      me,
    );
    for (const t of got) assert.ok(!t.ip.includes(":"), `${me}: IPv4 representative, got ${t.ip}`);
  }
});
