/**
 * Test support: throwaway network namespaces wired to a bridge, for root-only tests that need
 * the kernel on the other side of a link. Everything lives in namespaces named
 * `ironlb-t<pid>-<role>` (the bridge too, in its own namespace), so nothing touches the host's
 * interfaces, addresses or routes. `cleanup()` always runs every step: it stops the processes
 * started here (by PID, never by name) and deletes the namespaces, which takes their links along.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

export const NETNS_PREFIX = "ironlb-t";

export interface Attachment {
  /** The interface inside the member namespace. */
  readonly iface: string;
  readonly mac: string;
}

export interface ExecOptions {
  /** Resolve with the output instead of throwing on a non-zero exit. */
  readonly allowFailure?: boolean;
  readonly timeoutMs?: number;
}

export interface ExecResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cmd: string, args: readonly string[], options: ExecOptions = {}): ExecResult {
  try {
    const stdout = execFileSync(cmd, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 15_000,
    });
    return { status: 0, stdout, stderr: "" };
  } catch (e) {
    const err = e as { status?: number | null; stdout?: string; stderr?: string };
    const result = { status: err.status ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
    if (options.allowFailure) return result;
    throw new Error(`${cmd} ${args.join(" ")} failed (${result.status}): ${result.stderr}`, {
      cause: e,
    });
  }
}

/** Our namespaces left behind by runs whose process is gone (a crashed or killed test). */
export function staleNamespaces(): string[] {
  const names = run("ip", ["netns", "list"])
    .stdout.split("\n")
    .map((l) => l.split(" ")[0] ?? "");
  return names.filter((name) => {
    const pid = /^ironlb-t(\d+)-/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid) return false;
    try {
      process.kill(Number(pid), 0);
      return false;
    } catch {
      return true;
    }
  });
}

/** Deletes `staleNamespaces()`; returns their names. */
export function removeStaleNamespaces(): string[] {
  const stale = staleNamespaces();
  for (const ns of stale) run("ip", ["netns", "del", ns], { allowFailure: true });
  return stale;
}

export class NetnsLab {
  readonly prefix = `${NETNS_PREFIX}${process.pid}`;
  readonly #namespaces: string[] = [];
  readonly #children = new Set<ChildProcess>();

  /** Creates `<prefix>-<role>` with loopback up and DAD off (addresses usable at once). */
  addNamespace(role: string): string {
    const ns = `${this.prefix}-${role}`;
    run("ip", ["netns", "add", ns]);
    this.#namespaces.push(ns);
    this.ip(ns, ["link", "set", "lo", "up"]);
    for (const scope of ["all", "default"])
      this.sysctl(ns, `net.ipv6.conf.${scope}.accept_dad`, "0");
    return ns;
  }

  /** A bridge inside `ns` (no STP, ports forward at once). */
  addBridge(ns: string, name = "br0"): void {
    this.ip(ns, ["link", "add", name, "type", "bridge", "stp_state", "0"]);
    this.ip(ns, ["link", "set", name, "up"]);
  }

  /** A veth pair: `iface` in `ns` (with `addresses`), its peer a port of `bridge` in `bridgeNs`. */
  attach(
    ns: string,
    to: { readonly bridgeNs: string; readonly bridge?: string },
    addresses: readonly string[],
    iface = "eth0",
  ): Attachment {
    const peer = `p-${ns.slice(this.prefix.length + 1)}`.slice(0, 15);
    run("ip", [
      "link",
      "add",
      iface,
      "netns",
      ns,
      "type",
      "veth",
      "peer",
      peer,
      "netns",
      to.bridgeNs,
    ]);
    this.ip(to.bridgeNs, ["link", "set", peer, "master", to.bridge ?? "br0", "up"]);
    return this.#configure(ns, iface, addresses);
  }

  /**
   * An interface leading nowhere: a veth whose peer sits, up but on no bridge, in `stubNs`
   * (the kernel here has no dummy driver).
   */
  addStub(
    ns: string,
    stubNs: string,
    iface: string,
    addresses: readonly string[] = [],
  ): Attachment {
    const peer = `s-${ns.slice(this.prefix.length + 1)}-${iface}`.slice(0, 15);
    run("ip", ["link", "add", iface, "netns", ns, "type", "veth", "peer", peer, "netns", stubNs]);
    this.ip(stubNs, ["link", "set", peer, "up"]);
    return this.#configure(ns, iface, addresses);
  }

  /** Runs `ip <args>` in `ns`. */
  ip(ns: string, args: readonly string[], options?: ExecOptions): ExecResult {
    return run("ip", ["-n", ns, ...args], options);
  }

  sysctl(ns: string, key: string, value: string): void {
    this.exec(ns, "sysctl", ["-qw", `${key}=${value}`]);
  }

  /** Runs a command in `ns` and waits for it. */
  exec(ns: string, cmd: string, args: readonly string[], options?: ExecOptions): ExecResult {
    return run("ip", ["netns", "exec", ns, cmd, ...args], options);
  }

  /** Starts a long-running command in `ns`; `cleanup()` stops it if it is still running. */
  spawn(ns: string, cmd: string, args: readonly string[], cwd?: string): ChildProcess {
    const child = spawn("ip", ["netns", "exec", ns, cmd, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      ...(cwd === undefined ? {} : { cwd }),
    });
    this.#children.add(child);
    child.once("exit", () => this.#children.delete(child));
    return child;
  }

  macOf(ns: string, iface: string): string {
    return this.exec(ns, "cat", [`/sys/class/net/${iface}/address`]).stdout.trim();
  }

  /** Our namespaces that exist now. */
  existing(): string[] {
    const listed = run("ip", ["netns", "list"]).stdout;
    return listed
      .split("\n")
      .map((l) => l.split(" ")[0] ?? "")
      .filter((n) => n.startsWith(`${this.prefix}-`));
  }

  /** Stops our processes (by PID) and deletes our namespaces; every step runs, errors collected. */
  async cleanup(): Promise<void> {
    const problems: string[] = [];
    await Promise.all([...this.#children].map((child) => stopChild(child)));
    for (const ns of this.#namespaces.splice(0).reverse()) {
      const { status, stderr } = run("ip", ["netns", "del", ns], { allowFailure: true });
      if (status !== 0) problems.push(`ip netns del ${ns}: ${stderr.trim()}`);
    }
    if (problems.length > 0) throw new Error(`cleanup incomplete:\n${problems.join("\n")}`);
  }

  #configure(ns: string, iface: string, addresses: readonly string[]): Attachment {
    for (const address of addresses) {
      const extra = address.includes(":") ? ["nodad"] : [];
      this.ip(ns, ["addr", "add", address, "dev", iface, ...extra]);
    }
    this.ip(ns, ["link", "set", iface, "up"]);
    return { iface, mac: this.macOf(ns, iface) };
  }
}

/** SIGTERM, then SIGKILL after `graceMs`, to this child's PID only. */
export async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, "exit");
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

export interface ArpingReply {
  readonly mac: string;
  readonly ip: string;
  /** Round trip as arping measured it, in microseconds. */
  readonly micros: number;
}

const ARPING_REPLY =
  /bytes from ([0-9a-f:]{17}) \(([0-9.]+)\): index=\d+ time=([0-9.]+) (usec|msec|sec)/;
const MICROS_PER = { usec: 1, msec: 1000, sec: 1_000_000 } as const;

/** The replies in the output of Debian's arping (Thomas Habets' arping 2.x). */
export function parseArping(stdout: string): ArpingReply[] {
  return stdout.split("\n").flatMap((line) => {
    const m = ARPING_REPLY.exec(line);
    if (!m) return [];
    const unit = m[4] as keyof typeof MICROS_PER;
    return [{ mac: m[1] ?? "", ip: m[2] ?? "", micros: Number(m[3]) * MICROS_PER[unit] }];
  });
}

const NA_LINE =
  /^\S+ ([0-9a-f:]{17}) > [0-9a-f:]{17}, ethertype IPv6 .*: ICMP6, neighbor advertisement, tgt is ([0-9a-f:.]+),/i;

/**
 * Who advertised what, from `tcpdump -l -n -e` lines: target IP -> the Ethernet sources (MACs,
 * lowercase) of the Neighbor Advertisements for it.
 */
export function parseNeighborAdvertisements(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const m = NA_LINE.exec(line);
    if (!m?.[1] || !m[2]) continue;
    const macs = out.get(m[2]) ?? new Set<string>();
    macs.add(m[1].toLowerCase());
    out.set(m[2], macs);
  }
  return out;
}
