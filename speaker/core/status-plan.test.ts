import assert from "node:assert/strict";
import { test } from "node:test";
import { statusActions, type StatusInput, type StatusRecord } from "./status-plan.js";

const rec = (service: string, node: string | undefined, interfaces = ["eth0"]): StatusRecord => ({
  service,
  node,
  interfaces,
});

function input(over: Partial<StatusInput>): StatusInput {
  return {
    node: "node1",
    announcing: new Map(),
    records: [],
    services: new Set(["ns/a", "ns/b"]),
    liveSpeakers: new Set(["node1", "node2", "node3"]),
    ...over,
  };
}

const cases: [string, Partial<StatusInput>, ReturnType<typeof statusActions>][] = [
  [
    "announced without a record: claim",
    { announcing: new Map([["ns/a", ["eth0"]]]) },
    [{ kind: "claim", service: "ns/a", interfaces: ["eth0"], reason: "missing" }],
  ],
  [
    "announced, record already ours with the same interfaces (any order): nothing",
    {
      announcing: new Map([["ns/a", ["eth1", "eth0"]]]),
      records: [rec("ns/a", "node1", ["eth0", "eth1"])],
    },
    [],
  ],
  [
    "announced, a peer's record (it held the IP while we were cut off): claim",
    { announcing: new Map([["ns/a", ["eth0"]]]), records: [rec("ns/a", "node3")] },
    [{ kind: "claim", service: "ns/a", interfaces: ["eth0"], reason: "other-node" }],
  ],
  [
    "announced on other interfaces than recorded: claim",
    { announcing: new Map([["ns/a", ["eth1"]]]), records: [rec("ns/a", "node1", ["eth0"])] },
    [{ kind: "claim", service: "ns/a", interfaces: ["eth1"], reason: "interfaces" }],
  ],
  [
    "our record for a Service we no longer announce: remove it",
    { records: [rec("ns/b", "node1")] },
    [{ kind: "remove", service: "ns/b", node: "node1", reason: "not-announced" }],
  ],
  [
    "our record for a deleted Service: remove it",
    { records: [rec("ns/gone", "node1")] },
    [{ kind: "remove", service: "ns/gone", node: "node1", reason: "not-announced" }],
  ],
  [
    "a live peer's record for an existing Service: the peer's business",
    { records: [rec("ns/b", "node2")] },
    [],
  ],
  [
    "a live peer's record for a deleted Service: the peer removes it itself",
    { records: [rec("ns/gone", "node2")] },
    [],
  ],
  [
    "a dead node's record for a deleted Service: any live speaker removes it",
    { records: [rec("ns/gone", "node9")] },
    [{ kind: "remove", service: "ns/gone", node: "node9", reason: "service-gone" }],
  ],
  [
    "a record naming no node for a deleted Service: removed",
    { records: [rec("ns/gone", undefined)] },
    [{ kind: "remove", service: "ns/gone", node: undefined, reason: "service-gone" }],
  ],
  [
    "a dead node's record for an existing Service: left for the Service's owner to claim",
    { records: [rec("ns/b", "node9")] },
    [],
  ],
];

for (const [name, over, expected] of cases) {
  test(`statusActions: ${name}`, () => {
    assert.deepEqual(statusActions(input(over)), expected);
  });
}
