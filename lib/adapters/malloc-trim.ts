/**
 * Loads our malloc_trim addon (native/malloc-trim, package `@ironlb/malloc-trim`) for
 * `HeapTrim`'s `trimMalloc`. When it cannot be loaded (not built, another platform) this logs
 * one warning and the process goes on without it: the trim after a full collection saves
 * memory, it is never a reason to stop.
 */
import { createRequire } from "node:module";

interface MallocTrimModule {
  trim(): boolean;
}

/** The part of the logger used here (winston's `Logger` has it). */
export type WarnLog = { warn(message: string, meta: { err: string }): unknown };

const require = createRequire(import.meta.url);

/** The addon's `trim()`, or undefined (after one warning on `log`) when it does not load. */
export function loadMallocTrim(
  log: WarnLog,
  load: () => unknown = () => require("@ironlb/malloc-trim"),
): (() => boolean) | undefined {
  const unavailable = (err: string): undefined => {
    log.warn("malloc_trim addon not loaded; freed C memory stays with glibc", { err });
    return undefined;
  };
  let mod: unknown;
  try {
    mod = load();
  } catch (e) {
    return unavailable(e instanceof Error ? e.message : String(e));
  }
  const trim = (mod as Partial<MallocTrimModule> | null | undefined)?.trim;
  if (typeof trim !== "function") return unavailable("@ironlb/malloc-trim exports no trim()");
  return () => trim();
}
