import assert from "node:assert/strict";
import { test } from "node:test";
import { hostVethName, nodeNetnsName, podHash, podNetnsName, POD_NETNS_PREFIX } from "./names.js";

test("names derive from the pod UID, stably, and fit Linux's 15-byte interface names", () => {
  const uid = "0b7c3f8e-6a51-4c43-9a0e-2f5d1f0c9b11";
  const hash = podHash(uid);
  assert.match(hash, /^[0-9a-f]{10}$/);
  assert.equal(podHash(uid), hash);
  assert.notEqual(podHash(`${uid}x`), hash);
  assert.equal(podNetnsName(hash), `${POD_NETNS_PREFIX}${hash}`);
  assert.ok(hostVethName(hash).length <= 15, hostVethName(hash));
  assert.equal(nodeNetnsName("node2"), "ironlb-node2");
});
