import assert from "node:assert/strict";
import { test } from "node:test";
import { loadMallocTrim } from "./malloc-trim.js";

function recorder(): {
  warnings: { message: string; err: string }[];
  warn: (m: string, meta: { err: string }) => void;
} {
  const warnings: { message: string; err: string }[] = [];
  return { warnings, warn: (message, { err }) => void warnings.push({ message, err }) };
}

test("malloc trim: the built addon loads and trims (glibc: true or false, never a throw)", () => {
  const log = recorder();
  const trim = loadMallocTrim(log);
  assert.deepEqual(log.warnings, []);
  assert.ok(trim);
  // Free some C memory first so there is something to give back.
  for (let i = 0; i < 64; i++) Buffer.allocUnsafeSlow(256 * 1024).fill(1);
  assert.equal(typeof trim(), "boolean");
});

test("malloc trim: an addon that does not load is one warning naming the cause, then nothing", () => {
  const log = recorder();
  const trim = loadMallocTrim(log, () => {
    throw new Error("Cannot find module '@ironlb/malloc-trim'");
  });
  assert.equal(trim, undefined);
  assert.equal(log.warnings.length, 1);
  assert.match(log.warnings[0]!.message, /malloc_trim addon not loaded/);
  assert.equal(log.warnings[0]!.err, "Cannot find module '@ironlb/malloc-trim'");
});

test("malloc trim: a module without trim() is refused with a warning", () => {
  const log = recorder();
  assert.equal(
    loadMallocTrim(log, () => ({})),
    undefined,
  );
  assert.deepEqual(
    log.warnings.map((w) => w.err),
    ["@ironlb/malloc-trim exports no trim()"],
  );
});

test("malloc trim: the loaded function calls the addon's trim and returns its answer", () => {
  const log = recorder();
  let calls = 0;
  const trim = loadMallocTrim(log, () => ({ trim: () => ++calls === 1 }));
  assert.ok(trim);
  assert.equal(trim(), true);
  assert.equal(trim(), false);
  assert.equal(calls, 2);
});
