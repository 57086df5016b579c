/**
 * `make bench`: runs the benchmarks one after the other, writes `bench/results/<name>.json`
 * (git-ignored) and appends a row per benchmark to its section of `docs/benchmarks.md`.
 *
 *   node --import tsx bench/run.ts [--quick] [--no-docs] [name | path ...]
 *
 * Names are file stems (`allocator`, `controller-latency`) or paths; without any, every
 * `bench/*.bench.ts` runs, in name order. `--quick` sets BENCH_QUICK=1 (a small smoke run,
 * written to `bench/results/<name>.quick.json`, never to the docs); `--no-docs` leaves the docs
 * alone. Exit status: 0 when every benchmark ran or was skipped, 1 otherwise.
 *
 * The contract for a benchmark file `bench/<name>.bench.ts`:
 * 1. It is a standalone script: run.ts starts `node --import tsx bench/<name>.bench.ts` in the
 *    repository root, one benchmark at a time (they would disturb each other's timings).
 * 2. Progress goes to stderr (shown live). The LAST non-empty line of stdout is ONE JSON object,
 *    `BenchResult` in bench/support/result.ts (`emitResult()` prints it):
 *      {"name": "<name>", "title": "...", "target": "...",
 *       "figures": [{"label": "...", "value": 1.5, "unit": "ms", "target": "<= 100", "met": true}],
 *       "rows": [{...}, ...], "markdown": "..."}
 *    - `name` is the file stem; it names the results file and the docs section.
 *    - `figures` are the headline numbers: each run adds one history row, one column per figure
 *      label (keep labels stable; a new label adds a column), compared with the previous row.
 *    - `rows` holds every measurement (results file only); `markdown` the details of this run,
 *      replacing the previous run's details in the docs.
 * 3. When it cannot run here (not root, no lab) it prints `{"name": "<name>", "skipped": "why"}`:
 *    reported, nothing recorded.
 * 4. Exit status 0. A non-zero status or a last line that is not such an object is a failure:
 *    reported, nothing recorded for it, the other benchmarks still run.
 * 5. It honours BENCH_QUICK=1 with smaller sizes (and says so in its markdown), never stops or
 *    restarts the lab (restarting one of the lab's IronLB processes, as `scale` does, is a
 *    measurement, not a restart of the lab), and removes what it created, also when interrupted
 *    (SIGINT/SIGTERM).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { type DocEntry, figureText, updateDoc } from "./support/docs.js";
import {
  commitId,
  describeMachine,
  machineDetails,
  machineShort,
  type Machine,
} from "./support/machine.js";
import type { BenchOutput, BenchResult } from "./support/result.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, "..");
const resultsDir = join(benchDir, "results");
const docsPath = join(repoRoot, "docs", "benchmarks.md");
const SUFFIX = ".bench.ts";

interface Options {
  readonly quick: boolean;
  readonly docs: boolean;
  readonly files: readonly string[];
}

function parseArgs(argv: readonly string[]): Options {
  const wanted = argv.filter((a) => !a.startsWith("--"));
  const unknown = argv.filter((a) => a.startsWith("--") && a !== "--quick" && a !== "--no-docs");
  if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(" ")}`);
  const all = readdirSync(benchDir)
    .filter((f) => f.endsWith(SUFFIX))
    .sort()
    .map((f) => join(benchDir, f));
  const files = wanted.length === 0 ? all : wanted.map(benchFile);
  return { quick: argv.includes("--quick"), docs: !argv.includes("--no-docs"), files };
}

function benchFile(arg: string): string {
  const candidates = [resolve(arg), join(benchDir, arg), join(benchDir, `${arg}${SUFFIX}`)];
  const found = candidates.find((c) => existsSync(c) && c.endsWith(".ts"));
  if (!found) throw new Error(`no benchmark "${arg}" (looked for ${candidates.join(", ")})`);
  return found;
}

let interrupted = false;

/** Runs one benchmark file; resolves with its parsed last stdout line, or an error text. */
function runFile(file: string, quick: boolean): Promise<BenchOutput | string> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...(quick ? { BENCH_QUICK: "1" } : {}) },
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.on("error", (e) => done(`could not start: ${e.message}`));
    child.on("close", (code, signal) => {
      if (code !== 0) return done(`exited with ${signal ?? `status ${code}`}`);
      const last = out.trimEnd().split("\n").at(-1) ?? "";
      try {
        const parsed = JSON.parse(last) as BenchOutput;
        if (typeof parsed.name !== "string") return done("last stdout line has no name");
        done(parsed);
      } catch {
        done(`last stdout line is not JSON: ${last.slice(0, 200)}`);
      }
    });
  });
}

const utcDate = (d: Date): string => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** The document as Prettier formats it (as `make lint` expects); unchanged if Prettier fails. */
async function formatted(doc: string): Promise<string> {
  try {
    const config = (await resolveConfig(docsPath)) ?? {};
    return await format(doc, { ...config, filepath: docsPath });
  } catch (e) {
    process.stderr.write(`bench: docs not formatted (${String(e)})\n`);
    return doc;
  }
}

async function record(
  result: BenchResult,
  opts: Options,
  when: { started: Date; seconds: number; machine: Machine; commit: string },
): Promise<string> {
  const { started, seconds, machine, commit } = when;
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${result.name}${opts.quick ? ".quick" : ""}.json`);
  const saved = {
    ...result,
    date: started.toISOString(),
    commit,
    machine,
    durationSeconds: seconds,
  };
  writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`);
  if (opts.quick || !opts.docs) return file;
  const entry: DocEntry = {
    name: result.name,
    title: result.title ?? result.name,
    target: result.target,
    figures: result.figures ?? [],
    markdown: result.markdown,
    date: utcDate(started),
    commit,
    machine: machineShort(machine),
    machineDetails: machineDetails(machine),
  };
  const doc = existsSync(docsPath) ? readFileSync(docsPath, "utf8") : "# Benchmarks\n";
  writeFileSync(docsPath, await formatted(updateDoc(doc, entry)));
  return `${file} and ${docsPath}`;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  // Ctrl-C reaches the benchmark too; wait for it to clean up, then stop.
  process.on("SIGINT", () => (interrupted = true));
  process.on("SIGTERM", () => (interrupted = true));
  let failed = 0;
  for (const file of opts.files) {
    if (interrupted) break;
    const name = basename(file).replace(/\.bench\.ts$|\.ts$/, "");
    process.stderr.write(`\n== ${name}${opts.quick ? " (quick)" : ""}\n`);
    const started = new Date();
    // The load average before the benchmark loads the machine; the code it runs.
    const machine = describeMachine();
    const commit = commitId(repoRoot);
    const out = await runFile(file, opts.quick);
    const seconds = Math.round((Date.now() - started.getTime()) / 1000);
    if (typeof out === "string") {
      failed++;
      process.stdout.write(`${name}: FAILED (${out}) after ${seconds} s\n`);
    } else if ("skipped" in out) {
      process.stdout.write(`${name}: skipped (${out.skipped})\n`);
    } else {
      const where = await record(out, opts, { started, seconds, machine, commit });
      const figures = (out.figures ?? []).map(
        (f) => `  ${f.label}: ${figureText(f)}${f.unit ? ` ${f.unit}` : ""}`,
      );
      process.stdout.write(
        `${name}: done in ${seconds} s, written to ${where}\n${figures.join("\n")}\n`,
      );
    }
  }
  return failed > 0 || interrupted ? 1 : 0;
}

main().then(
  (status) => process.exit(status),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
