/**
 * Turns a bound pod into something that runs (network namespace, routes, a server on its ports)
 * and back, recording each pod so that a restarted agent can adopt or remove it. Which pod, node
 * and address is decided by the agent; this only does it.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { LabNode } from "./lab-nodes.js";
import { hostVethName, nodeNetnsName, podNetnsName } from "./names.js";
import { addressesAt, gatewayAddresses, type PodCidrs } from "./pod-addresses.js";
import type { PodNetworks } from "./pod-networks.js";
import { servedPorts } from "./pod-plan.js";
import type { PodRecord, PodRecords } from "./pod-records.js";
import type { PodServers } from "./pod-servers.js";

export interface Placement {
  readonly key: string;
  readonly hash: string;
  readonly node: LabNode;
  /** Absent for hostNetwork pods, which get the node's addresses and nothing else. */
  readonly address?: { readonly cidrs: PodCidrs; readonly index: number };
}

const planOf = (hash: string, node: string) => ({
  netns: podNetnsName(hash),
  nodeNetns: nodeNetnsName(node),
  hostVeth: hostVethName(hash),
});

export class PodRealiser {
  constructor(
    private readonly networks: PodNetworks,
    private readonly servers: PodServers,
    private readonly records: PodRecords,
  ) {}

  async realise(pod: V1Pod, at: Placement, now: Date): Promise<PodRecord> {
    const base = {
      key: at.key,
      uid: pod.metadata?.uid ?? "",
      hash: at.hash,
      node: at.node.name,
      hostIPs: at.node.internalIPs,
      startedAt: now.toISOString(),
    };
    if (!at.address) {
      const record: PodRecord = { ...base, hostNetwork: true, podIPs: at.node.internalIPs };
      await this.records.save(record);
      return record;
    }
    const { cidrs, index } = at.address;
    const podIPs = addressesAt(cidrs, index);
    const plan = { ...planOf(at.hash, at.node.name), podIPs, gateways: gatewayAddresses(cidrs) };
    await this.networks.create(plan);
    try {
      const pid = await this.startServer(pod, base);
      const record: PodRecord = { ...base, hostNetwork: false, index, podIPs, ...pid };
      await this.records.save(record);
      return record;
    } catch (e) {
      await this.networks.remove(plan);
      throw e;
    }
  }

  /** Starts the server again when its process is gone (the "container" restarts). */
  async ensureServer(pod: V1Pod, record: PodRecord): Promise<PodRecord> {
    if (record.hostNetwork || record.pid === undefined || this.servers.isServer(record.pid)) {
      return record;
    }
    const { pid } = await this.startServer(pod, record);
    const updated: PodRecord = { ...record, ...(pid === undefined ? {} : { pid }) };
    await this.records.save(updated);
    return updated;
  }

  private async startServer(
    pod: V1Pod,
    r: Pick<PodRecord, "hash" | "node">,
  ): Promise<{ pid?: number }> {
    const ports = servedPorts(pod);
    if (ports.length === 0) return {};
    const pid = await this.servers.start({
      netns: podNetnsName(r.hash),
      pod: pod.metadata?.name ?? "",
      node: r.node,
      ports: ports.map((p) => `${p.port}/${p.protocol}`),
      logPath: this.records.logPath(r.hash),
    });
    return { pid };
  }

  /** Stops the server and removes the namespace, veth and record; idempotent. */
  async teardown(record: PodRecord): Promise<void> {
    if (record.pid !== undefined) await this.servers.stop(record.pid);
    if (!record.hostNetwork) await this.networks.remove(planOf(record.hash, record.node));
    await this.records.remove(record.hash);
  }

  /** A pod namespace nobody recorded (the agent died half-way): stop its servers, remove it. */
  async removeOrphan(netns: string): Promise<void> {
    for (const pid of await this.networks.pids(netns)) await this.servers.stop(pid);
    await this.networks.removeNamespace(netns);
  }
}
