/**
 * Watches the Services of one namespace and records, per Service, when the watch first showed
 * it, its ingress IPs and its pool annotation (`performance.now()` in this process), plus any
 * write that removed IPs (another controller interfering).
 */
import { Watch, type KubeConfig, type V1Service } from "@kubernetes/client-node";
import { ALLOCATED_FROM_POOL } from "../../lib/api/metallb.js";

export interface ServiceTimeline {
  addedAt?: number;
  ingressAt?: number;
  annotatedAt?: number;
  ips: string[];
  /** MODIFIED events seen for this Service. */
  modified: number;
}

export class ServiceWatch {
  readonly services = new Map<string, ServiceTimeline>();
  /** Services whose IPs were taken away after they had them. */
  readonly ingressRemoved = new Set<string>();
  /** Times the watch had to be opened again. */
  reopened = 0;
  private abort: AbortController | undefined;
  private resourceVersion = "";
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
  ) {}

  /** Resolves once the watch is open, so changes made afterwards are all seen. */
  async start(): Promise<void> {
    const query: Record<string, string | boolean> = { allowWatchBookmarks: true };
    if (this.resourceVersion) query.resourceVersion = this.resourceVersion;
    this.abort = await new Watch(this.kc).watch(
      `/api/v1/namespaces/${this.namespace}/services`,
      query,
      (type: string, obj: V1Service) => this.onEvent(type, obj),
      () => this.onDone(),
    );
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  /** Services whose ingress the watch has shown, out of `names`. */
  countAssigned(names: readonly string[]): number {
    return names.filter((n) => this.services.get(n)?.ingressAt !== undefined).length;
  }

  /** Sum of MODIFIED events over all Services. */
  totalModified(): number {
    let n = 0;
    for (const s of this.services.values()) n += s.modified;
    return n;
  }

  private onEvent(type: string, svc: V1Service): void {
    const now = performance.now();
    if (type === "ERROR") {
      this.resourceVersion = ""; // too old (410): the next watch starts from now
      return;
    }
    this.resourceVersion = svc.metadata?.resourceVersion ?? this.resourceVersion;
    const name = svc.metadata?.name;
    if (type === "BOOKMARK" || type === "DELETED" || name === undefined) return;
    let t = this.services.get(name);
    if (!t) this.services.set(name, (t = { ips: [], modified: 0 }));
    t.addedAt ??= now;
    if (type === "MODIFIED") t.modified++;
    const ips = (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
    if (ips.length > 0) t.ingressAt ??= now;
    else if (t.ips.length > 0) this.ingressRemoved.add(name);
    t.ips = ips;
    if (svc.metadata?.annotations?.[ALLOCATED_FROM_POOL] !== undefined) t.annotatedAt ??= now;
  }

  private onDone(): void {
    if (this.stopped) return;
    this.reopened++;
    this.start().catch((e: unknown) => {
      process.stderr.write(`service watch could not be reopened: ${String(e)}\n`);
    });
  }
}
