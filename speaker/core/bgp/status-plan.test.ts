import assert from "node:assert/strict";
import { test } from "node:test";
import { bgpStatusActions } from "./status-plan.js";

test("records follow what this node announces: create, update peers, delete the rest", () => {
  const announcing = new Map([
    ["ns/a", ["r1"]],
    ["ns/b", ["r1", "r2"]],
    ["ns/c", ["r2"]],
  ]);
  const records = [
    { name: "x-b", service: "ns/b", peers: ["r1"] },
    { name: "x-c", service: "ns/c", peers: ["r2"] },
    { name: "x-c2", service: "ns/c", peers: ["r2"] },
    { name: "x-gone", service: "ns/gone", peers: ["r1"] },
  ];
  assert.deepEqual(bgpStatusActions(announcing, records), [
    { op: "delete", name: "x-c2" },
    { op: "delete", name: "x-gone" },
    { op: "create", service: "ns/a", peers: ["r1"] },
    { op: "update", service: "ns/b", peers: ["r1", "r2"] },
  ]);
  assert.deepEqual(bgpStatusActions(new Map(), []), []);
});
