/**
 * Test support: make a host's kernel re-check a neighbour entry the way RFC 4861 7.3.3 says,
 * and watch it do so. The entry is set STALE, one datagram moves it to DELAY, and after
 * `delay_first_probe_time` the kernel sends a unicast Neighbor Solicitation (to the cached MAC,
 * the address itself as IPv6 destination). Answered, the entry turns REACHABLE; unanswered, it
 * goes FAILED (with `mcast_resolicit` 0, the kernel never falls back to multicast). tcpdump on
 * the same interface records the solicitation and the answer.
 */
import { execFileSync, spawn } from "node:child_process";
import { stopChild } from "./netns.js";

/** Neighbour settings that make the probe quick and unicast only; the kernel's defaults differ. */
export const FAST_UNICAST_PROBE: Readonly<Record<string, string>> = {
  delay_first_probe_time: "1",
  ucast_solicit: "3",
  mcast_resolicit: "0",
  retrans_time_ms: "500",
};

export interface ProbeOutcome {
  /** Neighbour states seen, changes only: e.g. STALE, DELAY, PROBE, REACHABLE. */
  readonly states: readonly string[];
  /** The state the probe ended in: REACHABLE or FAILED. */
  readonly final: string;
  /** The unicast NS the kernel sent: its IPv6 source, or undefined when none was seen. */
  readonly solicitor: string | undefined;
  /** Whether a unicast NA with S and O set came back from `mac` to that source. */
  readonly answered: boolean;
  /** tcpdump's lines, for failure messages. */
  readonly capture: readonly string[];
}

// `tcpdump -n -e -vv` lines: Ethernet destination (NS) or source (NA), IPv6 addresses, target.
const UNICAST_NS =
  /^\S+ \S+ > ([0-9a-f:]{17}), .* (\S+) > (\S+): \[icmp6 sum ok\] ICMP6, neighbor solicitation, length \d+, who has (\S+)/;
const SOLICITED_NA =
  /^\S+ ([0-9a-f:]{17}) > [0-9a-f:]{17}, .* \S+ > (\S+): \[icmp6 sum ok\] ICMP6, neighbor advertisement, length \d+, tgt is (\S+), Flags \[solicited, override\]/;

const inNs = (ns: string, cmd: string, args: readonly string[]): string =>
  execFileSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", stdio: "pipe" });

/** Applies `settings` to `iface`'s neighbour table in `ns`; returns the values it replaced. */
export function setNeighborSettings(
  ns: string,
  iface: string,
  settings: Readonly<Record<string, string>>,
): Record<string, string> {
  const before: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    const name = `net.ipv6.neigh.${iface}.${key}`;
    before[key] = inNs(ns, "sysctl", ["-n", name]).trim();
    inNs(ns, "sysctl", ["-qw", `${name}=${value}`]);
  }
  return before;
}

export interface NeighborEntry {
  readonly lladdr?: string;
  readonly state?: readonly string[];
}

/** `ns`'s neighbour entry for `ip` on `iface`, as `ip -j neigh` shows it; undefined: none. */
export function neighborEntry(ns: string, iface: string, ip: string): NeighborEntry | undefined {
  const out = inNs(ns, "ip", ["-j", "neigh", "show", "to", ip, "dev", iface]);
  return (JSON.parse(out || "[]") as NeighborEntry[])[0];
}

const neighborState = (ns: string, iface: string, ip: string): string =>
  neighborEntry(ns, iface, ip)?.state?.join(",") ?? "none";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sets `ns`'s entry for `ip` on `iface` STALE at `mac`, sends one UDP datagram (which confirms
 * nothing), and waits up to `timeoutMs` for REACHABLE or FAILED. Needs `FAST_UNICAST_PROBE`.
 */
export async function forceUnicastProbe(
  ns: string,
  iface: string,
  target: { readonly ip: string; readonly mac: string },
  timeoutMs = 5000,
): Promise<ProbeOutcome> {
  const filter = "icmp6 and (ip6[40] == 135 or ip6[40] == 136)";
  const args = ["netns", "exec", ns, "tcpdump", "-i", iface, "-n", "-e", "-l", "-vv", filter];
  const tcpdump = spawn("ip", args, { stdio: ["ignore", "pipe", "ignore"] });
  const capture: string[] = [];
  let partial = "";
  tcpdump.stdout.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop() ?? "";
    capture.push(...parts);
  });
  const states: string[] = [];
  let final = "none";
  try {
    await sleep(300); // tcpdump is listening
    const { ip, mac } = target;
    inNs(ns, "ip", ["-6", "neigh", "change", ip, "dev", iface, "lladdr", mac, "nud", "stale"]);
    inNs(ns, "bash", ["-c", `echo ironlb > /dev/udp/${ip}/9 || true`]);
    const deadline = Date.now() + timeoutMs;
    while (final !== "REACHABLE" && final !== "FAILED" && Date.now() < deadline) {
      final = neighborState(ns, iface, ip);
      if (states.at(-1) !== final) states.push(final);
      await sleep(20);
    }
    await sleep(200); // the answer reaches tcpdump's output
  } finally {
    await stopChild(tcpdump);
  }
  const probe = capture
    .map((l) => UNICAST_NS.exec(l))
    .find((m) => m?.[1] === target.mac && m[3] === target.ip && m[4] === target.ip);
  const solicitor = probe?.[2];
  const answered = capture
    .map((l) => SOLICITED_NA.exec(l))
    .some((m) => m?.[1] === target.mac && m[2] === solicitor && m[3] === target.ip);
  return { states, final, solicitor, answered, capture };
}
