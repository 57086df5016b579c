/**
 * The lab agent's loop: scheduler and kubelet for the lab's nodes. Reflectors on Pods and Nodes
 * feed one keyed work queue; for each pod it decides (pure helpers) and acts through the
 * realiser and the API:
 *   unscheduled               -> bind to the least-loaded matching node
 *   bound to a lab node       -> network namespace + server, then pods/status Running + Ready
 *   deletionTimestamp / gone  -> stop server, remove namespace, finalize the deletion (grace 0);
 *                                with a preStop sleep, only once it is over (the pod serves on)
 * Pods on other nodes, or meant for another scheduler, are left alone.
 */
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import type { ApiClient } from "../../../lib/adapters/kube/client.js";
import { k8sSource } from "../../../lib/adapters/k8s-source.js";
import type { Logger } from "../../../lib/adapters/logger.js";
import { objectKey, Reflector } from "../../../lib/adapters/reflector.js";
import type { KubeApi, PodRef } from "./kube-api.js";
import { toLabNode, type LabNode } from "./lab-nodes.js";
import { podHash, podNetnsName } from "./names.js";
import { chooseNode } from "./node-choice.js";
import { freeIndex, indexOf, parsePodCidrs } from "./pod-addresses.js";
import type { PodNetworks } from "./pod-networks.js";
import {
  isTerminal,
  runningStatus,
  servesUntil,
  showsRunning,
  wantsScheduling,
} from "./pod-plan.js";
import type { PodRealiser, Placement } from "./pod-realiser.js";
import type { PodRecord, PodRecords } from "./pod-records.js";
import { OK, WorkQueue } from "../../../lib/adapters/work-queue.js";

export interface AgentOptions {
  /** Lists and watches (IronLB's client); writes go through `api`. */
  readonly kc: ApiClient;
  readonly nodeNames: readonly string[];
  readonly api: KubeApi;
  readonly realiser: PodRealiser;
  readonly records: PodRecords;
  readonly networks: PodNetworks;
  readonly log: Logger;
  readonly concurrency: number;
  /** How often every running pod is checked again (a pod server that died is restarted). */
  readonly resyncMs?: number;
  readonly now?: () => Date;
}

const refOf = (pod: V1Pod): PodRef => ({
  namespace: pod.metadata?.namespace ?? "",
  name: pod.metadata?.name ?? "",
  uid: pod.metadata?.uid ?? "",
});

export class LabAgent {
  private readonly pods: Reflector<V1Pod>;
  private readonly nodes: Reflector<V1Node>;
  private readonly queue: WorkQueue;
  private readonly realised = new Map<string, PodRecord>();
  /** Pod index reserved by a realise in progress, per pod key. */
  private readonly reserved = new Map<string, { node: string; index: number }>();
  /** Bindings sent whose result the pod reflector has not shown yet (counted as load). */
  private readonly binding = new Map<string, string>();
  /** Why a pod could not be scheduled, logged once per reason. */
  private readonly unschedulable = new Map<string, string>();
  /** resourceVersion of the pod each status patch was made from. */
  private readonly patchedFrom = new Map<string, string>();
  private readonly now: () => Date;
  private readonly log: Logger;
  private resync: NodeJS.Timeout | undefined;

  constructor(private readonly opts: AgentOptions) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.log;
    const reflectorLog = opts.log.child({ op: "reflector" });
    this.pods = new Reflector<V1Pod>({
      name: "pods",
      source: k8sSource(opts.kc, { apiVersion: "v1", kind: "Pod", path: "/api/v1/pods" }),
      log: reflectorLog,
      handler: { onEvent: (_t, pod) => this.onPod(pod) },
    });
    this.nodes = new Reflector<V1Node>({
      name: "nodes",
      source: k8sSource(opts.kc, { apiVersion: "v1", kind: "Node", path: "/api/v1/nodes" }),
      log: reflectorLog,
      handler: { onEvent: () => this.pods.items().forEach((p) => this.queue.add(objectKey(p))) },
    });
    this.queue = new WorkQueue(
      async (key) => {
        await this.reconcile(key);
        return OK;
      },
      {
        concurrency: opts.concurrency,
        onRetry: (key, reason, attempt) =>
          this.log.warn("reconcile failed, retrying", { pod: key, attempt, err: reason }),
      },
    );
  }

  /** Adopts what a previous run left, starts watching; resolves once every pod was handled. */
  async start(): Promise<void> {
    await this.adopt();
    const synced = Promise.all([this.waitSynced(this.nodes), this.waitSynced(this.pods)]);
    this.nodes.start();
    this.pods.start();
    await synced;
    for (const key of this.realised.keys()) this.queue.add(key);
    for (const pod of this.pods.items()) this.queue.add(objectKey(pod));
    await this.queue.idle();
    this.resync = setInterval(() => {
      for (const key of this.realised.keys()) this.queue.add(key);
    }, this.opts.resyncMs ?? 10_000);
    this.resync.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.resync);
    this.pods.stop();
    this.nodes.stop();
    await this.queue.stop();
  }

  /** Number of pods this agent runs right now. */
  get running(): number {
    return this.realised.size;
  }

  private waitSynced(r: Reflector<V1Pod> | Reflector<V1Node>): Promise<void> {
    return new Promise((resolve) => {
      const poll = (): void => (r.synced ? resolve() : void setTimeout(poll, 50));
      poll();
    });
  }

  private async adopt(): Promise<void> {
    const records = await this.opts.records.load((file, why) =>
      this.log.warn("ignoring an unreadable pod record", { file, reason: why }),
    );
    const present = new Set(await this.opts.networks.list());
    for (const r of records) {
      if (r.hostNetwork || present.has(podNetnsName(r.hash))) {
        this.realised.set(r.key, r);
      } else {
        this.log.info("pod namespace vanished; will realise again", { pod: r.key });
        await this.opts.realiser.teardown(r);
      }
    }
    const known = new Set(records.map((r) => podNetnsName(r.hash)));
    for (const netns of present) {
      if (known.has(netns)) continue;
      this.log.info("removing a pod namespace nobody recorded", { netns });
      await this.opts.realiser.removeOrphan(netns);
    }
  }

  private onPod(pod: V1Pod): void {
    const key = objectKey(pod);
    if (pod.spec?.nodeName) this.binding.delete(key);
    this.queue.add(key);
  }

  private isLabNode(name: string | undefined): name is string {
    return name !== undefined && this.opts.nodeNames.includes(name);
  }

  private labNodes(): LabNode[] {
    return this.nodes
      .items()
      .map(toLabNode)
      .filter((n) => this.isLabNode(n.name));
  }

  private async reconcile(key: string): Promise<void> {
    const pod = this.pods.get(key);
    const record = this.realised.get(key);
    if (record && pod?.metadata?.uid === record.uid && this.drains(key, pod)) return;
    if (record && !this.stillRuns(record, pod)) await this.teardown(record);
    if (!pod) return this.forget(key);
    if (isTerminal(pod)) return;
    if (pod.metadata?.deletionTimestamp) return this.finalize(pod);
    if (wantsScheduling(pod)) return this.schedule(key, pod);
    const nodeName = pod.spec?.nodeName;
    if (this.isLabNode(nodeName)) await this.run(key, pod, nodeName);
  }

  /**
   * A pod being deleted whose preStop sleep is not over keeps serving (EndpointSlices show it
   * serving and terminating); it is looked at again when the sleep ends.
   */
  private drains(key: string, pod: V1Pod): boolean {
    const until = servesUntil(pod);
    const left = until ? until.getTime() - this.now().getTime() : 0;
    if (left <= 0) return false;
    setTimeout(() => this.queue.add(key), left + 10).unref();
    return true;
  }

  private forget(key: string): void {
    this.unschedulable.delete(key);
    this.patchedFrom.delete(key);
  }

  /** Realises the pod (once) and reports it Running + Ready. */
  private async run(key: string, pod: V1Pod, nodeName: string): Promise<void> {
    const current = this.realised.get(key) ?? (await this.realise(key, pod, nodeName));
    if (!current) return;
    const running = await this.opts.realiser.ensureServer(pod, current);
    this.realised.set(key, running);
    if (running.pid !== current.pid) {
      this.log.warn("pod server was gone; restarted it", { pod: key, pid: running.pid });
    }
    // Skip when the pod already shows it, or when our patch of this version is still on its way.
    const version = pod.metadata?.resourceVersion ?? "";
    if (showsRunning(pod, running.podIPs) || this.patchedFrom.get(key) === version) return;
    const status = runningStatus({
      pod,
      podIPs: running.podIPs,
      hostIPs: running.hostIPs,
      startedAt: new Date(running.startedAt),
      hash: running.hash,
    });
    if (await this.opts.api.patchStatus(refOf(pod), status)) {
      this.patchedFrom.set(key, version);
      this.log.info("pod running", { pod: key, node: running.node, ip: running.podIPs.join(",") });
    }
  }

  private stillRuns(record: PodRecord, pod: V1Pod | undefined): boolean {
    return (
      pod !== undefined &&
      pod.metadata?.uid === record.uid &&
      !pod.metadata.deletionTimestamp &&
      pod.spec?.nodeName === record.node &&
      !isTerminal(pod)
    );
  }

  private async teardown(record: PodRecord): Promise<void> {
    await this.opts.realiser.teardown(record);
    this.realised.delete(record.key);
    this.patchedFrom.delete(record.key);
    this.log.info("pod removed", { pod: record.key, node: record.node });
  }

  /**
   * A pod being deleted from a lab node is gone once its kubelet says so: the agent says so at
   * once. A grace period of 0 means that was done already (by us, or `kubectl delete --force`).
   */
  private async finalize(pod: V1Pod): Promise<void> {
    if (pod.metadata?.deletionGracePeriodSeconds === 0) return;
    if (!this.isLabNode(pod.spec?.nodeName)) return;
    await this.opts.api.finalizeDeletion(refOf(pod));
    this.log.info("pod deletion finalized", { pod: objectKey(pod) });
  }

  private load(): Map<string, number> {
    const load = new Map<string, number>();
    for (const pod of this.pods.items()) {
      const node = pod.spec?.nodeName ?? this.binding.get(objectKey(pod));
      if (!node || isTerminal(pod) || pod.metadata?.deletionTimestamp) continue;
      load.set(node, (load.get(node) ?? 0) + 1);
    }
    return load;
  }

  private async schedule(key: string, pod: V1Pod): Promise<void> {
    if (this.binding.has(key)) return;
    const choice = chooseNode(pod.spec ?? {}, this.labNodes(), this.load());
    if (!choice.ok) {
      if (this.unschedulable.get(key) !== choice.error) {
        this.log.info("pod stays pending", { pod: key, reason: choice.error });
      }
      this.unschedulable.set(key, choice.error);
      return;
    }
    this.unschedulable.delete(key);
    this.binding.set(key, choice.value);
    try {
      await this.opts.api.bind(refOf(pod), choice.value);
      this.log.info("pod bound", { pod: key, node: choice.value });
    } catch (e) {
      this.binding.delete(key);
      throw e;
    }
  }

  private placement(key: string, pod: V1Pod, node: LabNode): Placement | string {
    const hash = podHash(pod.metadata?.uid ?? key);
    if (pod.spec?.hostNetwork) return { key, hash, node };
    const cidrs = parsePodCidrs(node.podCidrs);
    if (!cidrs.ok) return `node ${node.name}: ${cidrs.error}`;
    const used = new Set<number>();
    for (const r of this.realised.values()) {
      if (r.node === node.name && r.index !== undefined) used.add(r.index);
    }
    for (const r of this.reserved.values()) if (r.node === node.name) used.add(r.index);
    const shown = pod.status?.podIP;
    const index = freeIndex(cidrs.value, used, shown ? indexOf(cidrs.value, shown) : undefined);
    if (index === undefined) return `node ${node.name} has no free pod address`;
    return { key, hash, node, address: { cidrs: cidrs.value, index } };
  }

  private async realise(key: string, pod: V1Pod, nodeName: string): Promise<PodRecord | undefined> {
    const node = this.labNodes().find((n) => n.name === nodeName);
    if (!node) {
      this.log.info("pod waits for its Node object", { pod: key, node: nodeName });
      return undefined;
    }
    const at = this.placement(key, pod, node);
    if (typeof at === "string") {
      this.log.warn("cannot run pod", { pod: key, reason: at });
      return undefined;
    }
    if (at.address) this.reserved.set(key, { node: nodeName, index: at.address.index });
    try {
      const record = await this.opts.realiser.realise(pod, at, this.now());
      this.realised.set(key, record);
      return record;
    } finally {
      this.reserved.delete(key);
    }
  }
}
