/**
 * `make test` without root must fail with the reason, not print SKIPPED and exit 0: the lab
 * tiers go through test/lab/with-lab.sh, run here as an unprivileged user (uid 65534 via
 * `setpriv` when this runs as root, else as the current user).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { repoRoot } from "../support/lab.js";

const NOBODY = "65534";
const isRoot = process.getuid?.() === 0;
// A copy of the script alone, readable by anyone: without lab.sh beside it, a root check that
// let the command through could not start a lab.
const dir = mkdtempSync(join(tmpdir(), "ironlb-with-lab-"));
mkdirSync(join(dir, "test/lab"), { recursive: true });
for (const d of [dir, join(dir, "test"), join(dir, "test/lab")]) chmodSync(d, 0o755);
const script = join(dir, "test/lab/with-lab.sh");
copyFileSync(join(repoRoot, "test/lab/with-lab.sh"), script);
chmodSync(script, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));

function runUnprivileged(args: readonly string[]) {
  const argv = ["bash", script, ...args];
  const unprivileged = isRoot
    ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", ...argv]
    : argv;
  const [cmd = "", ...rest] = unprivileged;
  return spawnSync(cmd, rest, { encoding: "utf8", cwd: dir, timeout: 10_000 });
}

for (const args of [["echo", "RAN"], ["--check"]]) {
  test(`without root, with-lab.sh ${args.join(" ")} fails naming the reason and make test-unit`, () => {
    const r = runUnprivileged(args);
    assert.equal(r.error, undefined, `could not run the script: ${String(r.error)}`);
    assert.notEqual(r.status, 0, `exit status ${r.status}; stderr: ${r.stderr}`);
    assert.match(r.stderr, /need root/);
    assert.match(r.stderr, /make test-unit/);
    assert.doesNotMatch(r.stdout, /RAN/, "the command did not run");
  });
}

test("as root, with-lab.sh --check passes", { skip: isRoot ? false : "not root" }, () => {
  const r = spawnSync("bash", [script, "--check"], { encoding: "utf8", timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
});
