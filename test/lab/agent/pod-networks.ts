/**
 * A pod's network: namespace `ironlb-pod-<hash>` joined to its node's namespace by a veth pair,
 * routed, no bridge. The node side (`veth<hash>`) carries the gateway addresses (index 1 of the
 * node's pod CIDRs, the same on every pod veth of that node) and a host route to the pod; the
 * pod side (`eth0`) carries the pod's /32 and /128 and default routes through the gateway. Runs
 * `ip` (batch mode, one call per namespace), as root.
 */
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { promisify } from "node:util";
import { POD_NETNS_PREFIX } from "./names.js";

export interface PodNetworkPlan {
  readonly netns: string;
  readonly nodeNetns: string;
  readonly hostVeth: string;
  /** IPv4 first, one per family. */
  readonly podIPs: readonly string[];
  /** Same families and order as podIPs. */
  readonly gateways: readonly string[];
}

export type Exec = (cmd: string, args: readonly string[], input?: string) => Promise<string>;

const execFileP = promisify(execFile);

/** Runs a command, feeding `input` on stdin; rejects with the command's stderr in the message. */
export const execCommand: Exec = async (cmd, args, input) => {
  const child = execFileP(cmd, [...args], { encoding: "utf8", timeout: 15_000 });
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    return (await child).stdout;
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw new Error(`${cmd} ${args.join(" ")}: ${stderr || (e as Error).message}`, { cause: e });
  }
};

const isV6 = (ip: string): boolean => ip.includes(":");
const hostPrefix = (ip: string): string => (isV6(ip) ? `${ip}/128` : `${ip}/32`);

function nodeSide(plan: PodNetworkPlan): string {
  const v = plan.hostVeth;
  const lines = [`link add ${v} type veth peer name eth0 netns ${plan.netns}`];
  for (const gw of plan.gateways) {
    lines.push(`addr add ${hostPrefix(gw)} dev ${v}${isV6(gw) ? " nodad" : ""}`);
  }
  lines.push(`link set ${v} up`);
  for (const ip of plan.podIPs) lines.push(`route replace ${hostPrefix(ip)} dev ${v}`);
  return lines.join("\n") + "\n";
}

function podSide(plan: PodNetworkPlan): string {
  const lines = ["link set lo up"];
  for (const ip of plan.podIPs) {
    lines.push(`addr add ${hostPrefix(ip)} dev eth0${isV6(ip) ? " nodad" : ""}`);
  }
  lines.push("link set eth0 up");
  for (const gw of plan.gateways) {
    lines.push(`route add ${hostPrefix(gw)} dev eth0 scope link`);
    lines.push(`route add ${isV6(gw) ? "::/0" : "0.0.0.0/0"} via ${gw} dev eth0`);
  }
  return lines.join("\n") + "\n";
}

export class PodNetworks {
  constructor(private readonly exec: Exec = execCommand) {}

  async create(plan: PodNetworkPlan): Promise<void> {
    await this.exec("ip", ["netns", "add", plan.netns]);
    try {
      // Before eth0 exists, so it never runs duplicate address detection (no 1-2 s delay).
      await this.exec("ip", [
        ...["netns", "exec", plan.netns, "sysctl", "-qw"],
        ...["net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"],
      ]);
      await this.exec("ip", ["-n", plan.nodeNetns, "-batch", "-"], nodeSide(plan));
      await this.exec("ip", ["-n", plan.netns, "-batch", "-"], podSide(plan));
    } catch (e) {
      await this.remove(plan);
      throw e;
    }
  }

  /** Removes the pod's namespace and veth; what is already gone is fine. */
  async remove(plan: Pick<PodNetworkPlan, "netns" | "nodeNetns" | "hostVeth">): Promise<void> {
    await this.exec("ip", ["-n", plan.nodeNetns, "link", "del", plan.hostVeth]).catch(() => "");
    await this.removeNamespace(plan.netns);
  }

  /** Deleting the namespace also deletes its veth pair, once no process holds it. */
  async removeNamespace(netns: string): Promise<void> {
    await this.exec("ip", ["netns", "delete", netns]).catch(() => "");
  }

  /** Names of every pod network namespace on the machine. */
  async list(): Promise<string[]> {
    const names = await readdir("/run/netns").catch(() => [] as string[]);
    return names.filter((n) => n.startsWith(POD_NETNS_PREFIX));
  }

  /** PIDs of the processes inside a namespace. */
  async pids(netns: string): Promise<number[]> {
    const out = await this.exec("ip", ["netns", "pids", netns]).catch(() => "");
    return out.split(/\s+/).filter(Boolean).map(Number);
  }
}
