import assert from "node:assert/strict";
import { test } from "node:test";
import { describePeer, parsePortList, replyLine } from "./pod-reply.js";

test("describePeer writes what the server saw, IPv4-mapped addresses as plain IPv4", () => {
  const cases: [string, number, string][] = [
    ["::ffff:198.18.0.100", 40312, "198.18.0.100:40312"],
    ["198.18.0.11", 80, "198.18.0.11:80"],
    ["2001:db8:18::100", 5353, "[2001:db8:18::100]:5353"],
    ["::1", 1, "[::1]:1"],
  ];
  for (const [address, port, want] of cases) assert.equal(describePeer(address, port), want);
});

test("replyLine names the pod, the client and the node", () => {
  assert.equal(
    replyLine({ pod: "web-1", node: "node2" }, "::ffff:198.18.0.11", 1234),
    "pod=web-1 client=198.18.0.11:1234 node=node2\n",
  );
});

test("parsePortList reads PORT[/PROTOCOL] lists and rejects the rest", () => {
  assert.deepEqual(parsePortList(""), []);
  assert.deepEqual(parsePortList("80,53/UDP,8080/TCP"), [
    { port: 80, protocol: "TCP" },
    { port: 53, protocol: "UDP" },
    { port: 8080, protocol: "TCP" },
  ]);
  for (const bad of ["0", "65536", "80/SCTP", "http", "80,"]) {
    assert.throws(() => parsePortList(bad), /bad port/, bad);
  }
});
