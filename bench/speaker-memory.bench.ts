/**
 * Speaker memory on the whole lab, the speakers run as `make lab-up` runs them (plain
 * `node dist/speaker/main.js`): RSS idle, with 5,000 LoadBalancer Services announced (assigned by
 * the lab's controller, each with ready endpoints, so every speaker caches Services, slices and
 * status records and one of them announces each), and after they are deleted again; three
 * create/delete rounds, so growth from round to round shows. Each round uses its own namespace,
 * Deployment, pool and L2Advertisement (bench/support/scale-lab.ts) and removes them.
 * Set BENCH_QUICK=1 for a small smoke run.
 */
import { rootSkipReason } from "../test/support/lab.js";
import { useLab } from "../test/support/e2e.js";
import { KubeHttp, KubeHttpError, runBounded } from "./support/kube-http.js";
import { memoryMiB } from "./support/proc.js";
import { emitResult, progress, type Figure } from "./support/result.js";
import { ScaleLab, SPEAKER_NODES, speakerPid } from "./support/scale-lab.js";

const QUICK = process.env.BENCH_QUICK === "1";
/** BENCH_SERVICES / BENCH_ROUNDS: other sizes for a busy machine (shown in the results). */
const TOTAL = Number(process.env.BENCH_SERVICES ?? (QUICK ? 300 : 5_000));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SETTLE_S = QUICK ? 5 : 20;
const CONCURRENCY = 50;
/** As the scale benchmark's (see POOL there): addresses no lab network uses. */
const POOL = { name: "bench-speaker-mem", addresses: ["198.19.128.0/17", "2001:db8:b2::/64"] };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Rss = Record<string, number>;
const rss = (): Rss =>
  Object.fromEntries(SPEAKER_NODES.map((n) => [n, memoryMiB(speakerPid(n)).rss]));
const max = (r: Rss): number => Math.max(...Object.values(r));
const f = (x: number): string => x.toFixed(1);

interface Round {
  readonly round: number;
  readonly announced: number;
  readonly announceSeconds: number;
  readonly withAll: Rss;
  readonly afterDelete: Rss;
}

/**
 * Creates one Service, again after a failure (a loaded apiserver answers 429 or times out; one
 * lost create must not end the run): a 409 means an earlier attempt got through.
 */
async function create(lab: ScaleLab, name: string, family: "IPv4" | "IPv6"): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await lab.createService(name, family);
    } catch (e) {
      if (e instanceof KubeHttpError && e.status === 409) return;
      if (attempt >= 8) throw e;
      await sleep(250 * 2 ** attempt);
    }
  }
}

async function waitAnnounced(lab: ScaleLab): Promise<number> {
  const deadline = performance.now() + 15 * 60_000;
  let total = 0;
  let said = performance.now();
  while (performance.now() < deadline) {
    total = [...(await lab.announced()).values()].reduce((a, b) => a + b, 0);
    if (total >= TOTAL) return total;
    if (performance.now() - said > 15_000) {
      progress(`announced ${total}/${TOTAL}`);
      said = performance.now();
    }
    await sleep(1_000);
  }
  return total;
}

async function round(n: number, cp: ReturnType<typeof useLab>, http: KubeHttp): Promise<Round> {
  const lab = new ScaleLab(cp, http, POOL);
  const onSignal = (): void => void lab.tearDown().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    lab.setUp();
    const start = performance.now();
    progress(`round ${n}: creating ${TOTAL} Services in ${lab.svcNs}`);
    await runBounded(TOTAL, CONCURRENCY, (i) =>
      create(lab, `s-${i}`, i < TOTAL / 2 ? "IPv4" : "IPv6"),
    );
    const announced = await waitAnnounced(lab);
    const announceSeconds = (performance.now() - start) / 1000;
    await sleep(SETTLE_S * 1000); // status writes and gratuitous announcements done
    const withAll = rss();
    progress(
      `round ${n}: ${announced} announced after ${f(announceSeconds)} s; RSS ${f(max(withAll))}`,
    );
    await lab.tearDown();
    await sleep(SETTLE_S * 1000);
    const afterDelete = rss();
    progress(`round ${n}: deleted; RSS ${f(max(afterDelete))} MiB`);
    return { round: n, announced, announceSeconds, withAll, afterDelete };
  } catch (e) {
    await lab.tearDown().catch(() => undefined);
    throw e;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

function markdown(idle: Rss, rounds: readonly Round[]): string {
  const rows = rounds.map(
    (r) =>
      `| ${r.round} | ${r.announced} | ${f(r.announceSeconds)} | ` +
      SPEAKER_NODES.map((n) => `${f(r.withAll[n] ?? NaN)} / ${f(r.afterDelete[n] ?? NaN)}`).join(
        " | ",
      ) +
      " |",
  );
  return [
    `${TOTAL.toLocaleString("en-US")} LoadBalancer Services (half IPv4, half IPv6) per round, created ` +
      `${CONCURRENCY} in flight, all selecting one Deployment of 3 pods, assigned by the lab's ` +
      "controller and announced by its three speakers (plain `node dist/speaker/main.js`, as " +
      `\`make lab-up\` runs them); RSS (VmRSS) read ${SETTLE_S} s after every Service was in a ` +
      `speaker's plan, and ${SETTLE_S} s after the round's namespace, pool and status records ` +
      "were gone." +
      (QUICK ? " **Quick run (BENCH_QUICK=1): smaller counts.**" : ""),
    "",
    `Idle before the first round (MiB): ${SPEAKER_NODES.map((n) => `${n} ${f(idle[n] ?? NaN)}`).join(", ")}.`,
    "",
    `| round | announced | seconds to announce | ${SPEAKER_NODES.map((n) => `${n} MiB: with all / after delete`).join(" | ")} |`,
    `| --- | --- | --- | ${SPEAKER_NODES.map(() => "---").join(" | ")} |`,
    ...rows,
  ].join("\n");
}

async function main(): Promise<void> {
  const skip = rootSkipReason();
  if (skip) return emitResult({ name: "speaker-memory", skipped: skip });
  const cp = useLab();
  const http = await KubeHttp.create(cp.kc, CONCURRENCY);
  try {
    await sleep(SETTLE_S * 1000);
    const idle = rss();
    progress(`idle RSS (MiB): ${SPEAKER_NODES.map((n) => f(idle[n] ?? NaN)).join(", ")}`);
    const rounds: Round[] = [];
    for (let n = 1; n <= ROUNDS; n++) rounds.push(await round(n, cp, http));
    const withAll = Math.max(...rounds.map((r) => max(r.withAll)));
    const last = max(rounds.at(-1)?.afterDelete ?? {});
    const back = last / max(idle);
    const figures: Figure[] = [
      {
        label: "RSS idle, max",
        unit: "MiB",
        value: max(idle),
        target: "<= 80",
        met: max(idle) <= 80,
      },
      {
        label: `RSS with ${TOTAL}, max`,
        unit: "MiB",
        value: withAll,
        target: "<= 150",
        met: withAll <= 150,
      },
      { label: "RSS after the last round deleted, max", unit: "MiB", value: last },
      {
        label: "after delete / idle",
        value: Number(back.toFixed(2)),
        target: "<= 1.2",
        met: back <= 1.2,
      },
    ];
    emitResult({
      name: "speaker-memory",
      title: "Speaker memory: idle, 5,000 Services, after delete",
      target:
        "ARCHITECTURE.md: speaker RSS <= 80 MiB idle, <= 150 MiB with 5,000 Services; after deleting them within 20% of idle, no growth over three rounds",
      figures,
      rows: [{ idle }, ...rounds.map((r) => ({ ...r }))],
      markdown: markdown(idle, rounds),
    });
  } finally {
    http.close();
  }
}

await main();
