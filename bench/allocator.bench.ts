/**
 * Allocator cost against pool size (pure, no lab). For a /24 and a /16 (IPv4), a /112 and a /64
 * (IPv6) at 0%, 50% and 99% use, measures:
 * - `alloc+release`: a new Service takes an address and is deleted again (churn), pairs/s;
 * - `allocate (filling)`: new Services take free addresses (up to 1,000 per batch, released
 *   untimed between batches), allocations/s.
 * A /64 cannot be 50% used: it gets the same number of used addresses as the /16 at that level,
 * at the same offsets. The /112 is an IPv6 pool the size of the /16, so `/64 ÷ /112` compares
 * pools of one family with the same used addresses whose size differs 2^48 times; `/16 ÷ /24`
 * (at the same % use) also has 256 times more addresses in use.
 * Two layouts of the used addresses:
 * - packed: the lowest addresses, as a pool filled in order (one used run);
 * - scattered: a seeded random subset of the first 65,536 addresses (all of a /24), the worst
 *   case for the run list (about one run per free gap).
 * Each cell: a calibration, warm-up rounds, then ROUNDS rounds of about ROUND_MS; the median
 * round counts.
 */
import { hrtime } from "node:process";
import { formatIp, type IpFamily } from "../lib/core/ip.js";
import { Allocator } from "../controller/core/allocator.js";
import { buildPoolSet } from "../controller/core/pool-set.js";
import { type AllocationRequest, serviceRequest } from "../controller/core/service-request.js";
import { emitResult, type Figure, progress } from "./support/result.js";
import { formatNumber, markdownTable, median } from "./support/stats.js";

const WARMUP_ROUNDS = 2;
const ROUNDS = 7;
const ROUND_MS = 50;
const FILL_BATCH = 1_000;
/** Scattered layouts spread their used addresses over at most this many addresses. */
const WINDOW = 65_536;

interface PoolCase {
  readonly label: "/24" | "/16" | "/112" | "/64";
  readonly family: IpFamily;
  readonly cidr: string;
  readonly first: bigint;
  readonly size: bigint;
}

const POOLS: readonly PoolCase[] = [
  { label: "/24", family: "IPv4", cidr: "10.0.0.0/24", first: 0x0a000000n, size: 256n },
  { label: "/16", family: "IPv4", cidr: "10.1.0.0/16", first: 0x0a010000n, size: 65_536n },
  {
    label: "/112",
    family: "IPv6",
    cidr: "2001:db8:19::/112",
    first: 0x20010db8001900000000000000000000n,
    size: 65_536n,
  },
  {
    label: "/64",
    family: "IPv6",
    cidr: "2001:db8:18::/64",
    first: 0x20010db8001800000000000000000000n,
    size: 2n ** 64n,
  },
];
const LEVELS = [0, 0.5, 0.99] as const;
const LAYOUTS = ["packed", "scattered"] as const;
const OPS = ["alloc+release", "allocate (filling)"] as const;
type Layout = (typeof LAYOUTS)[number];
type Op = (typeof OPS)[number];

interface Cell {
  readonly layout: Layout;
  readonly pool: PoolCase["label"];
  readonly level: number;
  readonly used: number;
  readonly op: Op;
  readonly opsPerSec: number;
  readonly roundsOpsPerSec: readonly number[];
}

const requestFor = (family: IpFamily): AllocationRequest => {
  const r = serviceRequest(
    {
      namespace: "bench",
      name: "svc",
      annotations: {},
      labels: {},
      type: "LoadBalancer",
      ipFamilies: [family],
      ports: [{ port: 80 }],
      selector: {},
    },
    "",
  );
  if (!r.ok) throw new Error(`bench request refused: ${r.error.message}`);
  return r.value;
};

/** Used addresses for a /24 or /16 at `level`; the /64 borrows the /16's. */
const usedCount = (pool: PoolCase, level: number): number =>
  Math.floor(Number(pool.label === "/64" ? WINDOW : pool.size) * level);

/** A deterministic PRNG (mulberry32), so every run scatters the same way. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offsets (from the pool's first address) of the used addresses, ascending. */
function usedOffsets(pool: PoolCase, used: number, layout: Layout): number[] {
  if (layout === "packed") return Array.from({ length: used }, (_, i) => i);
  const window = Math.min(Number(pool.size), WINDOW);
  const all = Array.from({ length: window }, (_, i) => i);
  const random = mulberry32(0x1e0 + window);
  for (let i = 0; i < used; i++) {
    const j = i + Math.floor(random() * (window - i));
    [all[i], all[j]] = [all[j] ?? 0, all[i] ?? 0];
  }
  return all.slice(0, used).sort((a, b) => a - b);
}

function prepared(pool: PoolCase, used: number, layout: Layout): Allocator {
  const a = new Allocator();
  a.setPools(buildPoolSet([{ name: "bench", addresses: [pool.cidr] }], []));
  const request = requestFor(pool.family);
  for (const offset of usedOffsets(pool, used, layout)) {
    const ip = formatIp({ family: pool.family, value: pool.first + BigInt(offset) });
    const r = a.assign(`bench/used-${offset}`, request, [ip]);
    if (!r.ok) throw new Error(`prefill ${ip}: ${r.error.message}`);
  }
  return a;
}

/**
 * Service keys, each used once per ring turn: a new Service has a new name. Re-using one key
 * for every pair would measure a V8 Map effect (a key deleted and re-added over and over walks
 * a growing chain of its own tombstones until the next rehash) instead of the allocator.
 */
class KeyRing {
  readonly #keys = Array.from({ length: 1 << 17 }, (_, i) => `bench/svc-${i}`);
  #next = 0;

  take(): string {
    const key = this.#keys[this.#next] ?? "";
    this.#next = (this.#next + 1) % this.#keys.length;
    return key;
  }
}
const ring = new KeyRing();

interface Subject {
  readonly a: Allocator;
  readonly request: AllocationRequest;
  readonly op: Op;
  /** Allocations per fill batch. */
  readonly batch: number;
}

/** Runs `n` operations; returns the timed nanoseconds (releases after filling are untimed). */
function runOps({ a, request, op, batch }: Subject, n: number): bigint {
  if (op === "alloc+release") {
    const start = hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const key = ring.take();
      if (!a.allocate(key, request).ok) throw new Error("alloc+release: pool exhausted");
      a.release(key);
    }
    return hrtime.bigint() - start;
  }
  let timed = 0n;
  const keys: string[] = [];
  for (let done = 0; done < n; done += batch) {
    keys.length = 0;
    for (let i = 0; i < batch; i++) keys.push(ring.take());
    const start = hrtime.bigint();
    for (const key of keys) {
      if (!a.allocate(key, request).ok) throw new Error("fill: pool exhausted");
    }
    timed += hrtime.bigint() - start;
    for (const key of keys) a.release(key);
  }
  return timed;
}

function measure(pool: PoolCase, level: number, layout: Layout, op: Op): Cell {
  const used = usedCount(pool, level);
  const batch = Math.min(FILL_BATCH, Number(pool.size - BigInt(used)));
  const subject = { a: prepared(pool, used, layout), request: requestFor(pool.family), op, batch };
  // Calibrate: how many operations take about ROUND_MS.
  const probe = Math.max(batch, 1_000);
  const probeNs = Number(runOps(subject, probe));
  const n = Math.max(batch, Math.ceil((probe * ROUND_MS * 1e6) / Math.max(probeNs, 1)));
  const rounds: number[] = [];
  for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
    const ops = Math.ceil(n / batch) * batch;
    const ns = Number(runOps(subject, ops));
    if (r >= WARMUP_ROUNDS) rounds.push((ops * 1e9) / ns);
  }
  return {
    layout,
    pool: pool.label,
    level,
    used,
    op,
    opsPerSec: median(rounds),
    roundsOpsPerSec: rounds,
  };
}

const pct = (level: number): string => `${Math.round(level * 100)}%`;
const find = (cells: readonly Cell[], c: Omit<Cell, "used" | "opsPerSec" | "roundsOpsPerSec">) =>
  cells.find(
    (x) => x.layout === c.layout && x.pool === c.pool && x.level === c.level && x.op === c.op,
  )?.opsPerSec ?? Number.NaN;

interface Ratio {
  readonly layout: Layout;
  readonly level: number;
  readonly op: Op;
  readonly r16v24: number;
  readonly r64v112: number;
}

function ratios(cells: readonly Cell[]): Ratio[] {
  return LAYOUTS.flatMap((layout) =>
    LEVELS.flatMap((level) =>
      OPS.map((op) => {
        const at = (pool: PoolCase["label"]): number => find(cells, { layout, pool, level, op });
        return {
          layout,
          level,
          op,
          r16v24: at("/16") / at("/24"),
          r64v112: at("/64") / at("/112"),
        };
      }),
    ),
  );
}

function detailTable(cells: readonly Cell[], layout: Layout): string {
  const rows = ratios(cells)
    .filter((r) => r.layout === layout)
    .map((r) => {
      const at = (pool: PoolCase["label"]): string =>
        formatNumber(find(cells, { layout, pool, level: r.level, op: r.op }));
      const used = cells.find(
        (c) => c.layout === layout && c.pool === "/64" && c.level === r.level,
      );
      return [
        pct(r.level),
        r.op,
        at("/24"),
        at("/16"),
        at("/112"),
        `${at("/64")} (${(used?.used ?? 0).toLocaleString("en-US")} used)`,
        formatNumber(r.r16v24),
        formatNumber(r.r64v112),
      ];
    });
  return markdownTable(
    ["use", "operation", "/24", "/16", "/112", "/64", "/16 ÷ /24", "/64 ÷ /112"],
    rows,
  );
}

/** Within 2x of the small pool: a scanning allocator would be 256x slower on the /16. */
const NEAR_ONE = 0.5;

function figures(cells: readonly Cell[]): Figure[] {
  const rs = ratios(cells);
  const worst = (layout: Layout, key: "r16v24" | "r64v112"): number =>
    Math.min(...rs.filter((r) => r.layout === layout).map((r) => r[key]));
  const ratioFigure = (label: string, value: number): Figure => ({
    label,
    value: Number(value.toFixed(3)),
    target: ">= 0.5 (~1)",
    met: value >= NEAR_ONE,
  });
  const at = (op: Op, level: number): number =>
    Math.round(find(cells, { layout: "packed", pool: "/16", level, op }));
  return [
    { label: "alloc+release /16 @50% packed", unit: "pairs/s", value: at("alloc+release", 0.5) },
    { label: "allocate /16 @50% packed", unit: "ops/s", value: at("allocate (filling)", 0.5) },
    ratioFigure("worst /16÷/24 packed", worst("packed", "r16v24")),
    ratioFigure("worst /16÷/24 scattered", worst("scattered", "r16v24")),
    ratioFigure("worst /64÷/112 packed", worst("packed", "r64v112")),
    ratioFigure("worst /64÷/112 scattered", worst("scattered", "r64v112")),
  ];
}

function main(): void {
  const cells: Cell[] = [];
  const cases = LAYOUTS.flatMap((layout) =>
    POOLS.flatMap((pool) => LEVELS.map((level) => ({ layout, pool, level }))),
  );
  for (const { layout, pool, level } of cases) {
    for (const op of OPS) cells.push(measure(pool, level, layout, op));
    progress(`allocator ${layout} ${pool.label} @${pct(level)} done`);
  }
  const markdown = [
    `Median of ${ROUNDS} rounds of ~${ROUND_MS} ms after ${WARMUP_ROUNDS} warm-up rounds ` +
      "(`process.hrtime.bigint()`). `alloc+release`: pairs/s; `allocate (filling)`: allocations " +
      `of new Services into free addresses, up to ${FILL_BATCH.toLocaleString("en-US")} per batch ` +
      "(released untimed between batches; the /24 at 99% has 3 free addresses, so batches of 3). " +
      "Columns are ops/s per pool. The /64 cannot be 50% used: it holds the same number of used " +
      "addresses as the /16 at that level, at the same offsets. The /112 is an IPv6 pool the size " +
      "of the /16: `/64 ÷ /112` compares one family and the same used addresses, only the pool " +
      "size differs (2^48 times); `/16 ÷ /24` at the same % use also has 256 times more " +
      "addresses in use. A ratio of 1 means no cost difference.",
    "",
    "Packed (used addresses are the lowest ones, as a pool filled in order):",
    "",
    detailTable(cells, "packed"),
    "",
    "Scattered (used addresses uniformly random within the first 65,536 addresses; worst case " +
      "for the run list, about one run per free gap):",
    "",
    detailTable(cells, "scattered"),
  ].join("\n");
  emitResult({
    name: "allocator",
    title: "Controller: allocation cost against pool size",
    target:
      "ARCHITECTURE.md: allocation cost independent of pool size (/16 and /64 pools). Here: " +
      "worst ratio of ops/s (bigger pool ÷ smaller pool) >= 0.5; a scanning allocator gives ~1/256.",
    figures: figures(cells),
    rows: cells.map((c) => ({ ...c })),
    markdown,
  });
}

main();
