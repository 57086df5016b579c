/**
 * The processes that play a pod's containers: pod-server.js inside the pod's namespace, in its
 * own session so it outlives an agent restart, stopped by PID. The server is TypeScript; it is
 * emitted once as JavaScript (in a short-lived child, so the agent never loads the compiler) and
 * run by a bare `node`: about half the memory of a TypeScript loader per pod.
 */
import { execFile, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

const SERVER_FILES = ["pod-reply.ts", "pod-server.ts"] as const;
export const SERVER_ENTRY = "pod-server.js";
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;

const EMIT_SCRIPT = `
import ts from "typescript";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
const [outDir, ...files] = process.argv.slice(1);
mkdirSync(outDir, { recursive: true });
for (const file of files) {
  const { outputText } = ts.transpileModule(readFileSync(file, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  });
  writeFileSync(join(outDir, basename(file).replace(/\\.ts$/, ".js")), outputText);
}`;

/**
 * Emits pod-server.ts and its one import as JavaScript into `outDir` (ESM: the repo's
 * package.json is the nearest one). `repoRoot` is where `typescript` resolves from.
 */
export async function emitServer(repoRoot: string, srcDir: string, outDir: string): Promise<void> {
  const files = SERVER_FILES.map((f) => join(srcDir, f));
  if (isFresh(files, outDir)) return;
  try {
    await execFileP(
      process.execPath,
      ["--input-type=module", "-e", EMIT_SCRIPT, outDir, ...files],
      {
        cwd: repoRoot,
        timeout: 60_000,
      },
    );
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim() ?? "";
    throw new Error(`emitting the pod server failed (is typescript installed?): ${stderr}`, {
      cause: e,
    });
  }
}

/** True when every emitted file is newer than its source (saves ~1 s of compiler start-up). */
function isFresh(sources: readonly string[], outDir: string): boolean {
  const mtime = (path: string): number => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return sources.every(
    (src) => mtime(join(outDir, basename(src).replace(/\.ts$/, ".js"))) > mtime(src),
  );
}

export interface ServerLaunch {
  readonly netns: string;
  readonly pod: string;
  readonly node: string;
  /** e.g. ["80/TCP", "53/UDP"] */
  readonly ports: readonly string[];
  readonly logPath: string;
}

function waitReady(pipe: Readable, exited: Promise<number | null>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pod server not ready after ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    let text = "";
    pipe.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`pod server exited with code ${code ?? "?"} before it was ready`));
    });
  });
}

export class PodServers {
  constructor(private readonly serverDir: string) {}

  /** Starts a pod's server; resolves with its PID once every port listens. */
  async start(launch: ServerLaunch): Promise<number> {
    const log = openSync(launch.logPath, "a");
    const args = [
      ...["netns", "exec", launch.netns, process.execPath, join(this.serverDir, SERVER_ENTRY)],
      ...["--pod", launch.pod, "--node", launch.node, "--ports", launch.ports.join(",")],
    ];
    // `ip netns exec` execs the command, so the child's PID is the server's.
    const child = spawn("ip", args, { detached: true, stdio: ["ignore", log, log, "pipe"] });
    closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const pid = child.pid;
    const pipe = child.stdio[3] as Readable | null;
    try {
      if (pid === undefined || !pipe) throw new Error("could not start the pod server");
      await waitReady(pipe, exited);
      return pid;
    } catch (e) {
      if (pid !== undefined) await this.stop(pid);
      throw e;
    } finally {
      pipe?.destroy();
      child.unref();
    }
  }

  /** True when `pid` runs a pod server (guards against a PID reused by another process). */
  isServer(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(SERVER_ENTRY);
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL after 3 s; only when `pid` is still a pod server. */
  async stop(pid: number): Promise<void> {
    if (!this.isServer(pid)) return;
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (this.isServer(pid) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    if (this.isServer(pid)) process.kill(pid, "SIGKILL");
  }
}
