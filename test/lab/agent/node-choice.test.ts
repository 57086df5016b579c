import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseNode, type NodeCandidate } from "./node-choice.js";

const node = (name: string, extra: Partial<NodeCandidate> = {}): NodeCandidate => ({
  name,
  labels: { "kubernetes.io/hostname": name },
  ready: true,
  unschedulable: false,
  ...extra,
});
const three = [node("node1"), node("node2"), node("node3")];

test("chooseNode picks the least-loaded fitting node, ties by name", () => {
  const cases: {
    name: string;
    nodes: NodeCandidate[];
    load?: Record<string, number>;
    nodeSelector?: Record<string, string>;
    want: string;
  }[] = [
    { name: "empty cluster: first by name", nodes: three, want: "node1" },
    { name: "least loaded", nodes: three, load: { node1: 2, node2: 1, node3: 3 }, want: "node2" },
    { name: "tie after the first", nodes: three, load: { node1: 1 }, want: "node2" },
    { name: "order of the list does not matter", nodes: [...three].reverse(), want: "node1" },
    {
      name: "nodeSelector by hostname",
      nodes: three,
      nodeSelector: { "kubernetes.io/hostname": "node3" },
      load: { node3: 9 },
      want: "node3",
    },
    {
      name: "nodeSelector by a label some nodes have",
      nodes: [node("node1"), node("node2", { labels: { zone: "b" } }), node("node3")],
      nodeSelector: { zone: "b" },
      want: "node2",
    },
    {
      name: "not Ready and cordoned nodes are skipped",
      nodes: [
        node("node1", { ready: false }),
        node("node2", { unschedulable: true }),
        node("node3"),
      ],
      load: { node3: 5 },
      want: "node3",
    },
  ];
  for (const c of cases) {
    const pod = c.nodeSelector ? { nodeSelector: c.nodeSelector } : {};
    const got = chooseNode(pod, c.nodes, new Map(Object.entries(c.load ?? {})));
    assert.deepEqual(got, { ok: true, value: c.want }, c.name);
  }
});

test("chooseNode says why no node fits", () => {
  const cases: { nodes: NodeCandidate[]; nodeSelector?: Record<string, string>; why: RegExp }[] = [
    { nodes: [], why: /no lab nodes/ },
    {
      nodes: three,
      nodeSelector: { disk: "ssd" },
      why: /no lab node matches nodeSelector disk=ssd/,
    },
    {
      nodes: [node("node1", { unschedulable: true }), node("node2", { ready: false })],
      why: /not Ready or is cordoned/,
    },
  ];
  for (const c of cases) {
    const got = chooseNode(
      c.nodeSelector ? { nodeSelector: c.nodeSelector } : {},
      c.nodes,
      new Map(),
    );
    assert.ok(!got.ok);
    assert.match(got.error, c.why);
  }
});

test("spreading: binding pods one after another fills the nodes evenly", () => {
  const load = new Map<string, number>();
  const placed: string[] = [];
  for (let i = 0; i < 6; i++) {
    const got = chooseNode({}, three, load);
    assert.ok(got.ok);
    placed.push(got.value);
    load.set(got.value, (load.get(got.value) ?? 0) + 1);
  }
  assert.deepEqual(placed, ["node1", "node2", "node3", "node1", "node2", "node3"]);
});
