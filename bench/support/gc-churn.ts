/**
 * What one full collection leaves committed against two in a row (lib/adapters/heap-trim.ts,
 * `exposedGc`), without a lab: per round, 5,000 records shaped like a Service's cache entry are
 * added to a Map and deleted again, with a few long-lived objects kept in between (as caches
 * keep some state across a mass deletion); then `gc()` runs COLLECTIONS times and the V8 heap's
 * committed size is printed. Run with the binaries' node flags:
 *
 *   node --expose-gc --max-semi-space-size=1 --optimize-for-size --import tsx \
 *     bench/support/gc-churn.ts 1    (then 2)
 */
import { getHeapStatistics } from "node:v8";

const gc = globalThis.gc;
if (!gc) throw new Error("run with --expose-gc");
const collections = Number(process.argv[2] ?? "2");
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const kept: unknown[] = [];
const live = new Map<string, unknown>();
for (let round = 1; round <= 3; round++) {
  for (let i = 0; i < 5_000; i++) {
    live.set(`ns/svc-${round}-${i}`, {
      ips: [`198.18.${i >> 8}.${i & 255}`],
      pool: "p",
      labels: { app: "b".repeat(40) },
      seen: Date.now(),
      ports: new Array<number>(30).fill(i),
    });
  }
  for (let i = 0; i < 5_000; i += 97) kept.push({ i, note: "z".repeat(64) });
  live.clear();
  const times: string[] = [];
  for (let n = 0; n < collections; n++) {
    const start = performance.now();
    gc();
    times.push(`${(performance.now() - start).toFixed(1)} ms`);
  }
  const committed = mib(getHeapStatistics().total_heap_size);
  console.log(
    `round ${round}: ${collections} collection(s) (${times.join(", ")}), committed ${committed} MiB`,
  );
}
console.log(`kept ${kept.length} long-lived objects`);
