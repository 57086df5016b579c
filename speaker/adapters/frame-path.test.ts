import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

/** The node flags the image runs IronLB with: the CMD of the Dockerfile's last (node) stage. */
function imageNodeFlags(): string[] {
  const cmds = [...readFileSync(`${root}Dockerfile`, "utf8").matchAll(/^CMD (\[.*\])$/gm)];
  const cmd = cmds.at(-1)?.[1];
  assert.ok(cmd, "the Dockerfile has a CMD in exec form");
  const argv = JSON.parse(cmd) as string[];
  return argv.filter((a) => a.startsWith("--"));
}

test("the frame path thread starts, applies, collects and stops under the image's node flags", async () => {
  const flags = imageNodeFlags();
  assert.ok(flags.includes("--max-semi-space-size=1"), `V8 flags in the CMD: ${flags.join(" ")}`);
  // No interface: the thread starts and acknowledges, it opens no socket (no privilege needed).
  const script = `
    import { FramePath } from ${JSON.stringify(`${root}speaker/adapters/frame-path.ts`)};
    const fp = new FramePath({ onError: (e) => console.log("error", e.message) });
    fp.start();
    fp.setOwned(new Map([["198.18.0.10", ["eth0"]]]));
    await fp.applied();
    console.log("applied in thread", fp.threadId);
    fp.setOwned(new Map());
    fp.collect(); // its own heap, with --expose-gc (in the flags): the thread goes on
    await fp.freshCounters();
    console.log("answers after collect; gc exposed (threads inherit it):", typeof globalThis.gc);
    await fp.stop();
    console.log("stopped", fp.threadId === undefined);
  `;
  const argv = [...flags, "--import", "tsx", "--input-type=module", "-e", script];
  const { stdout } = await run(process.execPath, argv, { cwd: root, timeout: 20_000 });
  assert.ok(flags.includes("--expose-gc"), "the thread's heap can be collected");
  assert.match(
    stdout,
    /^applied in thread [1-9]\d*\nanswers after collect; gc exposed \(threads inherit it\): function\nstopped true\n$/,
  );
});
