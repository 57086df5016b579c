/** FRR instances that integration tests start in throwaway namespaces with test/lab/frr.sh. */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./lab.js";
import type { NetnsLab } from "./netns.js";

export const FRR_SCRIPT = join(repoRoot, "test/lab/frr.sh");

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
