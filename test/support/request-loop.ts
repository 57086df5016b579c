/**
 * A client that keeps asking: a loop of HTTP requests from the client namespace (a fresh
 * connection every ~50 ms, each allowed 250 ms), recording when each ended and whether it got a
 * 200. The failover and API-outage tests read gaps and success ratios from its samples.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { CLIENT_NS } from "./e2e.js";

/** The loop runs inside the client namespace; one line per request: `<epoch ms> <http code>`. */
const LOOP = `while :; do
  start=$(date +%s%3N)
  code=$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout 0.25 --max-time 0.25 "$1" 2>/dev/null)
  echo "$(date +%s%3N) \${code:-000} $start"
  sleep 0.05
done`;

export interface Sample {
  /** Epoch ms when the request ended (the client namespace shares the host's clock). */
  readonly at: number;
  readonly ok: boolean;
  /** Epoch ms when the request started. */
  readonly startedAt: number;
}

export interface RequestLoop {
  /** Grows while the loop runs. */
  readonly samples: readonly Sample[];
  stop(): void;
}

/** `netns`: where the client runs (the BGP tests use ironlb-ext, behind the router). */
export function startRequestLoop(url: string, netns = CLIENT_NS): RequestLoop {
  const child = spawn("ip", ["netns", "exec", netns, "bash", "-c", LOOP, "loop", url], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const samples: Sample[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const [at, code, start] = line.split(" ");
    samples.push({ at: Number(at), ok: code === "200", startedAt: Number(start) });
  });
  return { samples, stop: () => child.kill("SIGKILL") };
}

/** From `faultAt` to the end of the first successful request that started after it. */
export function restoreTime(samples: readonly Sample[], faultAt: number): number {
  const first = samples.find((s) => s.ok && s.startedAt > faultAt);
  return first === undefined ? Infinity : first.at - faultAt;
}

/** Largest interval between consecutive successes that contains `faultAt`. */
export function gapAround(samples: readonly Sample[], faultAt: number): number {
  const ok = samples.filter((s) => s.ok).map((s) => s.at);
  const before = ok.filter((t) => t <= faultAt).at(-1) ?? faultAt;
  const after = ok.find((t) => t > faultAt);
  return after === undefined ? Infinity : after - before;
}

/**
 * Longest time without a successful response over `[from, to]`: from the last success at or
 * before `from` (else `from`) through every success inside, to the first success at or after
 * `to`; Infinity when nothing succeeded from `to` on.
 */
export function longestGap(samples: readonly Sample[], from: number, to: number): number {
  const ok = samples.filter((s) => s.ok).map((s) => s.at);
  const start = ok.filter((t) => t <= from).at(-1) ?? from;
  const end = ok.find((t) => t >= to);
  if (end === undefined) return Infinity;
  const points = [start, ...ok.filter((t) => t > from && t < to), end];
  return Math.max(...points.slice(1).map((t, i) => t - (points[i] ?? t)));
}

/**
 * Like `longestGap`, but only counting stretches in which the client asked and failed: an
 * interval between two successes with no failed request in it is the client not asking (this
 * machine's VM paused, the loop starved), not the VIP down, since a request to a dead VIP ends
 * as a failure within 200 ms. 0 when every stretch without success had no failure in it.
 */
export function longestFailedStretch(samples: readonly Sample[], from: number, to: number): number {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const start = sorted.filter((s) => s.ok && s.at <= from).at(-1)?.at ?? from;
  const end = sorted.find((s) => s.ok && s.at >= to)?.at;
  if (end === undefined) return Infinity;
  let longest = 0;
  let lastOk = start;
  let failed = false;
  for (const s of sorted.filter((x) => x.at > start && x.at <= end)) {
    if (!s.ok) failed = true;
    else {
      if (failed) longest = Math.max(longest, s.at - lastOk);
      lastOk = s.at;
      failed = false;
    }
  }
  return longest;
}

/** Requests that ended inside `[from, to]`, and how many of them succeeded. */
export function successRatio(
  samples: readonly Sample[],
  from: number,
  to: number,
): { ok: number; total: number; ratio: number } {
  const inside = samples.filter((s) => s.at >= from && s.at <= to);
  const ok = inside.filter((s) => s.ok).length;
  return { ok, total: inside.length, ratio: inside.length === 0 ? 0 : ok / inside.length };
}
