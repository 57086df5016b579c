/**
 * The speaker's caches: one reflector per kind it reads, each keeping the slim record made on
 * arrival (speaker-records.ts), never the whole object. They only tell the loop that something
 * changed (`onChange`); the loop reads them when it plans.
 */
import type {
  KubeConfig,
  KubernetesObject,
  V1EndpointSlice,
  V1Lease,
  V1Node,
  V1Service,
} from "@kubernetes/client-node";
import {
  type IPAddressPool,
  type L2Advertisement,
  METALLB_API_VERSION,
  paths,
  type ServiceL2Status,
} from "../../lib/api/metallb.js";
import { k8sSource, type ResourceRef } from "../../lib/adapters/k8s-source.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { type ListWatchSource, Reflector } from "../../lib/adapters/reflector.js";
import type { ClusterView } from "../core/announcements.js";
import type { StatusRecord } from "../core/status-plan.js";
import { clusterView, speakerLease } from "./cluster-view.js";
import {
  slimAdvertisement,
  slimEndpointSlice,
  slimL2Status,
  slimLease,
  slimNode,
  slimPool,
  slimService,
} from "./speaker-records.js";
import { readStatusRecord } from "./speaker-status.js";

/** Where a kind's list and watch come from (the API server; a fake in tests). */
export type SourceFor = (ref: ResourceRef) => ListWatchSource<KubernetesObject>;

export const apiSource =
  (kc: KubeConfig): SourceFor =>
  (ref) =>
    k8sSource(kc, ref);

export interface SpeakerCachesOptions {
  readonly source: SourceFor;
  readonly namespace: string;
  readonly log: Logger;
  /** Something changed that may change the plan (also: a cache finished a (re-)list). */
  readonly onChange: () => void;
  /** A Lease event; returns false when it cannot change the plan (a renewal). */
  readonly onLease: (type: string, lease: V1Lease) => boolean;
}

const m = METALLB_API_VERSION;

export class SpeakerCaches {
  private readonly all: Reflector<KubernetesObject>[] = [];
  readonly services: Reflector<V1Service>;
  private readonly slices: Reflector<V1EndpointSlice>;
  private readonly nodes: Reflector<V1Node>;
  private readonly pools: Reflector<IPAddressPool>;
  private readonly advertisements: Reflector<L2Advertisement>;
  readonly leases: Reflector<V1Lease>;
  private readonly statuses: Reflector<ServiceL2Status>;

  constructor(private readonly opts: SpeakerCachesOptions) {
    const ns = opts.namespace;
    const core = (kind: string, path: string): ResourceRef => ({ apiVersion: "v1", kind, path });
    this.services = this.reflect("services", core("Service", paths.services), slimService);
    this.slices = this.reflect(
      "endpointslices",
      { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", path: paths.endpointSlices },
      slimEndpointSlice,
    );
    this.nodes = this.reflect("nodes", core("Node", paths.nodes), slimNode);
    const ours = (kind: string, path: string): ResourceRef => ({
      ...{ apiVersion: m, kind, path, namespace: ns },
    });
    this.pools = this.reflect("ipaddresspools", ours("IPAddressPool", paths.pools(ns)), slimPool);
    this.advertisements = this.reflect(
      "l2advertisements",
      ours("L2Advertisement", paths.l2Advertisements(ns)),
      slimAdvertisement,
    );
    this.leases = this.reflect(
      "leases",
      {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        path: paths.leases(ns),
        namespace: ns,
      },
      slimLease,
      (type, lease) => opts.onLease(type, lease),
    );
    this.statuses = this.reflect(
      "servicel2statuses",
      ours("ServiceL2Status", paths.l2Statuses(ns)),
      slimL2Status,
    );
  }

  private reflect<T extends KubernetesObject>(
    name: string,
    ref: ResourceRef,
    slim: (obj: T) => T,
    onEvent?: (type: string, obj: T) => boolean,
  ): Reflector<T> {
    const reflector = new Reflector<T>({
      name,
      source: this.opts.source(ref) as ListWatchSource<T>,
      log: this.opts.log.child({ op: "reflector" }),
      slim,
      handler: {
        onEvent: (type, obj) => {
          if (onEvent?.(type, obj) !== false) this.opts.onChange();
        },
        onSynced: () => this.opts.onChange(),
      },
    });
    this.all.push(reflector);
    return reflector;
  }

  start(): void {
    for (const r of this.all) r.start();
  }

  stop(): void {
    for (const r of this.all) r.stop();
  }

  /** Every watch afresh (connections an outage left dead). */
  resync(): void {
    for (const r of this.all) r.resync();
  }

  /** Caches that have not listed yet. */
  waiting(): number {
    return this.all.filter((r) => !r.synced).length;
  }

  view(liveSpeakers: ReadonlySet<string>): ClusterView {
    return clusterView({
      services: this.services.items(),
      slices: this.slices.items(),
      nodes: this.nodes.items(),
      pools: this.pools.items(),
      advertisements: this.advertisements.items(),
      liveSpeakers,
    });
  }

  statusRecords(): StatusRecord[] {
    return this.statuses.items().flatMap((s) => readStatusRecord(s) ?? []);
  }

  serviceKeys(): Set<string> {
    return new Set(
      this.services.items().map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`),
    );
  }

  uidOf(key: string): string | undefined {
    return this.services.get(key)?.metadata?.uid;
  }

  /** The MACs other speakers announce from (never a conflict). */
  peerMacs(thisNode: string): string[] {
    return this.leases.items().flatMap((l) => {
      const s = speakerLease(l);
      return s && s.holder !== thisNode ? s.macs : [];
    });
  }
}
