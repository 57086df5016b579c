import assert from "node:assert/strict";
import { test } from "node:test";
import { type AdvertisementKind, poolStatus } from "./pool-status.js";

test("poolStatus: counts, the two columns, and conditions", () => {
  const v4only = poolStatus(
    { assignedIPv4: 3n, assignedIPv6: 0n, availableIPv4: 48n, availableIPv6: 0n },
    [],
    ["L2Advertisement"],
  );
  assert.equal(v4only.assigned, "3");
  assert.equal(v4only.available, "48");
  assert.deepEqual(
    v4only.conditions.map((c) => `${c.type}=${c.status}`),
    ["Valid=True", "Advertised=True"],
  );
  const dual = poolStatus(
    { assignedIPv4: 1n, assignedIPv6: 1n, availableIPv4: 50n, availableIPv6: 1n << 64n },
    [],
    [],
  );
  assert.equal(dual.assigned, "1 IPv4, 1 IPv6");
  assert.equal(dual.available, `50 IPv4, ${1n << 64n} IPv6`);
  assert.equal(dual.availableIPv6, Number.MAX_SAFE_INTEGER);
  assert.equal(dual.conditions[1]?.reason, "NotAdvertised");
});

test("poolStatus: an invalid pool says why, with zero counts", () => {
  const s = poolStatus(
    undefined,
    [
      {
        pool: "bad",
        code: "REVERSED_RANGE",
        field: "spec.addresses[0]",
        value: "10.0.0.9-10.0.0.1",
        message: 'pool "bad": spec.addresses[0] "10.0.0.9-10.0.0.1": the range is reversed',
      },
    ],
    ["L2Advertisement"],
  );
  assert.equal(s.assigned, "0");
  assert.equal(s.conditions[0]?.status, "False");
  assert.equal(s.conditions[0]?.reason, "REVERSED_RANGE");
  assert.match(s.conditions[0]?.message ?? "", /spec\.addresses\[0\] "10\.0\.0\.9-10\.0\.0\.1"/);
});

test("poolStatus: Advertised names the kinds that select the pool", () => {
  const message = (kinds: AdvertisementKind[]) =>
    poolStatus(undefined, [], kinds).conditions.find((c) => c.type === "Advertised");
  assert.deepEqual(message(["BGPAdvertisement"]), {
    type: "Advertised",
    status: "True",
    reason: "Advertised",
    message: "selected by a BGPAdvertisement",
  });
  assert.equal(message(["L2Advertisement"])?.message, "selected by an L2Advertisement");
  assert.equal(
    message(["BGPAdvertisement", "L2Advertisement"])?.message,
    "selected by an L2Advertisement and a BGPAdvertisement",
  );
  const none = message([]);
  assert.equal(none?.status, "False");
  assert.equal(none?.reason, "NotAdvertised");
  assert.match(none?.message ?? "", /no L2Advertisement or BGPAdvertisement selects this pool/);
});
