import assert from "node:assert/strict";
import { test } from "node:test";
import { advertisesPool, selectsNode, type L2AdvertisementSpec } from "./l2-advertisement.js";

test("advertisesPool: empty covers all; names and selectors pick pools", () => {
  const cases: [L2AdvertisementSpec, string, Record<string, string>, boolean][] = [
    [{ name: "empty" }, "any", {}, true],
    [{ name: "a", ipAddressPools: ["first-pool"] }, "first-pool", {}, true],
    [{ name: "a", ipAddressPools: ["first-pool"] }, "second", {}, false],
    [
      { name: "s", ipAddressPoolSelectors: [{ matchLabels: { tier: "web" } }] },
      "p",
      { tier: "web" },
      true,
    ],
    [
      { name: "s", ipAddressPoolSelectors: [{ matchLabels: { tier: "web" } }] },
      "p",
      { tier: "db" },
      false,
    ],
    [
      {
        name: "bad",
        ipAddressPoolSelectors: [{ matchExpressions: [{ key: "k", operator: "Nope" }] }],
      },
      "p",
      { k: "v" },
      false,
    ],
  ];
  for (const [adv, pool, labels, want] of cases) {
    assert.equal(advertisesPool(adv, pool, labels), want, `${adv.name} -> ${pool}`);
  }
});

test("selectsNode: no selectors means every node", () => {
  assert.equal(selectsNode({ name: "e" }, {}), true);
  const adv = {
    name: "n",
    nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": "node1" } }],
  };
  assert.equal(selectsNode(adv, { "kubernetes.io/hostname": "node1" }), true);
  assert.equal(selectsNode(adv, { "kubernetes.io/hostname": "node2" }), false);
});
