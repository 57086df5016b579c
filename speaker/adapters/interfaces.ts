/**
 * The node's interfaces as Linux shows them in /sys/class/net/<name>/{type,flags,operstate,
 * address,master} and /proc/net/if_inet6 (Node has no netlink), and a watcher that re-reads
 * them on demand (`rescan`) and every few seconds, reporting only changes. Which interfaces may
 * announce is decided by the pure `judgeInterfaces` in ../core/interface-choice.ts.
 */
import { access, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { formatIp, ipFromBytes } from "../../lib/core/ip.js";
import { globMatcher, type LinkInfo } from "../core/interface-choice.js";
import { realTimers, type TimerHandle, type Timers } from "../../lib/adapters/timers.js";

export interface LinkPaths {
  readonly sysClassNet: string;
  readonly ifInet6: string;
}
export const LINUX_LINK_PATHS: LinkPaths = {
  sysClassNet: "/sys/class/net",
  ifInet6: "/proc/net/if_inet6",
};

export class InterfaceScanError extends Error {
  readonly code = "IRONLB_ERR_INTERFACE_SCAN";
}

const SCOPE_LINK = 0x20;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;

/**
 * The first usable link-local address of each interface from /proc/net/if_inet6 lines
 * (`<32 hex address> <ifindex> <prefix len> <scope> <flags> <name>`, all hex): tentative
 * (DAD running) and DAD-failed addresses are skipped, they cannot be a source yet.
 */
export function parseIfInet6(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [hex, , , scope, flags, name] = line.trim().split(/\s+/);
    if (!hex || hex.length !== 32 || !name || found.has(name)) continue;
    if (parseInt(scope ?? "", 16) !== SCOPE_LINK) continue;
    if ((parseInt(flags ?? "", 16) & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) !== 0) continue;
    found.set(name, formatIp(ipFromBytes(Buffer.from(hex, "hex"))));
  }
  return found;
}

const readTrimmed = async (path: string): Promise<string> => (await readFile(path, "utf8")).trim();

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** One interface, or undefined when it vanished (or cannot be read) while being read. */
async function readLink(
  dir: string,
  name: string,
  linkLocals: ReadonlyMap<string, string>,
): Promise<LinkInfo | undefined> {
  const at = (file: string): string => join(dir, name, file);
  try {
    const [type, flags, operstate, address, enslaved] = await Promise.all([
      readTrimmed(at("type")),
      readTrimmed(at("flags")),
      readTrimmed(at("operstate")),
      readTrimmed(at("address")),
      exists(at("master")),
    ]);
    const ipv6LinkLocal = linkLocals.get(name);
    const mac = address.toLowerCase();
    const carrierChanges = await readTrimmed(at("carrier_changes")).then(Number, () => undefined);
    return {
      name,
      type: Number(type),
      flags: Number(flags),
      operstate,
      enslaved,
      mac,
      ipv6LinkLocal,
      carrierChanges,
    };
  } catch {
    return undefined;
  }
}

/** Every interface of the current network namespace, sorted by name. */
export async function readLinks(paths: LinkPaths = LINUX_LINK_PATHS): Promise<LinkInfo[]> {
  let names: string[];
  try {
    names = (await readdir(paths.sysClassNet)).sort();
  } catch (e) {
    throw new InterfaceScanError(`cannot list ${paths.sysClassNet}`, { cause: e });
  }
  const inet6 = await readFile(paths.ifInet6, "utf8").catch(() => ""); // IPv6 disabled
  const linkLocals = parseIfInet6(inet6);
  const links = await Promise.all(names.map((n) => readLink(paths.sysClassNet, n, linkLocals)));
  return links.filter((l): l is LinkInfo => l !== undefined);
}

export interface InterfaceWatcherOptions {
  /** Called with the whole list after the first scan and whenever it changes. */
  readonly onChange: (links: readonly LinkInfo[]) => void;
  readonly onError?: (err: InterfaceScanError) => void;
  readonly read?: () => Promise<LinkInfo[]>;
  /**
   * Globs of interfaces never announced on: dropped from every scan before it is compared or
   * published, so pods' veths coming and going never count as a change.
   */
  readonly exclude?: readonly string[];
  /** Period of the re-scan started by `start()`; default 5 s. */
  readonly intervalMs?: number;
  readonly timers?: Timers;
}

export const DEFAULT_RESCAN_MS = 5000;

export class InterfaceWatcher {
  readonly #options: InterfaceWatcherOptions;
  #last: string | undefined;
  #links: readonly LinkInfo[] = [];
  #inFlight: Promise<readonly LinkInfo[]> | undefined;
  #timer: TimerHandle | undefined;
  #running = false;

  constructor(options: InterfaceWatcherOptions) {
    this.#options = options;
  }

  /** The interfaces seen by the last successful scan. */
  get links(): readonly LinkInfo[] {
    return this.#links;
  }

  /** Reads the interfaces now (joining a scan already running); reports a change if any. */
  rescan(): Promise<readonly LinkInfo[]> {
    this.#inFlight ??= this.#scan().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Scans at once and then every `intervalMs` until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) (this.#options.timers ?? realTimers).clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    void this.rescan().finally(() => {
      if (!this.#running) return;
      const timers = this.#options.timers ?? realTimers;
      const ms = this.#options.intervalMs ?? DEFAULT_RESCAN_MS;
      this.#timer = timers.setTimeout(() => this.#tick(), ms);
    });
  }

  async #scan(): Promise<readonly LinkInfo[]> {
    let links: LinkInfo[];
    try {
      const excluded = globMatcher(this.#options.exclude ?? []);
      links = (await (this.#options.read ?? readLinks)()).filter((l) => !excluded(l.name));
    } catch (e) {
      this.#report("scan failed", e);
      return this.#links;
    }
    const key = JSON.stringify(links);
    if (key === this.#last) return links;
    this.#last = key;
    this.#links = links;
    try {
      this.#options.onChange(links);
    } catch (e) {
      this.#report("onChange failed", e);
    }
    return links;
  }

  #report(message: string, e: unknown): void {
    const err = e instanceof InterfaceScanError ? e : new InterfaceScanError(message, { cause: e });
    this.#options.onError?.(err);
  }
}
