/**
 * Starts a worker thread on a module of ours. In dist/ that is a `.js` file, started as is.
 * Under tsx (tests, benchmarks) it is a `.ts` file, and tsx's loader hooks are registered per
 * thread (a worker does not inherit `--import tsx`), so the worker registers tsx first.
 */
import { pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

export function startWorker(file: string, options: WorkerOptions = {}): Worker {
  if (!file.endsWith(".ts")) return new Worker(file, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = pathToFileURL(file).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
