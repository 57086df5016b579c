/**
 * Where a binary's memory is, from its own /metrics (prom-client's default process metrics):
 * V8 heap used (live data plus garbage not yet collected), V8 heap committed, and memory outside
 * the heap (Buffers, ArrayBuffers), in MiB. Undefined figures when the endpoint does not answer.
 */
export type HeapSplit = {
  readonly used: number;
  readonly total: number;
  readonly external: number;
};

const MiB = 1024 * 1024;

export async function heapSplit(port: number): Promise<HeapSplit> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => "",
  );
  const read = (name: string): number =>
    Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? NaN) / MiB;
  return {
    used: read("nodejs_heap_size_used_bytes"),
    total: read("nodejs_heap_size_total_bytes"),
    external: read("nodejs_external_memory_bytes"),
  };
}

/** `used / total / external` with one decimal, for a table cell. */
export const formatSplit = (s: HeapSplit): string =>
  [s.used, s.total, s.external].map((x) => x.toFixed(1)).join(" / ");
