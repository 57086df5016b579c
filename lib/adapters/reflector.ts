/**
 * A reflector keeps an in-memory copy of one kind of Kubernetes object: it lists, then watches
 * from the list's resourceVersion, re-watches when the server closes the stream, re-lists on
 * `410 Gone` or any error (with backoff), and aborts a watch that has been silent longer than the
 * watchdog allows (a stalled TCP stream would otherwise freeze it forever). Every change,
 * including those found by a re-list after an outage, reaches the handler as an event.
 *
 * The list/watch source and the delay function come in through the constructor (the seam that
 * makes it testable without a server, as kubernetes-client/javascript's ListWatch does).
 */
import type { KubernetesObject } from "@kubernetes/client-node";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface ListResult<T> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

export interface WatchHandle {
  abort(): void;
}

export interface ListWatchSource<T> {
  list(): Promise<ListResult<T>>;
  /** Streams events from `resourceVersion`; `onDone` is called once when the stream ends. */
  watch(
    resourceVersion: string,
    onEvent: (type: string, obj: unknown) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle>;
}

export interface ReflectorHandler<T> {
  onEvent(type: EventType, obj: T, old: T | undefined): void;
  /** Called after every successful (re-)list, once the store matches the server. */
  onSynced?(): void;
}

export interface ReflectorLog {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
}

export interface ReflectorOptions<T> {
  readonly name: string;
  readonly source: ListWatchSource<T>;
  readonly handler: ReflectorHandler<T>;
  readonly log: ReflectorLog;
  /** Abort a watch that delivered nothing for this long (bookmarks count). Default 90 s. */
  readonly watchdogMs?: number;
  /**
   * Longest wait between retries (they double from 500 ms). Default 30 s, client-go's: many
   * clients back off far. It is also how long the reflector may stay blind after the apiserver
   * is back, so a single client whose work waits on it wants less.
   */
  readonly maxBackoffMs?: number;
  readonly delay?: (ms: number) => Promise<void>;
  /**
   * Turns an object into the record kept (and handed to the handler) on arrival, e.g. without
   * `managedFields`: a cache of thousands of objects keeps only what its user reads.
   */
  slim?(this: void, obj: T): T;
}

export const objectKey = (o: KubernetesObject): string =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata?.name ?? "");

/**
 * A backoff delay. Not unref'd: while a reflector waits to re-list, it is the process's pending
 * work, and a process with nothing else to do must not exit silently in the middle of it.
 */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Reflector<T extends KubernetesObject> {
  private readonly store = new Map<string, T>();
  private resourceVersion = "";
  private running = false;
  private handle: WatchHandle | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private failures = 0;
  /** Bumped per watch, so callbacks of an aborted stream are ignored. */
  private generation = 0;
  private hasSynced = false;
  private readonly delay: (ms: number) => Promise<void>;

  constructor(private readonly opts: ReflectorOptions<T>) {
    this.delay = opts.delay ?? sleep;
  }

  /** The record kept for `obj` (see `slim`). */
  private kept(obj: T): T {
    return this.opts.slim ? this.opts.slim(obj) : obj;
  }

  get synced(): boolean {
    return this.hasSynced;
  }

  items(): T[] {
    return [...this.store.values()];
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.relist();
  }

  stop(): void {
    this.running = false;
    this.generation++;
    this.clearWatchdog();
    this.handle?.abort();
    this.handle = undefined;
  }

  /**
   * Drops the current watch and lists again now: for a caller that knows the connection may
   * be dead (the network came back) and does not want to wait for the watchdog.
   */
  resync(): void {
    if (this.running) this.restart(true);
  }

  private async relist(): Promise<void> {
    while (this.running) {
      try {
        const listed = await this.opts.source.list();
        this.replace(listed);
        this.failures = 0;
        await this.watch();
        return;
      } catch (e) {
        await this.backoff("list failed", e);
      }
    }
  }

  private async backoff(what: string, e: unknown): Promise<void> {
    this.failures++;
    const ms = Math.min(this.opts.maxBackoffMs ?? 30_000, 250 * 2 ** Math.min(this.failures, 7));
    this.opts.log.warn(`${this.opts.name}: ${what}, retrying in ${ms} ms`, { err: describe(e) });
    await this.delay(ms);
  }

  private replace(listed: ListResult<T>): void {
    const fresh = new Map(listed.items.map((o) => [objectKey(o), this.kept(o)] as const));
    for (const [key, old] of this.store) {
      if (!fresh.has(key)) {
        this.store.delete(key);
        this.opts.handler.onEvent("DELETED", old, old);
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.store.get(key);
      this.store.set(key, obj);
      if (!old) this.opts.handler.onEvent("ADDED", obj, undefined);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        this.opts.handler.onEvent("MODIFIED", obj, old);
      }
    }
    this.resourceVersion = listed.resourceVersion;
    this.hasSynced = true;
    this.opts.handler.onSynced?.();
  }

  private async watch(): Promise<void> {
    if (!this.running) return;
    const gen = ++this.generation;
    this.armWatchdog();
    const handle = await this.opts.source.watch(
      this.resourceVersion,
      (type, obj) => gen === this.generation && this.onWatchEvent(type, obj),
      (e) => gen === this.generation && this.onWatchDone(e),
    );
    if (!this.running || gen !== this.generation) handle.abort();
    else this.handle = handle;
  }

  private onWatchEvent(type: string, raw: unknown): void {
    this.armWatchdog();
    const obj = raw as T & { code?: number; message?: string };
    if (type === "ERROR") {
      this.opts.log.info(`${this.opts.name}: watch error ${obj.code ?? ""}, re-listing`, {
        reason: obj.message,
      });
      this.restart(true);
      return;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (type === "BOOKMARK") return;
    if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED") return;
    const key = objectKey(obj);
    const old = this.store.get(key);
    const kept = this.kept(obj);
    if (type === "DELETED") this.store.delete(key);
    else this.store.set(key, kept);
    this.opts.handler.onEvent(type === "ADDED" && old ? "MODIFIED" : type, kept, old);
  }

  private onWatchDone(e?: unknown): void {
    if (!this.running) return;
    if (e && !isAbort(e)) {
      this.opts.log.warn(`${this.opts.name}: watch ended with an error, re-listing`, {
        err: describe(e),
      });
      this.restart(true);
    } else {
      this.restart(false); // server closed a healthy stream: watch again from where we are
    }
  }

  private restart(relist: boolean): void {
    this.generation++;
    this.clearWatchdog();
    const old = this.handle;
    this.handle = undefined;
    old?.abort();
    if (!this.running) return;
    const next = relist
      ? this.delay(250).then(() => this.relist())
      : this.watch().catch((e: unknown) =>
          this.backoff("watch failed", e).then(() => this.relist()),
        );
    void next;
  }

  private armWatchdog(): void {
    this.clearWatchdog();
    const ms = this.opts.watchdogMs ?? 90_000;
    this.watchdog = setTimeout(() => {
      this.opts.log.warn(`${this.opts.name}: watch silent for ${ms} ms, re-listing`);
      this.restart(true);
    }, ms);
    this.watchdog.unref();
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }
}

const isAbort = (e: unknown): boolean =>
  e instanceof Error && (e.name === "AbortError" || e.message.includes("aborted"));

export const describe = (e: unknown): string =>
  e instanceof Error ? e.message : typeof e === "string" ? e : JSON.stringify(e);
