import assert from "node:assert/strict";
import { test } from "node:test";
import { lbServiceInfo } from "../../test/support/fake-cluster.js";
import { Allocator } from "../core/allocator.js";
import { buildPoolSet } from "../core/pool-set.js";
import { serviceRequest } from "../core/service-request.js";
import { ControllerMetrics } from "./metrics.js";

test("addresses in use over every pool reach onInUse after each change, 0 when a term ends", () => {
  const seen: number[] = [];
  const metrics = new ControllerMetrics((n) => seen.push(n));
  const pools = buildPoolSet(
    [
      { name: "a", addresses: ["198.18.0.1-198.18.0.2"] },
      { name: "b", addresses: ["198.18.1.0/24"] },
    ],
    [],
  );
  const allocator = new Allocator();
  allocator.setPools(pools);
  const request = serviceRequest(lbServiceInfo("svc"), "");
  assert.ok(request.ok);
  // Two addresses in pool a, then pool a is full: the third and fourth come from b.
  for (const s of ["ns/1", "ns/2", "ns/3", "ns/4"])
    assert.ok(allocator.allocate(s, request.value).ok);
  metrics.poolsChanged(pools, allocator);
  allocator.release("ns/1");
  metrics.poolsChanged(pools, allocator);
  metrics.leading(false);
  assert.deepEqual(seen, [4, 3, 0]);
});
