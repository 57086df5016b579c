import assert from "node:assert/strict";
import { test } from "node:test";
import { toLabNode } from "./lab-nodes.js";

test("toLabNode reads pod CIDRs, InternalIPs (IPv4 first), readiness and cordon", () => {
  const node = toLabNode({
    metadata: { name: "node2", labels: { "kubernetes.io/hostname": "node2" } },
    spec: { podCIDR: "198.19.2.0/24", podCIDRs: ["198.19.2.0/24", "2001:db8:19:2::/64"] },
    status: {
      addresses: [
        { type: "InternalIP", address: "2001:db8:18::12" },
        { type: "Hostname", address: "node2" },
        { type: "InternalIP", address: "198.18.0.12" },
      ],
      conditions: [{ type: "Ready", status: "True" }],
    },
  });
  assert.deepEqual(node, {
    name: "node2",
    labels: { "kubernetes.io/hostname": "node2" },
    ready: true,
    unschedulable: false,
    podCidrs: ["198.19.2.0/24", "2001:db8:19:2::/64"],
    internalIPs: ["198.18.0.12", "2001:db8:18::12"],
  });
});

test("toLabNode: older single podCIDR, no status, cordoned", () => {
  const node = toLabNode({
    metadata: { name: "n" },
    spec: { podCIDR: "198.19.9.0/24", unschedulable: true },
  });
  assert.deepEqual(node.podCidrs, ["198.19.9.0/24"]);
  assert.equal(node.ready, false);
  assert.equal(node.unschedulable, true);
  assert.deepEqual(node.internalIPs, []);
});
