import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseNeighbors } from "./neighbors.js";

test("an Established session from FRR 8.4 (captured with vtysh: 1 prefix sent, 3 updates)", () => {
  const json = readFileSync(
    new URL("testdata/neighbors-established.json", import.meta.url),
    "utf8",
  );
  assert.deepEqual(
    [...parseNeighbors(json).values()],
    [{ address: "198.18.0.1", state: "Established", up: true, prefixesSent: 1, updatesSent: 3 }],
  );
});

test("sessions not up, IPv6 keys canonical, garbage reads as nothing", () => {
  const json = JSON.stringify({
    "2001:DB8:18:0::1": { bgpState: "Active", messageStats: { updatesSent: 0 } },
    "198.18.0.2": { bgpState: "Connect" },
    vrfName: "default",
  });
  assert.deepEqual(
    [...parseNeighbors(json).values()],
    [
      { address: "2001:db8:18::1", state: "Active", up: false, prefixesSent: 0, updatesSent: 0 },
      { address: "198.18.0.2", state: "Connect", up: false, prefixesSent: 0, updatesSent: 0 },
    ],
  );
  assert.equal(parseNeighbors("% bgpd is not running").size, 0);
  assert.equal(parseNeighbors("[1,2]").size, 0);
});
