import assert from "node:assert/strict";
import { test } from "node:test";
import { forwardingNode, nodeOfAddress, parseNextHops } from "./bgp.js";

test("parseNextHops reads single and multipath routes as `ip route show` prints them", () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["198.18.100.5 nhid 6 via 198.18.250.2 dev eth0 proto bgp metric 20 \n", ["198.18.250.2"]],
    [
      [
        "198.18.100.7 nhid 22 proto bgp metric 20 ",
        "\tnexthop via 198.18.0.12 dev eth0 weight 1 ",
        "\tnexthop via 198.18.0.11 dev eth0 weight 1 ",
        "",
      ].join("\n"),
      ["198.18.0.11", "198.18.0.12"],
    ],
  ];
  for (const [output, want] of cases) assert.deepEqual(parseNextHops(output), want, output);
});

test("the forwarding node comes from the masqueraded client address", () => {
  const cases: [string | undefined, string | undefined][] = [
    ["pod=web-1 client=198.18.0.12:40312 node=node3", "node2"],
    ["pod=web-1 client=198.19.3.1:40312 node=node3", "node3"],
    ["pod=web-1 client=198.18.200.100:40312 node=node3", undefined],
    ["pod=web-1 client=198.18.0.1:40312 node=node3", undefined],
    [undefined, undefined],
  ];
  for (const [answer, want] of cases) assert.equal(forwardingNode(answer), want, answer);
  assert.equal(nodeOfAddress("198.19.2.7"), undefined);
});
