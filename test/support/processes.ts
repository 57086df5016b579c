/**
 * Starting IronLB binaries from this repo for tests, and stopping them by PID (never by name).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { labDir, repoRoot } from "./lab.js";

export interface RunningProcess {
  readonly pid: number;
  readonly logPath: string;
  /** Sends `signal` and waits for the exit (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: Promise<number | null>;
}

/** Node/V8 flags of both binaries, as the chart, manifests, Dockerfile and test/lab/ironlb.sh run them. */
export const NODE_FLAGS = [
  "--max-semi-space-size=1",
  "--optimize-for-size",
  "--expose-gc",
] as const;
/** The environment the image sets for both binaries (Dockerfile ENV): two glibc malloc arenas. */
export const NODE_ENV = { MALLOC_ARENA_MAX: "2" } as const;

export function startTs(
  name: string,
  entry: string,
  args: readonly string[],
  wrap: readonly string[] = [],
): RunningProcess {
  mkdirSync(join(labDir, "logs"), { recursive: true });
  const logPath = join(labDir, "logs", `${name}.log`);
  const log = createWriteStream(logPath, { flags: "a" });
  // A built entry (dist/**/*.js) runs on plain node with the lab's flags; sources through tsx.
  const loader = entry.endsWith(".js") ? NODE_FLAGS : ["--import", "tsx"];
  const argv = [...wrap, process.execPath, ...loader, join(repoRoot, entry), ...args];
  const [cmd, ...rest] = argv as [string, ...string[]];
  const child: ChildProcess = spawn(cmd, rest, {
    cwd: repoRoot,
    env: { ...process.env, ...(entry.endsWith(".js") ? NODE_ENV : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${entry}`);
  return {
    pid,
    logPath,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A 100 ms sleep that wakes this much later means the machine stood still (a VM pause). */
const STALL_MS = 2000;

/**
 * Polls `check` every 100 ms until it returns true or `timeoutMs` passes. Time in which the
 * whole machine stood still (the sandbox VM is sometimes paused for seconds; everything under
 * test stands still with it) is not counted: a poll that wakes `STALL_MS` late moves the
 * deadline by the delay, and the message says so.
 */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  let deadline = Date.now() + timeoutMs;
  let stalled = 0;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      const note = stalled > 0 ? ` (plus ${stalled} ms in which the machine stood still)` : "";
      throw new Error(`timed out after ${timeoutMs} ms${note} waiting for ${what}`);
    }
    const slept = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    const late = Date.now() - slept - 100;
    if (late > STALL_MS) {
      stalled += late;
      deadline += late;
    }
  }
}

let nextPort = 17_472 + (process.pid % 1000) * 10;
/** A port for a test process's monitoring endpoint, distinct within this test run. */
export const freshPort = (): number => nextPort++;

/** Starts the controller against the lab with the admin kubeconfig; resolves once /readyz is ok. */
export async function startController(opts: {
  namespace: string;
  port?: number;
  extraArgs?: readonly string[];
}): Promise<RunningProcess & { port: number }> {
  const port = opts.port ?? freshPort();
  const proc = startTs(`controller-${opts.namespace}`, "controller/main.ts", [
    "--kubeconfig",
    join(labDir, "kubeconfig"),
    "--namespace",
    opts.namespace,
    "--metrics-host",
    "127.0.0.1",
    "--metrics-port",
    String(port),
    ...(opts.extraArgs ?? []),
  ]);
  await eventually(`controller /readyz on :${port}`, async () => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    return res?.status === 200;
  });
  return { ...proc, port };
}
