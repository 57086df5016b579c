/** FRR instances that integration tests start in throwaway namespaces with test/lab/frr.sh. */
import { execFile, execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./lab.js";
import type { NetnsLab } from "./netns.js";

export const FRR_SCRIPT = join(repoRoot, "test/lab/frr.sh");
export const FRR_RELOAD = "/usr/lib/frr/frr-reload.py";
const run = promisify(execFile);

/** Stops every instance (by the PIDs frr.sh recorded), removes the namespaces and `base`. */
export async function removeFrrTestbed(
  dirs: readonly string[],
  net: NetnsLab,
  base: string,
): Promise<void> {
  for (const dir of dirs) execFileSync("bash", [FRR_SCRIPT, "stop", dir], { timeout: 30_000 });
  await net.cleanup();
  rmSync(base, { recursive: true, force: true });
}

/** `vtysh -c COMMAND` against the instance in `dir`. */
export const vtyshIn = (dir: string, command: string): string =>
  execFileSync("vtysh", ["--vty_socket", join(dir, "run"), "-c", command], { encoding: "utf8" });

/**
 * What `frr-reload.py --test` would delete from the running config of the instance in `dir` to
 * apply `text` (written to `scratch` first): empty when FRR prints every line as written.
 */
export async function linesToDelete(dir: string, text: string, scratch: string): Promise<string[]> {
  writeFileSync(scratch, text);
  const sock = join(dir, "run");
  const { stdout } = await run(FRR_RELOAD, [
    ...["--test", "--stdout", "--confdir", dir, "--vty_socket", sock, "--rundir", sock, scratch],
  ]);
  const section = /Lines To Delete\n=+\n([\s\S]*?)(?:\n\nLines To Add|$)/.exec(stdout)?.[1] ?? "";
  // FRR's hostname is the machine's; frr-reload.py always lists it and cannot remove it.
  return section.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("no hostname "));
}
