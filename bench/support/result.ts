/**
 * What a benchmark hands to `bench/run.ts` (the contract is described at the top of run.ts):
 * one JSON object on the last non-empty line of its stdout.
 */

/** A headline number: one column of the benchmark's history table in docs/benchmarks.md. */
export interface Figure {
  /** Column name; stable across runs (history rows are matched by it). No `|`. */
  readonly label: string;
  /** `null` when this run could not measure it. */
  readonly value: number | string | null;
  /** Unit shown after the label, e.g. "ms", "ops/s". */
  readonly unit?: string;
  /** The target as text, e.g. "<= 100", from ARCHITECTURE.md "Targets". */
  readonly target?: string;
  /** Whether `value` meets `target`; leave out when there is no target. */
  readonly met?: boolean;
}

export interface BenchResult {
  /** File stem without `.bench.ts`; names `bench/results/<name>.json` and the docs section. */
  readonly name: string;
  /** Section heading in docs/benchmarks.md. */
  readonly title?: string;
  /** The targets this benchmark measures against, as one line of Markdown. */
  readonly target?: string;
  readonly figures?: readonly Figure[];
  /** Every measurement, for the JSON file (free form, one object per measurement). */
  readonly rows: readonly Record<string, unknown>[];
  /** Details of this run (Markdown); replaces the previous run's details in the docs. */
  readonly markdown: string;
}

/** A benchmark that cannot run here: nothing is recorded, the docs stay as they are. */
export interface BenchSkipped {
  readonly name: string;
  readonly skipped: string;
}

export type BenchOutput = BenchResult | BenchSkipped;

/** Prints the result as the last stdout line, as the contract asks. */
export function emitResult(result: BenchOutput): void {
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

/** Progress for the person running the benchmark: stderr, so stdout stays the result. */
export const progress = (message: string): void => {
  process.stderr.write(`  ${message}\n`);
};
