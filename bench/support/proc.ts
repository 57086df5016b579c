/** Reading CPU time and memory of processes from /proc (Linux only). */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

let clockTicks: number | undefined;
const ticksPerSecond = (): number => {
  if (clockTicks === undefined) {
    const out = execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim();
    clockTicks = Number(out) > 0 ? Number(out) : 100;
  }
  return clockTicks;
};

/**
 * CPU seconds used by `pid` so far, including its reaped children (socat forks one child per
 * connection). Undefined when the process is gone.
 */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the command name (which may contain spaces): state is field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const at = (field: number): number => Number(fields[field - 3] ?? 0);
  return (at(14) + at(15) + at(16) + at(17)) / ticksPerSecond();
}

/** `pid` exists and is not a zombie (an orphan stays one until init reaps it). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / ticksPerSecond(), total: total / ticksPerSecond() };
}

/** `VmRSS` and `VmHWM` (peak RSS) of `pid` in MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string): number =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/** CPU seconds of several named processes between `start()` and `stop()`. */
export class CpuMeter {
  private readonly startPids = new Map<string, number>();
  private machineStart = machineCpu();
  private benchStart = process.cpuUsage();
  private wallStart = performance.now();

  constructor(private readonly pids: ReadonlyMap<string, number>) {}

  /** Processes that are gone (a stale pid file) are left out. */
  start(): void {
    this.startPids.clear();
    for (const [name, pid] of this.pids) {
      const s = cpuSeconds(pid);
      if (s !== undefined) this.startPids.set(name, s);
    }
    this.machineStart = machineCpu();
    this.benchStart = process.cpuUsage();
    this.wallStart = performance.now();
  }

  /** CPU seconds per process (plus "bench" and "machine (all)"), and the wall time. */
  stop(): { wallSeconds: number; cpu: Record<string, number> } {
    const cpu: Record<string, number> = {};
    for (const [name, start] of this.startPids) {
      const now = cpuSeconds(this.pids.get(name) ?? 0);
      if (now !== undefined) cpu[name] = now - start;
    }
    const bench = process.cpuUsage(this.benchStart);
    cpu["bench (this process)"] = (bench.user + bench.system) / 1e6;
    const m = machineCpu();
    cpu["machine (all)"] = m.busy - this.machineStart.busy;
    return { wallSeconds: (performance.now() - this.wallStart) / 1000, cpu };
  }
}

/** RSS (MiB) of `node --import tsx` running an empty script: the floor under the controller's. */
export async function tsxBaselineMiB(): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", "-e", "setInterval(() => {}, 1000)"], {
    stdio: "ignore",
  });
  try {
    await new Promise((r) => setTimeout(r, 2_000));
    return child.pid === undefined ? Number.NaN : memoryMiB(child.pid).rss;
  } finally {
    child.kill();
  }
}
