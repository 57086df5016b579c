/**
 * The speaker's side of its frame path: starts ./frame-path-worker.ts in a worker thread, which
 * owns the AF_PACKET sockets and the owned-IP table and answers ARP/NDP there (see
 * ./frame-path-protocol.ts for the ordering), hands it the interfaces, peer MACs and owned IPs,
 * and relays what it reports (conflicts, errors, counters).
 *
 * `applied()` resolves once everything set so far is in force in the frame path: after a
 * `setOwned` that dropped an IP, and `await applied()`, nothing answers or announces that IP any
 * more. A frame path that died answers nothing, so its pending acknowledgements resolve too.
 *
 * If the frame path thread exits unexpectedly (an uncaught error), that is reported and it is
 * started again after
 * `restartDelayMs` with the last interfaces, peers and owned IPs (announced at once, as
 * takeovers: they were announced before). Its counters then start from zero.
 */
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import type { ClaimPhase } from "./address-claims.js";
import { CounterSet, type AnnouncerCounters } from "./announcer-counters.js";
import type {
  FramePathConfig,
  FromFramePath,
  ReportedError,
  ToFramePath,
} from "./frame-path-protocol.js";
import type { AddressConflictReport, SetOwnedOptions } from "./l2-announcer-options.js";
import { L2AnnouncerError, type AnnouncerLink } from "./link-sockets.js";
import type { ReceiverPriority } from "./native-answers.js";
import { startWorker } from "./worker-entry.js";

/** What the speaker's loop needs from the link layer. */
export interface LinkLayer {
  setInterfaces(links: Iterable<AnnouncerLink>): void;
  setPeerMacs(macs: Iterable<string>): void;
  setOwned(owned: ReadonlyMap<string, Iterable<string>>, options?: SetOwnedOptions): void;
  /** Resolves once everything set so far is in force where frames are answered. */
  applied(): Promise<void>;
}

export interface FramePathOptions extends FramePathConfig {
  readonly onConflict?: (conflict: AddressConflictReport) => void;
  readonly onError?: (err: L2AnnouncerError) => void;
  /** Once per frame path thread: how its sockets' receiving threads are scheduled. */
  readonly onReceiver?: (r: {
    readonly iface: string;
    readonly priority: ReceiverPriority;
  }) => void;
  /**
   * Node flags of the frame path thread; default inherited from this thread (V8 flags such as
   * the image's --max-semi-space-size are refused when passed to a worker explicitly).
   */
  readonly execArgv?: readonly string[];
  /** Wait before starting a frame path that exited unexpectedly again; default 1000 ms. */
  readonly restartDelayMs?: number;
}

const here = fileURLToPath(import.meta.url);
/** Beside this file, `.ts` under tsx (tests), `.js` in dist/. */
const ENTRY = join(dirname(here), `frame-path-worker${extname(here)}`);
const STOP_TIMEOUT_MS = 2000;

type Ack = Extract<FromFramePath, { kind: "applied" | "failed" }>;

export class FramePath implements LinkLayer {
  readonly #options: FramePathOptions;
  readonly #pending = new Map<number, (ack: Ack) => void>();
  #worker: Worker | undefined;
  #seq = 0;
  #counters: AnnouncerCounters = new CounterSet().snapshot();
  #links: AnnouncerLink[] = [];
  #peers: string[] = [];
  #owned: [string, string[]][] = [];
  #applied: Promise<void> = Promise.resolve();
  #stopped = false;
  #restart: NodeJS.Timeout | undefined;

  constructor(options: FramePathOptions = {}) {
    this.#options = options;
  }

  /** Starts the frame path thread; it answers nothing before the first `setOwned`. */
  start(): void {
    if (this.#worker || this.#stopped) return;
    const { announce, claims, countersEveryMs, niceness, execArgv } = this.#options;
    const config = { announce, claims, countersEveryMs, niceness };
    const worker = startWorker(ENTRY, {
      workerData: JSON.parse(JSON.stringify(config)) as FramePathConfig, // undefined: absent
      ...(execArgv && { execArgv: [...execArgv] }),
      name: "ironlb-frame-path",
    });
    this.#worker = worker;
    worker.on("message", (m: FromFramePath) => this.#onMessage(m));
    worker.on("error", (e) => this.#report(`frame path: ${e.message}`, e));
    worker.once("exit", (code) => this.#onExit(worker, code));
  }

  /** The frame path thread's id (`worker_threads.threadId`), while it runs (tests, benchmarks). */
  get threadId(): number | undefined {
    return this.#worker?.threadId;
  }

  /**
   * Ends the frame path thread at once, as a crash would (tests, chaos): reported, and started
   * again like after any unexpected exit. Resolves when it is gone.
   */
  async abort(): Promise<void> {
    await this.#worker?.terminate();
  }

  setInterfaces(links: Iterable<AnnouncerLink>): void {
    this.#links = [...links].map(({ name, mac, ipv6LinkLocal, carrierChanges }) => ({
      name,
      mac,
      ipv6LinkLocal,
      carrierChanges,
    }));
    this.#post({ op: "interfaces", links: this.#links });
  }

  setPeerMacs(macs: Iterable<string>): void {
    this.#peers = [...macs];
    this.#post({ op: "peers", macs: this.#peers });
  }

  setOwned(owned: ReadonlyMap<string, Iterable<string>>, options: SetOwnedOptions = {}): void {
    if (this.#stopped) throw new Error("FramePath is stopped");
    this.#owned = [...owned].map(([ip, ifaces]) => [ip, [...ifaces]]);
    const takeovers = [...(options.takeovers ?? [])];
    const ack = this.#request((seq) => ({ op: "owned", seq, owned: this.#owned, takeovers }));
    this.#applied = ack.then((a) => {
      if (a.kind === "failed") throw new L2AnnouncerError(a.message, {});
    });
    this.#applied.catch((e: unknown) => this.#options.onError?.(e as L2AnnouncerError));
  }

  /** Resolves when the last `setOwned` is in force (or the frame path is gone). Never rejects. */
  applied(): Promise<void> {
    return this.#applied.catch(() => undefined);
  }

  /** Where an IP stands in the frame path, or undefined when not owned. */
  async phase(ip: string): Promise<ClaimPhase | undefined> {
    const ack = await this.#request((seq) => ({ op: "phase", seq, ip }));
    if (ack.kind === "failed") throw new L2AnnouncerError(ack.message, { ip });
    return ack.phase ?? undefined;
  }

  /** The frame path's counters as it last reported them (at most ~250 ms old). */
  counters(): AnnouncerCounters {
    return this.#counters;
  }

  /** The counters as they are now in the frame path. */
  async freshCounters(): Promise<AnnouncerCounters> {
    await this.#request((seq) => ({ op: "counters", seq }));
    return this.#counters;
  }

  /**
   * Asks the frame path thread for two full collections of its own heap (`--expose-gc`; without
   * it, nothing): `gc()` on the speaker's thread collects only that thread's heap, and the frame
   * path held every owned IP too.
   */
  collect(): void {
    this.#post({ op: "collect" });
  }

  /** Stops answering and announcing and waits for the frame path to exit. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restart);
    const worker = this.#worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    void this.#request((seq) => ({ op: "stop", seq }));
    await exited;
    clearTimeout(timer);
  }

  #request(command: (seq: number) => ToFramePath): Promise<Ack> {
    const seq = ++this.#seq;
    const acked = new Promise<Ack>((resolve) => this.#pending.set(seq, resolve));
    if (!this.#post(command(seq))) this.#settleAll();
    return acked;
  }

  #post(message: ToFramePath): boolean {
    if (!this.#worker) return false;
    this.#worker.postMessage(message);
    return true;
  }

  #onMessage(m: FromFramePath): void {
    switch (m.kind) {
      case "applied":
      case "failed":
        this.#pending.get(m.seq)?.(m);
        this.#pending.delete(m.seq);
        return;
      case "conflict":
        return this.#options.onConflict?.(m.report);
      case "error":
        return this.#report(m.error.message, m.error.cause, m.error);
      case "receiver":
        return this.#options.onReceiver?.(m);
      case "counters":
        this.#counters = m.counters;
    }
  }

  /** Nothing is answered by a frame path that is gone: every acknowledgement owed holds. */
  #settleAll(): void {
    for (const [seq, resolve] of this.#pending) resolve({ kind: "applied", seq });
    this.#pending.clear();
  }

  #onExit(worker: Worker, code: number): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#settleAll();
    if (this.#stopped) return;
    const delay = this.#options.restartDelayMs ?? 1000;
    this.#report(`frame path exited (code ${code}); restarting in ${delay} ms`);
    this.#restart = setTimeout(() => this.#resume(), delay);
  }

  /** A new frame path with the last state; what was owned is announced again at once. */
  #resume(): void {
    this.start();
    this.setInterfaces(this.#links);
    this.setPeerMacs(this.#peers);
    const owned = new Map(this.#owned);
    this.setOwned(owned, { takeovers: owned.keys() });
  }

  #report(message: string, cause?: unknown, where: Partial<ReportedError> = {}): void {
    const { iface, ip } = where;
    const at = { ...(iface === undefined ? {} : { iface }), ...(ip === undefined ? {} : { ip }) };
    this.#options.onError?.(new L2AnnouncerError(message, { ...at, cause }));
  }
}
