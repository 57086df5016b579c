import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Endpoint, V1EndpointSlice } from "@kubernetes/client-node";
import { endpointViews } from "./cluster-view.js";

type Conditions = NonNullable<V1Endpoint["conditions"]>;

const ep = (nodeName: string | undefined, conditions: Conditions): V1Endpoint => ({
  addresses: ["198.19.1.10"],
  conditions,
  ...(nodeName === undefined ? {} : { nodeName }),
});
const slice = (service: string, endpoints: V1Endpoint[]): V1EndpointSlice => ({
  addressType: "IPv4",
  metadata: {
    namespace: "ns",
    name: `${service}-x`,
    labels: { "kubernetes.io/service-name": service },
  },
  endpoints,
});

// What the endpointslice-controller writes: a running pod, one that is deleted but still Ready
// (terminating, serving), one deleted and no longer Ready, and one starting.
const READY: Conditions = { ready: true, serving: true, terminating: false };
const DRAINING: Conditions = { ready: false, serving: true, terminating: true };
const GONE: Conditions = { ready: false, serving: false, terminating: true };
const STARTING: Conditions = { ready: false, serving: false, terminating: false };

test("endpoints: the ready ones, else the serving (terminating) ones, per Service", () => {
  const cases: [string, V1EndpointSlice[], { has: boolean; nodes: string[] } | undefined][] = [
    [
      "ready pods only",
      [slice("s", [ep("node1", READY), ep("node2", READY)])],
      { has: true, nodes: ["node1", "node2"] },
    ],
    [
      "a ready pod hides the draining ones",
      [slice("s", [ep("node1", READY), ep("node2", DRAINING)])],
      { has: true, nodes: ["node1"] },
    ],
    [
      "only draining pods: they count, on their nodes",
      [slice("s", [ep("node2", DRAINING), ep("node3", DRAINING), ep("node1", GONE)])],
      { has: true, nodes: ["node2", "node3"] },
    ],
    [
      "the ready pod in another slice of the same Service still wins",
      [slice("s", [ep("node2", DRAINING)]), slice("s", [ep("node3", READY)])],
      { has: true, nodes: ["node3"] },
    ],
    [
      "terminating and no longer serving, or starting: none",
      [slice("s", [ep("node1", GONE), ep("node2", STARTING)])],
      { has: false, nodes: [] },
    ],
    [
      "conditions unset read as ready",
      [slice("s", [ep("node1", {})])],
      { has: true, nodes: ["node1"] },
    ],
    [
      "serving unset follows ready",
      [slice("s", [ep("node1", { ready: false }), ep("node2", { ready: true })])],
      { has: true, nodes: ["node2"] },
    ],
    [
      "an endpoint naming no node still counts as an endpoint",
      [slice("s", [ep(undefined, DRAINING)])],
      { has: true, nodes: [] },
    ],
    ["a slice with no endpoints", [slice("s", [])], { has: false, nodes: [] }],
  ];
  for (const [name, slices, want] of cases) {
    const got = endpointViews(slices).get("ns/s");
    assert.deepEqual(
      got && { has: got.hasEndpoint, nodes: [...got.nodesWithEndpoint].sort() },
      want,
      name,
    );
  }
});

test("endpoints: one Service draining does not borrow another's ready pods", () => {
  const views = endpointViews([
    slice("a", [ep("node1", READY)]),
    slice("b", [ep("node2", DRAINING)]),
  ]);
  assert.deepEqual([...(views.get("ns/a")?.nodesWithEndpoint ?? [])], ["node1"]);
  assert.deepEqual([...(views.get("ns/b")?.nodesWithEndpoint ?? [])], ["node2"]);
});
