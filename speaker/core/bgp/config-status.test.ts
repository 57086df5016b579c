import assert from "node:assert/strict";
import { test } from "node:test";
import type { BgpConfigError } from "../../../lib/core/bgp-peer.js";
import { conditionPatches } from "./config-status.js";

const error: BgpConfigError = {
  kind: "BGPPeer",
  name: "red",
  code: "VRF_UNSUPPORTED",
  field: "spec.vrf",
  value: "red",
  message: 'BGPPeer "red": spec.vrf "red" is not supported',
};

test("a refused object gets Valid=False naming field and value; unchanged ones are not patched", () => {
  const valid = {
    type: "Valid" as const,
    status: "True" as const,
    reason: "Valid",
    message: "accepted by IronLB",
  };
  const patches = conditionPatches(
    [
      { kind: "BGPPeer", name: "red", conditions: undefined },
      { kind: "BGPPeer", name: "ok", conditions: [valid] },
      { kind: "BGPAdvertisement", name: "red", conditions: [{ type: "Valid", status: "False" }] },
    ],
    [error],
  );
  assert.deepEqual(patches, [
    {
      kind: "BGPPeer",
      name: "red",
      condition: {
        type: "Valid",
        status: "False",
        reason: "VRF_UNSUPPORTED",
        message: 'not used: BGPPeer "red": spec.vrf "red" is not supported',
      },
    },
    { kind: "BGPAdvertisement", name: "red", condition: valid },
  ]);
});
