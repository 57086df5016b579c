import assert from "node:assert/strict";
import { test } from "node:test";
import { isReady, isServing, usableEndpoints } from "./endpoints.js";

test("conditions read as the EndpointSlice API defines them", () => {
  // [conditions, ready, serving]: unset ready is true; unset serving follows ready.
  const cases: [Parameters<typeof isReady>[0], boolean, boolean][] = [
    [undefined, true, true],
    [{}, true, true],
    [{ ready: false }, false, false],
    [{ ready: false, serving: true }, false, true],
    [{ ready: true, serving: false }, true, false],
  ];
  for (const [c, ready, serving] of cases) {
    assert.equal(isReady(c), ready, JSON.stringify(c));
    assert.equal(isServing(c), serving, JSON.stringify(c));
  }
});

test("usable endpoints: the ready ones, else the serving ones, else none", () => {
  const ready = { n: "a", conditions: { ready: true } };
  const draining = { n: "b", conditions: { ready: false, serving: true } };
  const gone = { n: "c", conditions: { ready: false, serving: false } };
  assert.deepEqual(usableEndpoints([draining, ready, gone]), [ready]);
  assert.deepEqual(usableEndpoints([draining, gone]), [draining]);
  assert.deepEqual(usableEndpoints([gone]), []);
});
