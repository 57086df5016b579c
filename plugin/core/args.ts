/**
 * The command line of `kubectl ironlb`: a command, its target and kubectl-style flags
 * (`--flag value`, `--flag=value`, `-n value`). Pure: argv in, options or an error naming the
 * bad argument out.
 */
import { err, ok, type Result } from "../../lib/core/result.js";

export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Command =
  | { readonly kind: "status" }
  | { readonly kind: "pools" }
  | { readonly kind: "explain"; readonly service: string }
  | { readonly kind: "help" };

export interface Options {
  readonly command: Command;
  readonly kubeconfig: string | undefined;
  /** `-n`: the Service's namespace (explain), or the only namespace listed (status). */
  readonly namespace: string | undefined;
  /** Where the controller and the MetalLB objects live. */
  readonly controllerNamespace: string;
  readonly output: OutputFormat;
  /** The controller's `--lb-class` ("" : Services without a class). */
  readonly lbClass: string;
}

export const DEFAULT_CONTROLLER_NAMESPACE = "metallb-system";

export const USAGE = `Usage: kubectl ironlb COMMAND [flags]

Commands:
  status                 pools (used/free), LoadBalancer Services (IPs, pool, announcing node),
                         speakers (alive or not)
  pools                  pools with a usage bar
  explain svc/NAME       why a Service has no IP or is not answered, and what to run next

Flags:
  -n, --namespace NS             the Service's namespace (explain; default: the context's);
                                 status: list only this namespace
      --kubeconfig FILE          kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)
      --controller-namespace NS  where IronLB and its pools live (default: metallb-system)
      --lb-class CLASS           the controller's --lb-class (default: "", Services without one)
  -o, --output FORMAT            table (default), json or yaml
  -h, --help                     this text

Exit codes: 0 ok, 1 the Service has a problem or was not found, 2 usage error,
3 the API server could not be reached or refused the request.`;

type FlagName = "kubeconfig" | "namespace" | "controllerNamespace" | "output" | "lbClass";

const FLAGS: Readonly<Record<string, FlagName>> = {
  "--kubeconfig": "kubeconfig",
  "-n": "namespace",
  "--namespace": "namespace",
  "--controller-namespace": "controllerNamespace",
  "-o": "output",
  "--output": "output",
  "--lb-class": "lbClass",
};

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SERVICE_KINDS = ["svc", "service", "services"];

interface Split {
  readonly positional: readonly string[];
  readonly flags: ReadonlyMap<FlagName, string>;
  readonly help: boolean;
}

/** Separates flags (with their values) from positional arguments. */
function split(argv: readonly string[]): Result<Split, string> {
  const positional: string[] = [];
  const flags = new Map<FlagName, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "-h" || arg === "--help") help = true;
    else if (!arg.startsWith("-") || arg === "-") positional.push(arg);
    else {
      const eq = arg.indexOf("=");
      const flag = eq > 0 ? arg.slice(0, eq) : arg;
      const name = FLAGS[flag];
      if (name === undefined) return err(`unknown flag "${flag}"`);
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) return err(`flag ${flag} needs a value`);
      flags.set(name, value);
    }
  }
  return ok({ positional, flags, help });
}

/** `svc/NAME`, `service/NAME` or `NAME`: the Service's name. */
export function parseServiceRef(ref: string): Result<string, string> {
  const slash = ref.indexOf("/");
  const kind = slash < 0 ? "svc" : ref.slice(0, slash);
  const name = slash < 0 ? ref : ref.slice(slash + 1);
  if (!SERVICE_KINDS.includes(kind.toLowerCase())) {
    return err(`explain: "${ref}" is not a Service; give svc/NAME`);
  }
  if (!NAME.test(name)) return err(`explain: "${name}" is not a valid Service name`);
  return ok(name);
}

function parseCommand(positional: readonly string[]): Result<Command, string> {
  const [verb, ...rest] = positional;
  if (verb === undefined) return err("no command given (status, pools or explain)");
  const extra = (n: number): Result<never, string> =>
    err(`${verb}: unexpected argument "${rest[n] ?? ""}"`);
  switch (verb) {
    case "status":
    case "pools":
      return rest.length > 0 ? extra(0) : ok({ kind: verb });
    case "explain": {
      if (rest[0] === undefined) return err("explain: which Service? give svc/NAME");
      if (rest.length > 1) return extra(1);
      const name = parseServiceRef(rest[0]);
      return name.ok ? ok({ kind: "explain", service: name.value }) : name;
    }
    default:
      return err(`unknown command "${verb}" (status, pools or explain)`);
  }
}

function checkFlags(flags: ReadonlyMap<FlagName, string>): Result<void, string> {
  const output = flags.get("output");
  if (output !== undefined && !(OUTPUT_FORMATS as readonly string[]).includes(output)) {
    return err(`--output "${output}": must be one of ${OUTPUT_FORMATS.join(", ")}`);
  }
  for (const name of ["namespace", "controllerNamespace"] as const) {
    const value = flags.get(name);
    if (value !== undefined && !NAME.test(value)) {
      const flag = name === "namespace" ? "--namespace" : "--controller-namespace";
      return err(`${flag} "${value}": not a namespace name`);
    }
  }
  if (flags.get("kubeconfig") === "") return err(`--kubeconfig: empty file name`);
  return ok(undefined);
}

/** Parses the arguments after `kubectl ironlb`. */
export function parseArgs(argv: readonly string[]): Result<Options, string> {
  const parts = split(argv);
  if (!parts.ok) return parts;
  const { positional, flags, help } = parts.value;
  const checked = checkFlags(flags);
  if (!checked.ok) return checked;
  const command: Result<Command, string> = help ? ok({ kind: "help" }) : parseCommand(positional);
  if (!command.ok) return command;
  return ok({
    command: command.value,
    kubeconfig: flags.get("kubeconfig"),
    namespace: flags.get("namespace"),
    controllerNamespace: flags.get("controllerNamespace") ?? DEFAULT_CONTROLLER_NAMESPACE,
    output: (flags.get("output") as OutputFormat | undefined) ?? "table",
    lbClass: flags.get("lbClass") ?? "",
  });
}
