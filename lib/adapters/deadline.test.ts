import assert from "node:assert/strict";
import { test } from "node:test";
import { DeadlineError, withDeadline } from "./deadline.js";

test("a call that answers in time passes its value or error through", async () => {
  assert.equal(await withDeadline(Promise.resolve(7), 1_000, "call"), 7);
  await assert.rejects(withDeadline(Promise.reject(new Error("403")), 1_000, "call"), /403/);
});

test("a call that never answers ends with a DeadlineError", async () => {
  const never = new Promise<number>(() => undefined);
  const keepAlive = setTimeout(() => undefined, 1_000); // the deadline's own timer is unref'd
  await assert.rejects(withDeadline(never, 20, "status write"), (e: unknown) => {
    assert.ok(e instanceof DeadlineError);
    assert.equal(e.code, "IRONLB_DEADLINE");
    assert.match(e.message, /status write: no answer within 20 ms/);
    return true;
  });
  clearTimeout(keepAlive);
});
