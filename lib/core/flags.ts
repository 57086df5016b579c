/**
 * Flag parsing shared by the binaries: `--name=value` or `--name value`, each flag also settable
 * by an environment variable. Pure: argv and env come in, a config or an error naming the flag
 * comes out; unsafe numbers are clamped with a warning.
 */
import { err, ok, type Result } from "./result.js";

export interface FlagSpec {
  readonly env?: string;
  readonly default: string;
  readonly help: string;
  /** Numbers only: accepted range; values outside are clamped with a warning. */
  readonly min?: number;
  readonly max?: number;
  readonly number?: boolean;
}

export type FlagValues<S extends Record<string, FlagSpec>> = { [K in keyof S]: string };

export interface Parsed<S extends Record<string, FlagSpec>> {
  readonly values: FlagValues<S>;
  readonly warnings: readonly string[];
}

function splitArgs(argv: readonly string[]): Result<Map<string, string>, string> {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) return err(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    if (eq > 0) {
      given.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) return err(`flag ${arg} needs a value`);
    given.set(arg.slice(2), next);
    i++;
  }
  return ok(given);
}

function checkNumber(
  name: string,
  spec: FlagSpec,
  raw: string,
  warnings: string[],
): Result<string, string> {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n)) return err(`--${name}: "${raw}" is not a number`);
  const min = spec.min ?? -Infinity;
  const max = spec.max ?? Infinity;
  if (n < min || n > max) {
    const clamped = Math.min(max, Math.max(min, n));
    warnings.push(`--${name}=${raw} is outside the safe range [${min}, ${max}]; using ${clamped}`);
    return ok(String(clamped));
  }
  return ok(raw);
}

export function parseFlags<S extends Record<string, FlagSpec>>(
  specs: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Result<Parsed<S>, string> {
  const split = splitArgs(argv);
  if (!split.ok) return split;
  const given = split.value;
  for (const name of given.keys()) {
    if (!(name in specs))
      return err(
        `unknown flag --${name} (known: ${Object.keys(specs)
          .map((k) => `--${k}`)
          .join(", ")})`,
      );
  }
  const warnings: string[] = [];
  const values = {} as Record<string, string>;
  for (const [name, spec] of Object.entries(specs)) {
    const raw = given.get(name) ?? (spec.env ? env[spec.env] : undefined) ?? spec.default;
    if (!spec.number) {
      values[name] = raw;
      continue;
    }
    const checked = checkNumber(name, spec, raw, warnings);
    if (!checked.ok) return checked;
    values[name] = checked.value;
  }
  return ok({ values: values as FlagValues<S>, warnings });
}

export function usage(binary: string, specs: Record<string, FlagSpec>): string {
  const lines = Object.entries(specs).map(([name, s]) => {
    const env = s.env ? ` (env ${s.env})` : "";
    return `  --${name}=${s.default === "" ? '""' : s.default}${env}\n      ${s.help}`;
  });
  return `usage: ${binary} [flags]\n${lines.join("\n")}`;
}

/** Flags every IronLB binary takes: API access, the monitoring endpoint, logging. */
export const COMMON_FLAGS = {
  kubeconfig: { env: "KUBECONFIG", default: "", help: "kubeconfig file (default: in-cluster)" },
  "metrics-host": {
    env: "METALLB_HOST",
    default: "0.0.0.0",
    help: "address of /metrics, /healthz, /readyz",
  },
  "metrics-port": {
    env: "METALLB_ML_METRICS_PORT",
    default: "7472",
    help: "port of /metrics, /healthz, /readyz",
    number: true,
    min: 1,
    max: 65535,
  },
  "log-level": { env: "METALLB_LOG_LEVEL", default: "info", help: "error, warn, info or debug" },
} as const satisfies Record<string, FlagSpec>;
