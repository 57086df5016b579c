/**
 * The controller's loop: reflectors feed one serial work queue; the pure core (PoolSet,
 * Allocator, serviceOutcome) decides; K8sClusterWriter writes. Startup gate: nothing is
 * allocated until every reflector has synced and every Service that already shows IPs got
 * exactly those IPs back, so a restart never moves or steals an address.
 */
import type { KubeConfig, V1Namespace, V1Service } from "@kubernetes/client-node";
import {
  type IPAddressPool,
  type L2Advertisement,
  METALLB_API_VERSION,
  paths,
  toL2AdvertisementSpec,
} from "../../lib/api/metallb.js";
import { k8sSource } from "../../lib/adapters/k8s-source.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { describe, objectKey, Reflector } from "../../lib/adapters/reflector.js";
import { advertisesPool } from "../../lib/core/l2-advertisement.js";
import { Allocator, type Cleared } from "../core/allocator.js";
import { buildPoolSet, type PoolSet } from "../core/pool-set.js";
import { handlesService, serviceRequest } from "../core/service-request.js";
import {
  type Attempt,
  releasedOutcome,
  serviceOutcome,
  type ServiceOutcome,
} from "../core/service-outcome.js";
import type { ControllerMetrics } from "./metrics.js";
import type { K8sClusterWriter } from "./k8s-cluster-writer.js";
import { shownOf, toNamespaceInfo, toPoolSpec, toServiceInfo } from "./mapping.js";
import { PoolStatusSync } from "./pool-status-sync.js";

export interface ControllerOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly lbClass: string;
  readonly log: Logger;
  readonly writer: K8sClusterWriter;
  readonly metrics: ControllerMetrics;
}

const RETRY_MS = 1_000;
/**
 * The controller's list retries wait at most this long. With client-go's 30 s, Services created
 * after a 60 s apiserver outage waited ~29 s for an IP (test/e2e/api-outage.test.ts); one replica
 * listing four kinds every 5 s while the apiserver is away costs next to nothing.
 */
const LIST_RETRY_MAX_MS = 5_000;

export class Controller {
  readonly services: Reflector<V1Service>;
  readonly pools: Reflector<IPAddressPool>;
  readonly advertisements: Reflector<L2Advertisement>;
  readonly namespaces: Reflector<V1Namespace>;
  private readonly allocator = new Allocator();
  private poolSet: PoolSet = buildPoolSet([], []);
  private readonly dirty = new Set<string>();
  /** Services that wanted an IP and got none: retried whenever an address may have freed up. */
  private readonly pending = new Set<string>();
  /** Addresses taken away by a pool edit, reported when the Service gets new ones. */
  private readonly cleared = new Map<string, Cleared>();
  private gateOpen = false;
  private draining = false;
  private poolsChanged = false;
  private readonly poolStatus: PoolStatusSync;

  constructor(private readonly opts: ControllerOptions) {
    const { kc, namespace, log } = opts;
    opts.metrics.trackPending(() => this.pending.size);
    const reflect = <T extends { metadata?: object }>(
      name: string,
      ref: Parameters<typeof k8sSource>[1],
      onEvent: (obj: T) => void,
    ): Reflector<T & { apiVersion?: string; kind?: string }> =>
      new Reflector({
        name,
        source: k8sSource(kc, ref),
        log: log.child({ op: "reflector" }),
        maxBackoffMs: LIST_RETRY_MAX_MS,
        handler: { onEvent: (_t, obj) => onEvent(obj), onSynced: () => this.maybeOpenGate() },
      });
    this.services = reflect<V1Service>(
      "services",
      { apiVersion: "v1", kind: "Service", path: paths.services },
      (s) => this.markService(objectKey(s)),
    );
    const poolsChanged = (): void => this.markPools();
    this.pools = reflect<IPAddressPool>(
      "ipaddresspools",
      {
        apiVersion: METALLB_API_VERSION,
        kind: "IPAddressPool",
        path: paths.pools(namespace),
        namespace,
      },
      poolsChanged,
    );
    this.advertisements = reflect<L2Advertisement>(
      "l2advertisements",
      {
        apiVersion: METALLB_API_VERSION,
        kind: "L2Advertisement",
        path: paths.l2Advertisements(namespace),
        namespace,
      },
      poolsChanged,
    );
    this.namespaces = reflect<V1Namespace>(
      "namespaces",
      { apiVersion: "v1", kind: "Namespace", path: paths.namespaces },
      poolsChanged,
    );
    this.poolStatus = new PoolStatusSync({
      namespace,
      writer: opts.writer,
      log: log.child({ op: "pool-status" }),
      pools: () => this.pools.items(),
      poolSet: () => this.poolSet,
      allocator: this.allocator,
      advertised: (name, labels) => this.isAdvertised(name, labels),
    });
  }

  start(): void {
    for (const r of [this.namespaces, this.pools, this.advertisements, this.services]) r.start();
  }

  stop(): void {
    for (const r of [this.namespaces, this.pools, this.advertisements, this.services]) r.stop();
    this.poolStatus.stop();
  }

  /** Ready once the startup gate is open and the first full pass is written. */
  ready(): true | string {
    if (!this.gateOpen) return "waiting for the first sync of Services, pools and namespaces";
    return this.dirty.size === 0 || this.draining ? true : "first reconcile pass in progress";
  }

  private markService(key: string): void {
    this.dirty.add(key);
    this.scheduleDrain();
  }

  private markPools(): void {
    this.poolsChanged = true;
    this.scheduleDrain();
  }

  private maybeOpenGate(): void {
    if (this.gateOpen) return;
    const all = [this.namespaces, this.pools, this.advertisements, this.services];
    if (!all.every((r) => r.synced)) return;
    this.rebuildPools();
    let kept = 0;
    for (const svc of this.services.items()) kept += this.reassignExisting(svc) ? 1 : 0;
    this.opts.log.info("startup gate open: existing assignments restored", {
      services: this.services.items().length,
      restored: kept,
    });
    this.gateOpen = true;
    for (const svc of this.services.items()) this.dirty.add(objectKey(svc));
    this.scheduleDrain();
  }

  /** Gives a Service that already shows IPs exactly those IPs; true when it did. */
  private reassignExisting(svc: V1Service): boolean {
    const info = toServiceInfo(svc);
    const shown = shownOf(svc);
    if (shown.ingress.length === 0 || !handlesService(info, this.opts.lbClass)) return false;
    const request = serviceRequest(info, this.opts.lbClass);
    if (!request.ok) return false;
    const result = this.allocator.assign(objectKey(svc), request.value, shown.ingress);
    if (!result.ok) {
      this.opts.log.warn("existing IP not restored", {
        service: objectKey(svc),
        reason: result.error.message,
      });
    }
    return result.ok;
  }

  private rebuildPools(): void {
    this.poolSet = buildPoolSet(
      this.pools.items().map(toPoolSpec),
      this.namespaces.items().map(toNamespaceInfo),
    );
    for (const lost of this.allocator.setPools(this.poolSet)) {
      this.cleared.set(lost.service, lost.cleared);
      this.dirty.add(lost.service);
    }
    for (const key of this.pending) this.dirty.add(key);
    this.opts.metrics.poolsChanged(this.poolSet, this.allocator);
    this.poolStatus.schedule();
  }

  private isAdvertised(pool: string, labels: Record<string, string>): boolean {
    return this.advertisements
      .items()
      .some((a) => advertisesPool(toL2AdvertisementSpec(a), pool, labels));
  }

  private scheduleDrain(): void {
    if (!this.gateOpen || this.draining) return;
    this.draining = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.gateOpen && (this.dirty.size > 0 || this.poolsChanged)) {
        if (this.poolsChanged) {
          this.poolsChanged = false;
          this.rebuildPools();
        }
        const key = this.dirty.values().next().value as string;
        if (key === undefined) continue;
        this.dirty.delete(key);
        await this.reconcile(key);
      }
    } finally {
      this.draining = false;
    }
  }

  private async reconcile(key: string): Promise<void> {
    const svc = this.services.get(key);
    const outcome = svc ? this.decide(key, svc) : this.forget(key);
    if (!svc || !outcome) return;
    try {
      await this.apply(svc, outcome);
      this.opts.metrics.reconciled("ok");
    } catch (e) {
      this.opts.metrics.reconciled("retry");
      this.opts.log.warn("writing Service state failed, will retry", {
        service: key,
        err: describe(e),
      });
      setTimeout(() => this.markService(key), RETRY_MS).unref();
    }
  }

  /** A deleted Service: free its IPs and retry the Services waiting for one. */
  private forget(key: string): undefined {
    this.release(key);
    this.cleared.delete(key);
    return undefined;
  }

  private release(key: string): void {
    this.pending.delete(key);
    if (this.allocator.release(key).length === 0) return;
    for (const waiting of this.pending) this.dirty.add(waiting);
    this.poolStatus.schedule();
    this.opts.metrics.poolsChanged(this.poolSet, this.allocator);
  }

  private decide(key: string, svc: V1Service): ServiceOutcome | undefined {
    const info = toServiceInfo(svc);
    const shown = shownOf(svc);
    if (!handlesService(info, this.opts.lbClass)) {
      this.release(key);
      // A LoadBalancer of another class belongs to another controller (maybe another IronLB
      // with the same annotation and condition): never touch it. The class is immutable, so
      // only a type change takes a Service away from us.
      return info.type === "LoadBalancer" ? undefined : releasedOutcome(shown);
    }
    const attempt = this.attempt(key, info);
    if (attempt.ok) this.pending.delete(key);
    else this.pending.add(key);
    this.poolStatus.schedule();
    this.opts.metrics.poolsChanged(this.poolSet, this.allocator);
    const advertised = attempt.ok && this.isAdvertised(attempt.pool, this.poolLabels(attempt.pool));
    return serviceOutcome(attempt, shown, advertised);
  }

  private attempt(key: string, info: ReturnType<typeof toServiceInfo>): Attempt {
    const request = serviceRequest(info, this.opts.lbClass);
    const lost = this.cleared.get(key);
    this.cleared.delete(key);
    if (!request.ok) {
      const freed = this.allocator.ipsOf(key);
      const pool = this.allocator.poolOf(key) ?? "";
      this.release(key);
      const cleared = lost ?? (freed && { ips: freed, pool, message: request.error.message });
      return { ok: false, failure: request.error, cleared };
    }
    const result = this.allocator.allocate(key, request.value);
    const cleared = lost ?? (result.ok ? result.value.cleared : result.error.cleared);
    return result.ok
      ? { ok: true, ips: result.value.ips, pool: result.value.pool, cleared }
      : { ok: false, failure: result.error, cleared };
  }

  private poolLabels(name: string): Record<string, string> {
    return this.pools.items().find((p) => p.metadata?.name === name)?.metadata?.labels ?? {};
  }

  private async apply(svc: V1Service, outcome: ServiceOutcome): Promise<void> {
    const ref = { namespace: svc.metadata?.namespace ?? "", name: svc.metadata?.name ?? "" };
    const log = this.opts.log.child({ service: `${ref.namespace}/${ref.name}` });
    log.debug("reconciled", {
      resourceVersion: svc.metadata?.resourceVersion,
      ingress: outcome.ingress,
      writeStatus: outcome.writeStatus,
      writeAnnotation: outcome.writeAnnotation,
      events: outcome.events.map((e) => e.reason),
    });
    if (outcome.writeStatus) {
      const conditions = svc.status?.conditions ?? [];
      const generation = svc.metadata?.generation;
      await this.opts.writer.writeServiceStatus(
        { ...ref, conditions, ...(generation === undefined ? {} : { generation }) },
        outcome.ingress,
        outcome.condition,
      );
    }
    if (outcome.writeAnnotation) await this.opts.writer.annotatePool(ref, outcome.pool);
    const involved = { kind: "Service", apiVersion: "v1", ...ref, uid: svc.metadata?.uid };
    for (const e of outcome.events) {
      log.info(e.message, { reason: e.reason, ip: outcome.ingress.join(",") });
      // Events are best effort: a refused Event (namespace terminating, quota) must not block
      // or repeat the state change it describes.
      await this.opts.writer.event(involved, e.type, e.reason, e.message).catch((err: unknown) => {
        log.warn("event not recorded", { reason: e.reason, err: describe(err) });
      });
    }
  }
}
