/**
 * End-to-end helpers: the whole lab (control plane, nodes, kube-proxy, lab agent, IronLB) and the
 * client namespace's view of it (curl, neighbour table), all through the real kernel.
 */
import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { V1Service } from "@kubernetes/client-node";
import { repoRoot, useControlPlane, type ControlPlane } from "./lab.js";
import { eventually } from "./processes.js";

const run = promisify(execFile);

export const CLIENT_NS = "ironlb-client";
export const NODES = ["node1", "node2", "node3"] as const;

/** Control plane, nodes and IronLB, started if needed (`test/lab/lab.sh up` is idempotent). */
export function useLab(): ControlPlane {
  execFileSync("bash", [join(repoRoot, "test/lab/lab.sh"), "up"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return useControlPlane();
}

/**
 * Throws, naming the component and quoting the end of its log, when an IronLB process is not
 * running: called after each e2e test, so a crash is a failure, not something the next test's
 * `useLab()` quietly restarts.
 */
export function assertIronlbRunning(): void {
  try {
    labCommand(["status"]);
  } catch (e) {
    const out = String((e as { stdout?: string }).stdout ?? "");
    const stopped = out
      .split("\n")
      .filter((l) => l.includes("stopped"))
      .map((l) => l.split(/\s+/)[0] ?? "");
    const tails = stopped.map((name) => {
      let log = "";
      try {
        log = execFileSync("tail", ["-n", "5", join(repoRoot, ".lab/logs", `${name}.log`)], {
          encoding: "utf8",
        });
      } catch {
        log = "(no log)";
      }
      return `--- ${name} (last lines of .lab/logs/${name}.log)\n${log}`;
    });
    throw new Error(`IronLB processes died during the test:\n${out}${tails.join("\n")}`, {
      cause: e,
    });
  }
}

/** One HTTP GET from the client namespace; the pod's answer line, or undefined on failure. */
export async function curlFromClient(url: string, timeoutS = 2): Promise<string | undefined> {
  try {
    const { stdout } = await run("ip", [
      "netns",
      "exec",
      CLIENT_NS,
      "curl",
      "-sS",
      "-g",
      "--max-time",
      String(timeoutS),
      url,
    ]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

export const podOf = (answer: string | undefined): string | undefined =>
  /pod=(\S+)/.exec(answer ?? "")?.[1];
export const clientOf = (answer: string | undefined): string | undefined =>
  /client=(\S+)/.exec(answer ?? "")?.[1];
export const nodeOf = (answer: string | undefined): string | undefined =>
  /node=(\S+)/.exec(answer ?? "")?.[1];

export const urlOf = (ip: string, port: number): string =>
  ip.includes(":") ? `http://[${ip}]:${port}/` : `http://${ip}:${port}/`;

/** The MACs the client's neighbour table holds for `ip` (REACHABLE, STALE, ... but not FAILED). */
export function clientNeighbourMacs(ip: string): string[] {
  const out = execFileSync("ip", ["netns", "exec", CLIENT_NS, "ip", "neigh", "show", ip], {
    encoding: "utf8",
  });
  return [...out.matchAll(/lladdr ([0-9a-f:]{17})/g)].map((m) => m[1] ?? "");
}

/**
 * MACs that answered one ARP request for `ip` from the client within `waitS` seconds (arping
 * waits the whole time, so a second answerer shows up too); empty when nobody answered.
 */
export async function arpAnswerers(ip: string, waitS = 0.3): Promise<string[]> {
  const args = ["netns", "exec", CLIENT_NS, "arping", "-c", "1", "-w", String(waitS)];
  const { stdout } = await run("ip", [...args, "-I", "eth0", ip]).catch(
    (e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }), // exit 1: no answer
  );
  const macs = [...stdout.matchAll(/bytes from ([0-9a-f:]{17})/gi)].map((m) => m[1] ?? "");
  return [...new Set(macs.map((m) => m.toLowerCase()))];
}

/**
 * The MAC the client's kernel resolves `ip` to by Neighbor Discovery, afresh (the entry is
 * flushed first; one ping makes the kernel solicit), or none. Unlike `arpAnswerers` it shows one
 * answer only, the one the kernel kept.
 */
export async function ndpResolvedMacs(ip: string): Promise<string[]> {
  await run("ip", ["-n", CLIENT_NS, "neigh", "flush", "to", ip]);
  await run("ip", ["netns", "exec", CLIENT_NS, "ping", "-6", "-c", "1", "-W", "1", ip]).catch(
    () => undefined, // no echo reply needed: the solicitation is what counts
  );
  return clientNeighbourMacs(ip);
}

/** `arpAnswerers` or `ndpResolvedMacs`, by the address family of `ip`. */
export const l2Answerers = (ip: string): Promise<string[]> =>
  ip.includes(":") ? ndpResolvedMacs(ip) : arpAnswerers(ip);

export function nodeMac(node: string): string {
  return execFileSync(
    "ip",
    ["netns", "exec", `ironlb-${node}`, "cat", "/sys/class/net/eth0/address"],
    {
      encoding: "utf8",
    },
  ).trim();
}

/** The node whose eth0 MAC the client resolved `ip` to, after one request. */
export function announcingNode(ip: string): string | undefined {
  const macs = clientNeighbourMacs(ip);
  return NODES.find((n) => macs.includes(nodeMac(n)));
}

export function ingressIps(svc: V1Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
}

export async function waitForIngress(
  cp: ControlPlane,
  namespace: string,
  name: string,
  count = 1,
): Promise<string[]> {
  let ips: string[] = [];
  await eventually(`${count} ingress IP(s) on ${namespace}/${name}`, async () => {
    ips = ingressIps(await cp.core.readNamespacedService({ name, namespace }));
    return ips.length >= count;
  });
  return ips;
}

/** Waits until `url` answers from the client; a timeout says what the lab looked like. */
export async function waitReachable(url: string, timeoutMs = 20_000): Promise<string> {
  let answer: string | undefined;
  try {
    await eventually(
      `${url} answering from the client`,
      async () => (answer = await curlFromClient(url, 1)) !== undefined,
      timeoutMs,
    );
  } catch (e) {
    const ip = new URL(url).hostname.replace(/^\[|\]$/g, "");
    throw new Error(`${(e as Error).message}\n${await labSnapshot(ip)}`, { cause: e });
  }
  return answer ?? "";
}

/**
 * What a person would look at when a VIP does not answer: who answers ARP/NDP for it, the
 * client's neighbour entry, the Services, EndpointSlices, Pods and ServiceL2Statuses.
 */
export async function labSnapshot(ip: string): Promise<string> {
  const section = async (title: string, f: () => string | Promise<string>): Promise<string> => {
    try {
      return `--- ${title}\n${(await f()).trimEnd()}`;
    } catch (e) {
      return `--- ${title}\n(failed: ${(e as Error).message.split("\n")[0] ?? ""})`;
    }
  };
  const cp = useControlPlane();
  const get = (what: string) => () => cp.kubectl(["get", what, "-A", "-o", "wide"]);
  const parts = await Promise.all([
    section(`L2 answerers for ${ip}`, async () => (await l2Answerers(ip)).join(" ") || "none"),
    section("client neighbour entry", () => clientNeighbourMacs(ip).join(" ") || "none"),
    section("services", get("services")),
    section("endpointslices", get("endpointslices")),
    section("pods", get("pods")),
    section("servicel2statuses", get("servicel2statuses.metallb.io")),
  ]);
  return parts.join("\n");
}

export function labCommand(args: readonly string[]): string {
  return execFileSync("bash", [join(repoRoot, "test/lab/ironlb.sh"), ...args], {
    encoding: "utf8",
    stdio: "pipe",
  });
}

/**
 * Pulls or plugs a node's cable: the bridge-side end of its veth goes down or up, so the node's
 * eth0 loses carrier but keeps its addresses and routes, as with a real link failure.
 */
export function setNodeLink(node: string, up: boolean): void {
  execFileSync("ip", ["-n", "ironlb-cp", "link", "set", `v-${node}`, up ? "up" : "down"]);
}

/** Applies a manifest (YAML text) with kubectl. */
export const apply = (cp: ControlPlane, yaml: string): string =>
  cp.kubectl(["apply", "-f", "-"], yaml);

/** A Deployment of lab pods (the agent serves the pod's name on each containerPort). */
export function deploymentYaml(
  ns: string,
  name: string,
  replicas: number,
  nodeSelector?: Record<string, string>,
): string {
  const selector = nodeSelector ? `\n      nodeSelector: ${JSON.stringify(nodeSelector)}` : "";
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:${selector}
      containers:
        - {name: web, image: lab/web, ports: [{containerPort: 80}]}
`;
}

/**
 * An IPAddressPool that only Services of `namespace` may use, with its own advertisement (an
 * L2Advertisement, or a BGPAdvertisement with `extra` lines in its spec), both named `pool`, so a
 * test's addresses never mix with another test's.
 */
export function namespacePoolYaml(
  target: {
    readonly namespace: string;
    readonly pool: string;
    readonly addresses: readonly string[];
  },
  kind: "L2Advertisement" | "BGPAdvertisement" = "L2Advertisement",
  extra = "",
): string {
  const { namespace, pool, addresses } = target;
  return `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: ${pool}, namespace: metallb-system}
spec:
  addresses: ${JSON.stringify(addresses)}
  serviceAllocation: {namespaces: [${namespace}]}
---
apiVersion: metallb.io/v1beta1
kind: ${kind}
metadata: {name: ${pool}, namespace: metallb-system}
spec:
  ipAddressPools: [${pool}]
${extra}`;
}

/** `namespacePoolYaml` with an L2Advertisement, applied (the namespace created first). */
export function applyNamespacePool(
  cp: ControlPlane,
  namespace: string,
  pool: string,
  addresses: readonly string[],
): void {
  cp.ensureNamespace(namespace);
  apply(cp, namespacePoolYaml({ namespace, pool, addresses }));
}

/**
 * Deletes the namespace (its Services first, so their addresses and ServiceL2Status records go
 * before the pool does), then the pool and L2Advertisement of `applyNamespacePool`. Every step
 * runs; failures are reported, not thrown (it runs in `after`, also after a failed test).
 */
export function removeNamespacePool(
  cp: ControlPlane,
  namespace: string,
  pool: string,
  advertisement: "l2advertisement" | "bgpadvertisement" = "l2advertisement",
): void {
  for (const args of [
    ["delete", "namespace", namespace, "--timeout=90s"],
    ["delete", "-n", "metallb-system", `ipaddresspool/${pool}`, `${advertisement}/${pool}`],
  ]) {
    try {
      cp.kubectl([...args, "--ignore-not-found"]);
    } catch (e) {
      process.stderr.write(`# cleanup: kubectl ${args.join(" ")} failed: ${String(e)}\n`);
    }
  }
}
