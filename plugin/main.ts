/**
 * `kubectl ironlb`: the composition root. Parses the arguments, loads the user's kubeconfig,
 * reads the cluster, asks the core for the report and prints it. Exit codes (EXIT) are for
 * scripts: 0 ok, 1 the Service has a problem or was not found, 2 usage error, 3 API unreachable
 * or refusing.
 */
import { existsSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { ClusterReader, PluginApiError } from "./adapters/cluster-reader.js";
import { type Options, parseArgs, USAGE } from "./core/args.js";
import { explain } from "./core/explain.js";
import { serviceKey } from "./core/model.js";
import { renderExplanation, renderPools, renderStatus, serialize } from "./core/render.js";
import { poolUsage, statusReport } from "./core/status.js";

export const EXIT = { ok: 0, problem: 1, usage: 2, api: 3 } as const;

class UsageError extends Error {
  readonly code = "IRONLB_PLUGIN_USAGE";
}

function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file === undefined) {
    try {
      kc.loadFromDefault();
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new UsageError(`KUBECONFIG "${process.env.KUBECONFIG ?? ""}": ${why}`, { cause: e });
    }
    return kc;
  }
  if (!existsSync(file)) throw new UsageError(`--kubeconfig "${file}": no such file`);
  try {
    kc.loadFromFile(file);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UsageError(`--kubeconfig "${file}": not a kubeconfig (${why})`, { cause: e });
  }
  return kc;
}

interface Printed {
  readonly text: string;
  readonly code: number;
  /** Errors go to stderr, reports to stdout. */
  readonly error?: boolean;
}

function print(opts: Options, data: unknown, table: () => string): string {
  return opts.output === "table" ? table() : serialize(data, opts.output);
}

async function explainService(opts: Options, kc: KubeConfig, name: string): Promise<Printed> {
  const namespace =
    opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  const reader = new ClusterReader(kc, opts.controllerNamespace);
  const service = await reader.service(namespace, name).catch((e: unknown) => {
    if (e instanceof PluginApiError && e.kind === "notFound") {
      throw new PluginApiError(
        "notFound",
        `service "${name}" not found in namespace "${namespace}"`,
        { cause: e },
      );
    }
    throw e;
  });
  const [snapshot, events] = await Promise.all([
    reader.snapshot(undefined, Date.now),
    reader.events(namespace, name),
  ]);
  const shared = snapshot.services.filter(
    (s) => serviceKey(s) === serviceKey(service) || s.ips.some((ip) => service.ips.includes(ip)),
  );
  const endpoints = new Map(
    await Promise.all(
      shared.map(
        async (s) => [serviceKey(s), await reader.endpoints(s.namespace, s.name)] as const,
      ),
    ),
  );
  const explanation = explain({ snapshot, service, lbClass: opts.lbClass, endpoints, events });
  return {
    text: print(opts, explanation, () => renderExplanation(explanation)),
    code: explanation.healthy ? EXIT.ok : EXIT.problem,
  };
}

async function run(opts: Options): Promise<Printed> {
  if (opts.command.kind === "help") return { text: USAGE, code: EXIT.ok };
  const kc = loadKubeConfig(opts.kubeconfig);
  if (opts.command.kind === "explain") return explainService(opts, kc, opts.command.service);
  const reader = new ClusterReader(kc, opts.controllerNamespace);
  const snapshot = await reader.snapshot(opts.namespace, Date.now);
  if (opts.command.kind === "pools") {
    const pools = [...snapshot.pools].sort((a, b) => a.name.localeCompare(b.name)).map(poolUsage);
    return { text: print(opts, { pools }, () => renderPools(pools)), code: EXIT.ok };
  }
  const report = statusReport(snapshot, opts.lbClass);
  return { text: print(opts, report, () => renderStatus(report)), code: EXIT.ok };
}

function failure(e: unknown): Printed {
  const text = `error: ${(e as Error).message}`;
  if (e instanceof UsageError) return { text, code: EXIT.usage, error: true };
  if (e instanceof PluginApiError) {
    return { text, code: e.kind === "notFound" ? EXIT.problem : EXIT.api, error: true };
  }
  throw e;
}

export async function main(argv: readonly string[]): Promise<number> {
  const opts = parseArgs(argv);
  if (!opts.ok) {
    process.stderr.write(`error: ${opts.error}\nRun "kubectl ironlb --help" for usage.\n`);
    return EXIT.usage;
  }
  const result = await run(opts.value).catch(failure);
  const stream = result.error === true ? process.stderr : process.stdout;
  stream.write(`${result.text}\n`);
  return result.code;
}

process.exitCode = await main(process.argv.slice(2));
