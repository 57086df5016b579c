/**
 * Lab I/O for tests that share the lab with fault tests, which restart kube-apiserver or etcd for
 * up to a minute: kubectl and reads are retried while the apiserver is unreachable, and only
 * then; a refusal or a wrong answer comes back at once.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { kubeconfigPath, labDir } from "./lab.js";
import { eventually } from "./processes.js";

/** Long enough to ride out an apiserver or etcd restart. */
export const OUTAGE_MS = 90_000;

/** kubectl's words for "the apiserver is not there right now", as opposed to a refusal. */
export const UNREACHABLE =
  /Unable to connect to the server|connection refused|connection reset|i\/o timeout|TLS handshake timeout|client connection lost|currently unable to handle the request|etcdserver:|unexpected EOF/;

export interface KubectlResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl against the lab with the admin kubeconfig, without blocking the event loop. */
export function kubectlAsync(args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const bin = join(labDir, "bin", "kubectl");
    const child = spawn(bin, ["--kubeconfig", kubeconfigPath, ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ ok: code === 0, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** kubectl, run again while the apiserver is unreachable (up to `timeoutMs`). */
export async function kubectlThroughOutage(
  args: readonly string[],
  input?: string,
  timeoutMs = OUTAGE_MS,
): Promise<KubectlResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await kubectlAsync(args, input);
    if (result.ok || !UNREACHABLE.test(result.stderr) || Date.now() > deadline) return result;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Like kubectlThroughOutage, but a failure throws with kubectl's message. */
export async function mustKubectl(args: readonly string[], input?: string): Promise<string> {
  const result = await kubectlThroughOutage(args, input);
  if (!result.ok) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * Polls `check` until it returns true, treating a thrown error (the apiserver away) as "not
 * yet"; on timeout the error says what was awaited and the last error seen.
 */
export async function settle(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = OUTAGE_MS,
): Promise<void> {
  let last: unknown;
  const tolerant = async (): Promise<boolean> => {
    try {
      return await check();
    } catch (e) {
      last = e;
      return false;
    }
  };
  try {
    await eventually(what, tolerant, timeoutMs);
  } catch (e) {
    const why = last instanceof Error ? last.message : JSON.stringify(last);
    const seen = last === undefined ? "" : `; last error: ${why}`;
    throw new Error(`${(e as Error).message}${seen}`, { cause: e });
  }
}

/** The result of `read`, retried through an outage. */
export async function readThroughOutage<T>(what: string, read: () => Promise<T>): Promise<T> {
  let value: { readonly v: T } | undefined;
  await settle(what, async () => ((value = { v: await read() }), true));
  if (!value) throw new Error(`no value for ${what}`);
  return value.v;
}
