/** What the benchmarks ran on, for the results file and the docs. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  readonly loadAverage: readonly number[];
  /** The busiest processes when the run started (`ps`), to tell what else was running. */
  readonly busiestAtStart: readonly string[];
}

function cpuModel(): string {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  } catch {
    return os.cpus()[0]?.model ?? "unknown";
  }
}

function busiest(): string[] {
  try {
    const out = execFileSync("ps", ["-eo", "pcpu=,comm=", "--sort=-pcpu"], { encoding: "utf8" });
    return out
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .slice(0, 8);
  } catch {
    return [];
  }
}

export function describeMachine(): Machine {
  return {
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    kernel: os.release(),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    busiestAtStart: busiest(),
  };
}

export const machineShort = (m: Machine): string =>
  `${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}`;

export const machineDetails = (m: Machine): string =>
  `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}, node ${m.node}, ` +
  `load average at start ${m.loadAverage.join(" / ")}`;

/** `git rev-parse --short HEAD`, plus `+dirty` when tracked files have uncommitted changes. */
export function commitId(cwd: string): string {
  const git = (args: string[]): string =>
    execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  try {
    const head = git(["rev-parse", "--short", "HEAD"]);
    return git(["status", "--porcelain", "--untracked-files=no"]) === "" ? head : `${head}+dirty`;
  } catch {
    return "unknown";
  }
}
