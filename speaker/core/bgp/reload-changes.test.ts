/** Outputs copied from FRR 8.4.4's `frr-reload.py --test --stdout` against a running bgpd. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { reloadChanges } from "./reload-changes.js";

const LOG = `2026-12-02 02:18:21,817  INFO: Loading Config object from vtysh show running
2026-12-02 02:18:21,970  INFO: "frr version 8.4.4" cannot be removed
`;

test("nothing but the machine's hostname: no change", () => {
  assert.deepEqual(reloadChanges(`${LOG}\nLines To Delete\n===============\nno hostname vm\n`), []);
  assert.deepEqual(reloadChanges(LOG), []);
});

test("lines to delete and to add, with their contexts", () => {
  const output = `${LOG}
Lines To Delete
===============
no hostname vm
router bgp 64512
 address-family ipv4 unicast
  no network 198.18.100.7/32 

Lines To Add
============
router bgp 64512
 address-family ipv4 unicast
  network 198.18.100.8/32 
`;
  assert.deepEqual(reloadChanges(output), [
    "router bgp 64512",
    " address-family ipv4 unicast",
    "  no network 198.18.100.7/32 ",
    "router bgp 64512",
    " address-family ipv4 unicast",
    "  network 198.18.100.8/32 ",
  ]);
});
