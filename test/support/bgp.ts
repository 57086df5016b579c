/**
 * BGP lab helpers (test/lab/bgp.sh): the upstream router's view (kernel next hops, FRR's BGP
 * table) and the client behind it, `ironlb-ext`, which reaches Service IPs only through the
 * routes the nodes announce.
 */
import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { apply, namespacePoolYaml, removeNamespacePool, setNodeLink } from "./e2e.js";
import { labDir, repoRoot, type ControlPlane } from "./lab.js";
import { longestFailedStretch, startRequestLoop, type Sample } from "./request-loop.js";

const run = promisify(execFile);

export const EXT_NS = "ironlb-ext";
export const ROUTER_NS = "ironlb-router";
export const EXT_IP = "198.18.200.100";
/** Addresses announced only by BGP: outside the L2 segment, so only ironlb-ext reaches them. */
export const BGP_RANGE = "198.18.100.0/24";

/** The gateways in `ip route show PREFIX` output, sorted (one line, or one per `nexthop`). */
export function parseNextHops(ipRouteOutput: string): string[] {
  return [...ipRouteOutput.matchAll(/\bvia (?:inet6? )?([0-9a-f.:]+)/g)]
    .map((m) => m[1] ?? "")
    .sort();
}

/** The lab node (node1..3) a lab node address stands for: 198.18.0.1N or its pod gateway 198.19.N.1. */
export function nodeOfAddress(address: string): string | undefined {
  const m = /^198\.18\.0\.1([1-9])$/.exec(address) ?? /^198\.19\.([1-9])\.1$/.exec(address);
  return m ? `node${m[1]}` : undefined;
}

/**
 * Which node forwarded a request, from the pod's answer (`... client=ADDR:PORT ...`): with
 * `externalTrafficPolicy: Cluster` kube-proxy masquerades to the forwarding node's address on the
 * way out (eth0 for a pod elsewhere, the pod gateway for a pod on that node).
 */
export function forwardingNode(answer: string | undefined): string | undefined {
  const client = /client=(\d+\.\d+\.\d+\.\d+):\d+/.exec(answer ?? "")?.[1];
  return client === undefined ? undefined : nodeOfAddress(client);
}

/** The router's kernel next hops for `ip` (a /32 route learned by BGP). */
export function routerNextHops(ip: string): string[] {
  const out = execFileSync("ip", ["-n", ROUTER_NS, "route", "show", `${ip}/32`], {
    encoding: "utf8",
  });
  return parseNextHops(out);
}

/** Runs vtysh commands against the router's FRR. */
export function routerVtysh(command: string): string {
  return execFileSync("vtysh", ["--vty_socket", join(labDir, "frr/router/run"), "-c", command], {
    encoding: "utf8",
    timeout: 10_000,
  });
}

export interface BgpPath {
  readonly nexthops?: readonly { readonly ip?: string }[];
  readonly locPrf?: number;
  readonly community?: { readonly string?: string };
  readonly multipath?: boolean;
  /** Kept by graceful restart while the announcing node's BGP is away. */
  readonly stale?: boolean;
}

/** The router's BGP paths for `ip`/32 (`show bgp ipv4 unicast ... json`); none when unknown. */
export function routerPaths(ip: string): BgpPath[] {
  const out = routerVtysh(`show bgp ipv4 unicast ${ip}/32 json`);
  return (JSON.parse(out) as { paths?: BgpPath[] }).paths ?? [];
}

/** Established-connection counts per node address, from the router's neighbor table. */
export function routerSessions(): Map<string, { state: string; established: number }> {
  const out = routerVtysh("show bgp neighbors json");
  const json = JSON.parse(out) as Record<
    string,
    { bgpState?: string; connectionsEstablished?: number }
  >;
  return new Map(
    Object.entries(json).map(([peer, n]) => [
      peer,
      { state: n.bgpState ?? "?", established: n.connectionsEstablished ?? 0 },
    ]),
  );
}

/** One HTTP GET from ironlb-ext; the pod's answer line, or undefined on failure. */
export async function curlFromExt(url: string, timeoutS = 2): Promise<string | undefined> {
  try {
    const { stdout } = await run("ip", [
      ...["netns", "exec", EXT_NS, "curl", "-sS", "--max-time", String(timeoutS), url],
    ]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/**
 * An IPAddressPool only Services of `namespace` may use, announced by a BGPAdvertisement (both
 * named `pool`; `advertisement` adds lines to its spec, e.g. `  localPref: 150`). The BGPPeer is
 * the lab's (test/lab/bgp-peers.yaml).
 */
export function applyBgpPool(cp: ControlPlane, spec: BgpPoolSpec): void {
  cp.ensureNamespace(spec.namespace);
  apply(cp, namespacePoolYaml(spec, "BGPAdvertisement", spec.advertisement));
}

export interface BgpPoolSpec {
  readonly namespace: string;
  readonly pool: string;
  readonly addresses: readonly string[];
  /** YAML lines added to the BGPAdvertisement's spec, indented by two spaces. */
  readonly advertisement?: string;
}

/** Deletes the namespace, then the pool and its BGPAdvertisement; reports failures, never throws. */
export const removeBgpPool = (cp: ControlPlane, namespace: string, pool: string): void =>
  removeNamespacePool(cp, namespace, pool, "bgpadvertisement");

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls the router's next hops for `ip` every 20 ms until `done` holds: ms it took, or Infinity. */
export async function msUntilNextHops(
  ip: string,
  done: (hops: readonly string[]) => boolean,
  limitMs: number,
): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if (done(routerNextHops(ip))) return performance.now() - t0;
    await sleep(20);
  }
  return Infinity;
}

/** When the last failed request after `faultAt` ended, in ms after it; 0 when none failed. */
export function lastFailureAfter(samples: readonly Sample[], faultAt: number): number {
  const failed = samples.filter((s) => !s.ok && s.at > faultAt).map((s) => s.at - faultAt);
  return failed.length === 0 ? 0 : Math.max(...failed);
}

export interface LinkDownResult {
  readonly node: string;
  /** Link down to the node's path gone from the router's kernel (BFD, then BGP, then zebra). */
  readonly withdrawMs: number;
  /** Link down to the end of the client's last failed request. */
  readonly lastFailureMs: number;
  /** Longest stretch of failed requests (see `longestFailedStretch`). */
  readonly failedStretchMs: number;
  readonly requests: number;
  readonly failures: number;
}

/**
 * Pulls `node`'s cable while ironlb-ext sends a request to `url` every ~50 ms (each a new
 * connection, 200 ms allowed), measures how long the router keeps the node's path for `ip` and
 * until the client stops failing, then plugs the cable back (also on failure). The caller waits
 * for the path to come back.
 */
export async function measureLinkDown(
  url: string,
  ip: string,
  node: string,
): Promise<LinkDownResult> {
  const address = `198.18.0.1${node.replace("node", "")}`;
  const loop = startRequestLoop(url, EXT_NS);
  try {
    await sleep(1000);
    const faultAt = Date.now();
    setNodeLink(node, false);
    const withdrawMs = await msUntilNextHops(ip, (h) => !h.includes(address), 5000);
    await sleep(1500);
    const after = loop.samples.filter((s) => s.at > faultAt);
    return {
      node,
      withdrawMs: Math.round(withdrawMs),
      lastFailureMs: lastFailureAfter(loop.samples, faultAt),
      failedStretchMs: longestFailedStretch(loop.samples, faultAt, Date.now() - 500),
      requests: after.length,
      failures: after.filter((s) => !s.ok).length,
    };
  } finally {
    loop.stop();
    setNodeLink(node, true);
  }
}

/** `make lab-kill WHAT=frr-NAME SIGNAL=...` / `make lab-restart WHAT=frr-NAME` (test/lab/bgp.sh). */
export function frrFault(verb: "kill" | "restart", name: string, signal = "TERM"): void {
  execFileSync("bash", [join(repoRoot, "test/lab/lab.sh"), verb, `frr-${name}`, signal], {
    stdio: "pipe",
    timeout: 60_000,
  });
}
