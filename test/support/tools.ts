/**
 * Test support: the Go-built tools (helm, promtool) from test/lab/build-tools.sh, cached in
 * ~/.cache/ironlb; `make tools` builds them (the first call here builds them too, slowly).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./lab.js";

export const chartDir = join(repoRoot, "charts/ironlb");

const paths = new Map<string, string>();

export function toolPath(name: "helm" | "promtool"): string {
  let path = paths.get(name);
  if (path === undefined) {
    path = execFileSync("bash", [join(repoRoot, "test/lab/build-tools.sh"), name], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
    paths.set(name, path);
  }
  return path;
}

export interface ToolRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool; never throws on a non-zero exit (the caller judges the code and output). */
export function runTool(
  path: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): ToolRun {
  try {
    const stdout = execFileSync(path, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
      maxBuffer: 32 << 20,
    });
    return { code: 0, stdout, stderr: "" };
  } catch (e) {
    const x = e as { status?: number; stdout?: string; stderr?: string };
    return { code: x.status ?? -1, stdout: x.stdout ?? "", stderr: x.stderr ?? "" };
  }
}

/** helm with its config, cache and data in a temporary directory (no user state read or left). */
export function helm(): { run: (args: readonly string[]) => ToolRun; cleanup: () => void } {
  const bin = toolPath("helm");
  const home = mkdtempSync(join(tmpdir(), "ironlb-helm-"));
  const env = {
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_DATA_HOME: join(home, "data"),
  };
  return {
    run: (args) => runTool(bin, args, env),
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** PromQL words that are not metric names (functions, aggregations, keywords). */
const PROMQL_WORDS = new Set(
  (
    "sum count min max avg stddev stdvar topk bottomk quantile count_values group by without " +
    "rate irate increase delta idelta deriv absent absent_over_time changes resets " +
    "histogram_quantile clamp_min clamp_max label_replace vector scalar time and or unless " +
    "on ignoring group_left group_right bool offset sum_over_time avg_over_time max_over_time " +
    "min_over_time count_over_time last_over_time predict_linear abs ceil floor round"
  ).split(" "),
);

/**
 * The metric names a PromQL expression reads: strings, label matchers `{...}`, ranges `[...]`
 * and `by (...)`/`without (...)`/`on (...)` label lists removed, then every identifier that is
 * not a PromQL word or a number. Conservative: an unknown function shows up as a "metric".
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const words = stripped.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
  return [...new Set(words.filter((w) => !PROMQL_WORDS.has(w)))].sort();
}
