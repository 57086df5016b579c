/**
 * The controller's wiring: reflectors over Services, pools, L2Advertisements and Namespaces feed
 * the ServiceLoop (keyed work queue, pure decisions in core/reconcile.ts, writes through the
 * K8sClusterWriter). The startup gate opens once every reflector has synced; pool edits are
 * coalesced and applied between decisions. The term also publishes the speakers' membership
 * (member-publisher.ts).
 */
import type { V1ConfigMap, V1Lease, V1Namespace, V1Service } from "@kubernetes/client-node";
import type { ApiClient } from "../../lib/adapters/kube/client.js";
import {
  type IPAddressPool,
  type L2Advertisement,
  METALLB_API_VERSION,
  paths,
  toL2AdvertisementSpec,
} from "../../lib/api/metallb.js";
import { k8sSource } from "../../lib/adapters/k8s-source.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { objectKey, Reflector } from "../../lib/adapters/reflector.js";
import { advertisesPool, type L2AdvertisementSpec } from "../../lib/core/l2-advertisement.js";
import { type BGPAdvertisement, bgpPaths } from "../../lib/api/bgp.js";
import { MEMBERS_NAME, membersPath } from "../../lib/api/speaker-members.js";
import { buildPoolSet, type PoolSet } from "../core/pool-set.js";
import type { AdvertisementKind } from "../core/pool-status.js";
import type { ControllerMetrics } from "./metrics.js";
import type { K8sClusterWriter } from "./k8s-cluster-writer.js";
import { K8sMembersStore } from "./k8s-members-store.js";
import { MemberPublisher } from "./member-publisher.js";
import { slimService, toNamespaceInfo, toPoolSpec, toServiceView } from "./mapping.js";
import { PoolStatusSync } from "./pool-status-sync.js";
import { ServiceLoop } from "./service-loop.js";

export interface ControllerOptions {
  readonly kc: ApiClient;
  readonly namespace: string;
  readonly lbClass: string;
  readonly log: Logger;
  readonly writer: K8sClusterWriter;
  readonly metrics: ControllerMetrics;
  /** Services reconciled in parallel. */
  readonly concurrency?: number;
}

/**
 * The controller's list retries wait at most this long. With client-go's 30 s, Services created
 * after a 60 s apiserver outage waited ~29 s for an IP (test/e2e/api-outage.test.ts); one replica
 * listing four kinds every 5 s while the apiserver is away costs next to nothing.
 */
const LIST_RETRY_MAX_MS = 5_000;
/** The speakers' Leases (speaker/adapters/lease-keeper.ts labels them), not the leader's. */
const SPEAKER_LEASES = "app.kubernetes.io/name=ironlb,app.kubernetes.io/component=speaker";

export class Controller {
  readonly services: Reflector<V1Service>;
  readonly pools: Reflector<IPAddressPool>;
  readonly advertisements: Reflector<L2Advertisement>;
  readonly bgpAdvertisements: Reflector<BGPAdvertisement>;
  readonly namespaces: Reflector<V1Namespace>;
  private readonly loop: ServiceLoop;
  private poolSet: PoolSet = buildPoolSet([], []);
  private poolsQueued = false;
  private readonly poolStatus: PoolStatusSync;
  /** The speakers' membership object (docs/failover.md): written by the leader only. */
  private readonly members: MemberPublisher;

  constructor(private readonly opts: ControllerOptions) {
    const { kc, namespace, log } = opts;
    opts.metrics.trackPending(() => this.loop.pending);
    const reflect = <T extends { metadata?: object }>(
      name: string,
      ref: Parameters<typeof k8sSource>[1],
      onEvent: (obj: T) => void,
      slim?: (obj: T) => T,
    ): Reflector<T & { apiVersion?: string; kind?: string }> =>
      new Reflector({
        name,
        source: k8sSource(kc, ref),
        log: log.child({ op: "reflector" }),
        maxBackoffMs: LIST_RETRY_MAX_MS,
        handler: { onEvent: (_t, obj) => onEvent(obj), onSynced: () => this.maybeOpenGate() },
        ...(slim ? { slim } : {}),
      });
    const inNamespace = (kind: string, path: string) => ({
      ...{ apiVersion: METALLB_API_VERSION, kind, path, namespace },
    });
    this.services = reflect<V1Service>(
      "services",
      { apiVersion: "v1", kind: "Service", path: paths.services },
      (s) => this.loop.changed(objectKey(s)),
      slimService,
    );
    const poolsChanged = (): void => this.markPools();
    this.pools = reflect<IPAddressPool>(
      "ipaddresspools",
      inNamespace("IPAddressPool", paths.pools(namespace)),
      poolsChanged,
    );
    this.advertisements = reflect<L2Advertisement>(
      "l2advertisements",
      inNamespace("L2Advertisement", paths.l2Advertisements(namespace)),
      poolsChanged,
    );
    // A pool announced only over BGP is advertised too (no NotAdvertised warning).
    this.bgpAdvertisements = reflect<BGPAdvertisement>(
      "bgpadvertisements",
      inNamespace("BGPAdvertisement", bgpPaths.advertisements(namespace)),
      poolsChanged,
    );
    this.namespaces = reflect<V1Namespace>(
      "namespaces",
      { apiVersion: "v1", kind: "Namespace", path: paths.namespaces },
      poolsChanged,
    );
    this.loop = new ServiceLoop({
      lbClass: opts.lbClass,
      writer: opts.writer,
      log: log.child({ op: "reconcile" }),
      service: (key) => {
        const svc = this.services.get(key);
        return svc && toServiceView(svc);
      },
      advertised: (pool) => this.advertisedBy(pool, this.poolLabels(pool)).length > 0,
      ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }),
      onAllocations: () => this.allocationsChanged(),
      onOutcome: (kind, ms) => opts.metrics.reconciled(kind, ms),
    });
    this.poolStatus = new PoolStatusSync({
      namespace,
      writer: opts.writer,
      log: log.child({ op: "pool-status" }),
      pools: () => this.pools.items(),
      poolSet: () => this.poolSet,
      allocator: this.loop.allocator,
      advertised: (name, labels) => this.advertisedBy(name, labels),
    });
    this.members = new MemberPublisher({
      leases: k8sSource<V1Lease>(kc, {
        ...{ apiVersion: "coordination.k8s.io/v1", kind: "Lease", path: paths.leases(namespace) },
        ...{ namespace, labelSelector: SPEAKER_LEASES },
      }),
      object: k8sSource<V1ConfigMap>(kc, {
        ...{ apiVersion: "v1", kind: "ConfigMap", path: membersPath(namespace), namespace },
        fieldSelector: `metadata.name=${MEMBERS_NAME}`,
      }),
      store: new K8sMembersStore(kc, namespace),
      log,
    });
  }

  start(): void {
    for (const r of this.reflectors()) r.start();
    this.members.start();
  }

  stop(): void {
    for (const r of this.reflectors()) r.stop();
    this.members.stop();
    this.poolStatus.stop();
    void this.loop.stop();
  }

  /** Ready once the startup gate is open and the first full pass is written. */
  ready(): true | string {
    return this.loop.ready();
  }

  private reflectors() {
    return [
      this.namespaces,
      this.pools,
      this.advertisements,
      this.bgpAdvertisements,
      this.services,
    ] as const;
  }

  /** Pool, L2Advertisement or Namespace edits: rebuilt once per burst, between decisions. */
  private markPools(): void {
    if (this.poolsQueued || !this.loop.open) return;
    this.poolsQueued = true;
    setImmediate(() => {
      this.poolsQueued = false;
      this.loop.setPools(this.buildPools());
    });
  }

  private buildPools(): PoolSet {
    this.poolSet = buildPoolSet(
      this.pools.items().map(toPoolSpec),
      this.namespaces.items().map(toNamespaceInfo),
    );
    return this.poolSet;
  }

  private maybeOpenGate(): void {
    if (this.loop.open || !this.reflectors().every((r) => r.synced)) return;
    const services = this.services.items().map((s) => [objectKey(s), toServiceView(s)] as const);
    const restored = this.loop.openGate(this.buildPools(), services);
    this.opts.log.info("startup gate open: existing assignments restored", {
      services: services.length,
      restored,
    });
  }

  private allocationsChanged(): void {
    this.poolStatus.schedule();
    this.opts.metrics.poolsChanged(this.poolSet, this.loop.allocator);
  }

  /** The kinds of advertisement selecting the pool (none: nobody announces its IPs). */
  private advertisedBy(pool: string, labels: Record<string, string>): AdvertisementKind[] {
    const selects = (a: L2AdvertisementSpec): boolean => advertisesPool(a, pool, labels);
    const kinds: AdvertisementKind[] = [];
    if (this.advertisements.items().map(toL2AdvertisementSpec).some(selects))
      kinds.push("L2Advertisement");
    if (this.bgpAdvertisements.items().some((a) => selects({ ...a.spec, name: "" })))
      kinds.push("BGPAdvertisement");
    return kinds;
  }

  private poolLabels(name: string): Record<string, string> {
    return this.pools.items().find((p) => p.metadata?.name === name)?.metadata?.labels ?? {};
  }
}
