import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import {
  elect,
  electionHash,
  type CandidateInput,
  type NodeFacts,
  type ServiceEndpoints,
} from "./election.js";
import { GOLDEN_HASHES, GOLDEN_OWNERS } from "./testing/election-golden.js";

const NODES = ["node1", "node2", "node3"];
const OK: NodeFacts = { networkUnavailable: false, excludedByLabel: false };
const cluster: ServiceEndpoints = {
  trafficPolicy: "Cluster",
  hasEndpoint: true,
  nodesWithEndpoint: new Set(["node1"]),
};

function input(over: Partial<CandidateInput> = {}, nodes = NODES): CandidateInput {
  return {
    liveSpeakers: new Set(nodes),
    nodes: new Map(nodes.map((n) => [n, OK])),
    selectedByL2Advertisement: new Set(nodes),
    services: [cluster],
    ...over,
  };
}

const sha = (text: string): string => createHash("sha256").update(text).digest("hex");
const ips = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`);

test("the winner is the candidate with the smallest sha256(node#ip)", () => {
  for (const ip of ["198.18.0.200", "2001:db8:18::200"]) {
    const want = [...NODES].sort((a, b) => (sha(`${a}#${ip}`) < sha(`${b}#${ip}`) ? -1 : 1))[0];
    const got = elect(ip, input());
    assert.equal(got.winner, want, ip);
    assert.equal(got.outcome, "elected");
    assert.deepEqual(
      [...got.reasons],
      NODES.filter((n) => n !== want).map((n) => [n, "lostHash"]),
    );
  }
});

test("golden: the hash is sha256sum of node#key and the owner the smallest digest", () => {
  for (const [key, byNode] of Object.entries(GOLDEN_HASHES)) {
    for (const [node, digest] of Object.entries(byNode)) {
      assert.equal(electionHash(node, key), digest, `${node}#${key}`);
    }
    assert.equal(elect(key, input()).winner, GOLDEN_OWNERS[key], key);
    assert.equal(elect(key, input({}, [...NODES].reverse())).winner, GOLDEN_OWNERS[key], key);
  }
});

test("the IP is hashed in canonical text, so every spelling elects the same node", () => {
  const canonical = elect("2001:db8:18::200", input()).winner;
  for (const spelling of ["2001:DB8:18::200", "2001:db8:18:0:0:0:0:200"]) {
    assert.equal(elect(spelling, input()).winner, canonical, spelling);
  }
});

test("every node computes the same answer whatever order its view lists nodes in", () => {
  const orders = [NODES, [...NODES].reverse(), ["node2", "node3", "node1"]];
  for (const ip of ips(50)) {
    const answers = orders.map((order) => {
      const got = elect(ip, input({}, order));
      return JSON.stringify([got.winner, [...got.reasons]]);
    });
    assert.equal(new Set(answers).size, 1, ip);
  }
});

test("each rule excludes a node with its reason, in rule order", () => {
  const local = (nodes: string[]): ServiceEndpoints => ({
    trafficPolicy: "Local",
    hasEndpoint: nodes.length > 0,
    nodesWithEndpoint: new Set(nodes),
  });
  const facts = (over: Partial<NodeFacts>) =>
    new Map(NODES.map((n) => [n, { ...OK, ...(n === "node1" ? over : {}) }]));
  const cases: [string, Partial<CandidateInput>, string | undefined][] = [
    ["not live", { liveSpeakers: new Set(["node2", "node3"]) }, "notLive"],
    ["network unavailable", { nodes: facts({ networkUnavailable: true }) }, "networkUnavailable"],
    ["excluded by label", { nodes: facts({ excludedByLabel: true }) }, "excludedByLabel"],
    [
      "not live beats excluded",
      { nodes: facts({ excludedByLabel: true }), liveSpeakers: new Set(["node2", "node3"]) },
      "notLive",
    ],
    [
      "L2Advertisement set",
      { selectedByL2Advertisement: new Set(["node2", "node3"]) },
      "notSelectedByL2Advertisement",
    ],
    [
      "L2Advertisement predicate",
      { selectedByL2Advertisement: (n) => n !== "node1" },
      "notSelectedByL2Advertisement",
    ],
    [
      "Local without a local endpoint",
      { services: [local(["node2", "node3"])] },
      "noLocalEndpoint",
    ],
    ["Local with a local endpoint", { services: [local(["node1"])] }, undefined],
    ["Cluster needs no local endpoint", { services: [cluster] }, undefined],
  ];
  for (const [name, over, reason] of cases) {
    const got = elect("198.18.0.200", input(over));
    assert.equal(got.reasons.get("node1"), reason, name);
    if (reason !== undefined) assert.notEqual(got.winner, "node1", name);
    assert.ok(got.winner !== undefined, name);
  }
});

test("Local only elects among nodes with a local endpoint", () => {
  const local: ServiceEndpoints = {
    trafficPolicy: "Local",
    hasEndpoint: true,
    nodesWithEndpoint: new Set(["node3"]),
  };
  for (const ip of ips(20))
    assert.equal(elect(ip, input({ services: [local] })).winner, "node3", ip);
});

test("nothing is announced without an endpoint anywhere", () => {
  const none: ServiceEndpoints = {
    trafficPolicy: "Cluster",
    hasEndpoint: false,
    nodesWithEndpoint: new Set(),
  };
  const cases: [string, readonly ServiceEndpoints[]][] = [
    ["no service", []],
    ["service without endpoints", [none]],
    ["two services, neither with endpoints", [none, { ...none, trafficPolicy: "Local" }]],
  ];
  for (const [name, services] of cases) {
    const got = elect(
      "198.18.0.200",
      input({ services, liveSpeakers: new Set(["node1", "node2"]) }),
    );
    assert.equal(got.winner, undefined, name);
    assert.equal(got.outcome, "noEndpoint", name);
    assert.deepEqual(
      [...got.reasons],
      [
        ["node1", "noEndpoint"],
        ["node2", "noEndpoint"],
        ["node3", "notLive"],
      ],
      name,
    );
  }
});

test("no candidate at all is its own outcome", () => {
  const got = elect("198.18.0.200", input({ selectedByL2Advertisement: new Set() }));
  assert.equal(got.winner, undefined);
  assert.equal(got.outcome, "noCandidates");
});

test("services sharing an IP combine as a union", () => {
  const local = (nodes: string[], ready = nodes.length > 0): ServiceEndpoints => ({
    trafficPolicy: "Local",
    hasEndpoint: ready,
    nodesWithEndpoint: new Set(nodes),
  });
  const cases: [string, ServiceEndpoints[], string[]][] = [
    [
      "two Local services: nodes with either",
      [local(["node1"]), local(["node2"])],
      ["node1", "node2"],
    ],
    ["a Cluster service with endpoints opens every node", [local(["node1"]), cluster], NODES],
    ["a service without endpoints adds nothing", [local(["node1"]), local([])], ["node1"]],
  ];
  for (const [name, services, eligible] of cases) {
    const got = elect("198.18.0.200", input({ services }));
    const candidates = NODES.filter((n) => n === got.winner || got.reasons.get(n) === "lostHash");
    assert.deepEqual(candidates, eligible, name);
  }
});

test("a live speaker without a Node object is a candidate, and the winner has no reason", () => {
  const got = elect(
    "198.18.0.200",
    input({
      nodes: new Map(),
      liveSpeakers: new Set(["node9"]),
      selectedByL2Advertisement: () => true,
    }),
  );
  assert.equal(got.winner, "node9");
  assert.equal(got.reasons.size, 0);
});

test("removing a non-winner never moves an IP; removing a node moves only its IPs", () => {
  const all = ips(200);
  const before = new Map(all.map((ip) => [ip, elect(ip, input()).winner]));
  const after = new Map(
    all.map((ip) => [ip, elect(ip, input({ liveSpeakers: new Set(["node1", "node3"]) })).winner]),
  );
  const moved = all.filter((ip) => before.get(ip) !== after.get(ip));
  assert.ok(moved.length > 0, "node2 owned something");
  for (const ip of all) {
    if (before.get(ip) === "node2") assert.notEqual(after.get(ip), "node2", ip);
    else assert.equal(after.get(ip), before.get(ip), ip);
  }
});

test("300 IPs spread roughly evenly over 3 nodes", () => {
  const counts = new Map<string, number>();
  for (const ip of ips(300)) {
    const { winner } = elect(ip, input());
    assert.ok(winner);
    counts.set(winner, (counts.get(winner) ?? 0) + 1);
  }
  for (const node of NODES) {
    const count = counts.get(node) ?? 0;
    assert.ok(count >= 60 && count <= 140, `${node} owns ${count} of 300`);
  }
});
