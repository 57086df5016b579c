import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type ApplyResult, type CommandRunner, Frr } from "./frr.js";

const dir = mkdtempSync(join(tmpdir(), "ironlb-frr-unit-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * frr-reload.py as a fake over a "running" config: records calls, refuses (at `failAt`) files
 * containing "BAD"; a good --reload makes the file the running config, and --test prints what
 * differs as frr-reload.py does (nothing when the file runs). `applyThenFail`: the reload that
 * adds "GR" runs the file but exits 13, as FRR 8.4 does on a repeated graceful-restart line.
 */
function fakeReload(failAt: "--test" | "--reload", applyThenFail = false) {
  const calls: string[][] = [];
  let running = "";
  const run: CommandRunner = (_file, args) => {
    calls.push([...args]);
    const text = readFileSync(args[args.length - 1] ?? "", "utf8");
    if (args[0] === failAt && text.includes("BAD"))
      return Promise.resolve({ code: 1, output: "line 3: % Unknown command" });
    if (args[0] === "--test") {
      const diff = text === running ? "" : `\nLines To Add\n============\n${text}`;
      return Promise.resolve({ code: 0, output: diff });
    }
    const adds = applyThenFail && text.includes("GR") && !running.includes("GR");
    running = text;
    return Promise.resolve(
      adds
        ? { code: 13, output: "% The Graceful Restart command used is not valid" }
        : { code: 0, output: "" },
    );
  };
  return { calls, run };
}

const paths = (name: string) => ({
  config: join(dir, `${name}.conf`),
  vtySocket: "/run/x",
  reload: "/usr/lib/frr/frr-reload.py",
  vtysh: "/usr/bin/vtysh",
});

test("a reload that fails half-way is rolled back to the last good file", async () => {
  const fake = fakeReload("--reload");
  const frr = new Frr({ paths: paths("a"), run: fake.run });
  assert.deepEqual(await frr.applyNow("good\n"), { ok: true, changed: true });
  const result = await frr.applyNow("BAD\n");
  assert.deepEqual(result, { ok: false, stage: "reload", output: "line 3: % Unknown command" });
  assert.equal(readFileSync(paths("a").config, "utf8"), "good\n");
  const last = fake.calls[fake.calls.length - 1];
  assert.deepEqual(last, [
    "--reload",
    "--stdout",
    "--confdir",
    dir,
    "--vty_socket",
    "/run/x",
    "--rundir",
    "/run/x",
    "--bindir",
    "/usr/bin",
    paths("a").config,
  ]);
  assert.equal(frr.applied, "good\n");
});

test("a configuration refused by --test is never reloaded", async () => {
  const fake = fakeReload("--test");
  const frr = new Frr({ paths: paths("b"), run: fake.run });
  const result = await frr.applyNow("BAD\n");
  assert.equal(result.ok, false);
  assert.deepEqual(
    fake.calls.map((c) => c[0]),
    ["--test"],
  );
});

test("a burst of changes is one reload of the last one", async () => {
  const fake = fakeReload("--test");
  const results: [ApplyResult, string][] = [];
  const frr = new Frr({
    paths: paths("c"),
    run: fake.run,
    debounceMs: 30,
    onApplied: (r, text) => results.push([r, text]),
  });
  for (const text of ["one\n", "two\n", "three\n"]) frr.apply(text);
  await sleep(150);
  assert.deepEqual(results, [[{ ok: true, changed: true }, "three\n"]]);
  assert.deepEqual(
    fake.calls.map((c) => c[0]),
    ["--test", "--reload"],
  );
  frr.apply("three\n"); // nothing new: nothing to do
  await sleep(80);
  assert.equal(results.length, 1);
  frr.stop();
});

test("a reload that exits non-zero while FRR runs the whole file is applied", async () => {
  const fake = fakeReload("--reload", true);
  const frr = new Frr({ paths: paths("d"), run: fake.run });
  assert.deepEqual(await frr.applyNow("good\n"), { ok: true, changed: true });
  assert.deepEqual(await frr.applyNow("good\nGR\n"), { ok: true, changed: true });
  assert.equal(readFileSync(paths("d").config, "utf8"), "good\nGR\n");
  assert.equal(frr.applied, "good\nGR\n");
  assert.deepEqual(
    fake.calls.map((c) => c[0]),
    ["--test", "--reload", "--test", "--reload", "--test"],
  );
});
