/**
 * The speaker's caches: one reflector per kind it reads, each keeping the slim record made on
 * arrival (speaker-records.ts), never the whole object. A Service or EndpointSlice event hands
 * the changed Service's election input to the planner (`inputs`) at once; a change of nodes,
 * pools or advertisements is flagged for the next pass (`takeSharedChange`). Then they ask the
 * loop for a pass (`onChange`).
 */
import type {
  KubernetesObject,
  V1ConfigMap,
  V1EndpointSlice,
  V1Node,
  V1Service,
} from "@kubernetes/client-node";
import {
  type IPAddressPool,
  type L2Advertisement,
  METALLB_API_VERSION,
  paths,
  type ServiceL2Status,
  toL2AdvertisementSpec,
} from "../../lib/api/metallb.js";
import { MEMBERS_NAME, membersPath } from "../../lib/api/speaker-members.js";
import type { ApiClient } from "../../lib/adapters/kube/client.js";
import { k8sSource, type ResourceRef } from "../../lib/adapters/k8s-source.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { type ListWatchSource, Reflector } from "../../lib/adapters/reflector.js";
import type { EndpointView, ServiceView } from "../core/announcements.js";
import type { SharedView } from "../core/incremental-plan.js";
import type { StatusRecord } from "../core/status-plan.js";
import { endpointViews, nodeViews, serviceView } from "./cluster-view.js";
import {
  slimAdvertisement,
  slimEndpointSlice,
  slimL2Status,
  slimNode,
  slimPool,
  slimService,
} from "./speaker-records.js";
import { readStatusRecord } from "./speaker-status.js";

/** Where a kind's list and watch come from (the API server; a fake in tests). */
export type SourceFor = (ref: ResourceRef) => ListWatchSource<KubernetesObject>;

export const apiSource =
  (kc: ApiClient): SourceFor =>
  (ref) =>
    k8sSource(kc, ref);

/** Where per-Service election input goes as it arrives (the incremental planner). */
export interface PlanInputs {
  setService(key: string, view: ServiceView | undefined): void;
  setEndpoints(key: string, view: EndpointView | undefined): void;
}

export interface SpeakerCachesOptions {
  readonly source: SourceFor;
  readonly inputs: PlanInputs;
  readonly namespace: string;
  readonly log: Logger;
  /** Something changed that may change the plan (also: a cache finished a (re-)list). */
  readonly onChange: () => void;
  /** A membership object event; returns false when it cannot change the plan. */
  readonly onMembers: (type: string, obj: V1ConfigMap) => boolean;
}

const m = METALLB_API_VERSION;
const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const keyOf = (o: KubernetesObject): string => `${o.metadata?.namespace}/${o.metadata?.name}`;
const sliceService = (s: V1EndpointSlice): string | undefined => {
  const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
  return svc ? `${s.metadata?.namespace}/${svc}` : undefined;
};

export class SpeakerCaches {
  private readonly all: Reflector<KubernetesObject>[] = [];
  readonly services: Reflector<V1Service>;
  private readonly slices: Reflector<V1EndpointSlice>;
  private readonly nodes: Reflector<V1Node>;
  private readonly pools: Reflector<IPAddressPool>;
  private readonly advertisements: Reflector<L2Advertisement>;
  readonly members: Reflector<V1ConfigMap>;
  private readonly statuses: Reflector<ServiceL2Status>;
  /** Service key -> its EndpointSlices by slice key. */
  private readonly slicesOf = new Map<string, Map<string, V1EndpointSlice>>();
  private sharedChanged = true;

  constructor(private readonly opts: SpeakerCachesOptions) {
    const ns = opts.namespace;
    const core = (kind: string, path: string): ResourceRef => ({ apiVersion: "v1", kind, path });
    const shared = (): true => (this.sharedChanged = true);
    this.services = this.reflect(
      "services",
      core("Service", paths.services),
      slimService,
      (type, svc) => this.onService(type, svc),
    );
    this.slices = this.reflect(
      "endpointslices",
      { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", path: paths.endpointSlices },
      slimEndpointSlice,
      (type, slice, old) => this.onSlice(type, slice, old),
    );
    this.nodes = this.reflect("nodes", core("Node", paths.nodes), slimNode, shared);
    const ours = (kind: string, path: string): ResourceRef => ({
      ...{ apiVersion: m, kind, path, namespace: ns },
    });
    this.pools = this.reflect(
      "ipaddresspools",
      ours("IPAddressPool", paths.pools(ns)),
      slimPool,
      shared,
    );
    this.advertisements = this.reflect(
      "l2advertisements",
      ours("L2Advertisement", paths.l2Advertisements(ns)),
      slimAdvertisement,
      shared,
    );
    // The one membership object, by name: membership changes only, never a Lease renewal.
    this.members = this.reflect(
      "speaker-members",
      {
        ...{ apiVersion: "v1", kind: "ConfigMap", path: membersPath(ns), namespace: ns },
        fieldSelector: `metadata.name=${MEMBERS_NAME}`,
      },
      (cm) => cm,
      (type, cm) => opts.onMembers(type, cm),
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
    onEvent?: (type: string, obj: T, old: T | undefined) => boolean,
  ): Reflector<T> {
    const reflector = new Reflector<T>({
      name,
      source: this.opts.source(ref) as ListWatchSource<T>,
      log: this.opts.log.child({ op: "reflector" }),
      slim,
      handler: {
        onEvent: (type, obj, old) => {
          if (onEvent?.(type, obj, old) !== false) this.opts.onChange();
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

  private onService(type: string, svc: V1Service): true {
    this.opts.inputs.setService(keyOf(svc), type === "DELETED" ? undefined : serviceView(svc));
    return true;
  }

  /** The Service's endpoints afresh, merged over its slices (old and new Service on a relabel). */
  private onSlice(type: string, slice: V1EndpointSlice, old: V1EndpointSlice | undefined): true {
    const key = keyOf(slice);
    const before = old && sliceService(old);
    if (before) this.slicesOf.get(before)?.delete(key);
    const now = type === "DELETED" ? undefined : sliceService(slice);
    if (now)
      this.slicesOf.set(
        now,
        (this.slicesOf.get(now) ?? new Map<string, V1EndpointSlice>()).set(key, slice),
      );
    for (const svc of new Set([before, now])) {
      if (svc === undefined) continue;
      const slices = [...(this.slicesOf.get(svc)?.values() ?? [])];
      if (slices.length === 0) this.slicesOf.delete(svc);
      this.opts.inputs.setEndpoints(svc, endpointViews(slices).get(svc));
    }
    return true;
  }

  /** True once after nodes, pools or advertisements changed. */
  takeSharedChange(): boolean {
    const changed = this.sharedChanged;
    this.sharedChanged = false;
    return changed;
  }

  shared(liveSpeakers: ReadonlySet<string>): SharedView {
    const pools = this.pools.items();
    return {
      nodes: nodeViews(this.nodes.items()),
      poolLabels: new Map(pools.map((p) => [p.metadata?.name ?? "", p.metadata?.labels ?? {}])),
      advertisements: this.advertisements.items().map(toL2AdvertisementSpec),
      liveSpeakers,
    };
  }

  /** Slim Node records (labels, NetworkUnavailable, InternalIPs). */
  nodeItems(): readonly V1Node[] {
    return this.nodes.items();
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
}
