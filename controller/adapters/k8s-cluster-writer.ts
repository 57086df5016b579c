/**
 * Everything the controller writes to Kubernetes. A Service costs one call: a merge patch of the
 * status subresource carrying the ingress, the IPAllocated condition and the pool annotation
 * (the Service status strategy keeps metadata changes; if an apiserver ever drops the
 * annotation, it is patched on the object in a second call). Events go through an aggregating
 * recorder; IPAddressPool status is a merge patch of the fields IronLB owns. Every call has a
 * deadline, and failures come back classified (gone, retry, fatal).
 */
import type { V1Condition, V1Service } from "@kubernetes/client-node";
import {
  ALLOCATED_FROM_POOL,
  IP_ALLOCATED_CONDITION,
  METALLB_GROUP,
  type IPAddressPoolStatus,
} from "../../lib/api/metallb.js";
import { withDeadline } from "../../lib/adapters/deadline.js";
import { EventRecorder } from "../../lib/adapters/events.js";
import type { ApiClient } from "../../lib/adapters/kube/client.js";
import { ApiError } from "../../lib/adapters/kube/errors.js";
import { resourcePath } from "../../lib/adapters/kube/paths.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { describe } from "../../lib/adapters/reflector.js";
import { err, ok, type Result } from "../../lib/core/result.js";
import type {
  ClusterWriter,
  ServiceRef,
  ServiceWrite,
  StatusWrite,
  WriteFailure,
} from "../core/cluster-writer.js";
import type { EventSpec } from "../core/service-outcome.js";

type ConditionJson = Omit<V1Condition, "lastTransitionTime"> & { lastTransitionTime: string };

const servicePath = (ref: ServiceRef, subresource?: string): string =>
  resourcePath({ group: "", version: "v1", plural: "services", ...ref, subresource });
/** One Service or pool write; the work queue retries it with backoff when it expires. */
const WRITE_DEADLINE_MS = 10_000;
/** client-go's recorder aggregates similar Events for 10 minutes. */
const EVENT_WINDOW_MS = 10 * 60_000;

/** How a failed call should be handled: 404 gone; invalid or forbidden fatal; the rest retry. */
export function classify(e: unknown): WriteFailure {
  const message = describe(e);
  if (!(e instanceof ApiError)) return { kind: "retry", message };
  const code = e.code;
  if (code === 404) return { kind: "gone", message };
  if ([400, 403, 422].includes(code)) return { kind: "fatal", message };
  return { kind: "retry", message };
}

export class K8sClusterWriter implements ClusterWriter {
  private readonly events: EventRecorder;

  constructor(
    private readonly kc: ApiClient,
    component: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.events = new EventRecorder(kc, component, component, {
      aggregateWindowMs: EVENT_WINDOW_MS,
      now,
      onError: (msg, e) => log.warn(msg, { err: e }),
    });
  }

  recordEvent(ref: ServiceRef, event: EventSpec): void {
    const involved = { kind: "Service", apiVersion: "v1", ...ref };
    const service = `${ref.namespace}/${ref.name}`;
    this.log.info(event.message, { service, reason: event.reason });
    // Events are best effort: a refused Event (namespace terminating, quota) must not block or
    // repeat the state change it describes.
    this.events.record(involved, event.type, event.reason, event.message).catch((e: unknown) => {
      this.log.warn("event not recorded", { service, reason: event.reason, err: describe(e) });
    });
  }

  forgetEvents(key: string): void {
    const [namespace = "", name = ""] = key.split("/");
    this.events.forget(namespace, name);
  }

  async writeService(write: ServiceWrite): Promise<Result<void, WriteFailure>> {
    try {
      const annotations =
        write.pool === undefined ? undefined : { [ALLOCATED_FROM_POOL]: write.pool };
      if (write.status) {
        const written = await this.patchStatus(write.ref, write.status, annotations);
        const shown = written.metadata?.annotations?.[ALLOCATED_FROM_POOL] ?? null;
        if (write.pool === undefined || shown === write.pool) return ok(undefined);
      }
      const body = { metadata: { annotations } };
      await this.call(this.kc.patch(servicePath(write.ref), body, "merge"), write.ref);
      return ok(undefined);
    } catch (e) {
      return err(classify(e));
    }
  }

  private patchStatus(
    ref: ServiceRef,
    status: StatusWrite,
    annotations: Record<string, string | null> | undefined,
  ): Promise<V1Service> {
    const others = (status.current as ConditionJson[]).filter(
      (c) => c.type !== IP_ALLOCATED_CONDITION,
    );
    const conditions = status.condition ? [...others, this.condition(status)] : others;
    const ingress = status.ingress.map((ip) => ({ ip, ipMode: "VIP" }));
    const body = {
      ...(annotations ? { metadata: { annotations } } : {}),
      status: { loadBalancer: { ingress }, conditions },
    };
    return this.call(this.kc.patch<V1Service>(servicePath(ref, "status"), body, "merge"), ref);
  }

  /** The IPAllocated condition to write; its time is RFC 3339 text, as the API sends it. */
  private condition(status: StatusWrite): ConditionJson {
    const condition = status.condition;
    if (!condition) throw new Error("condition: undefined");
    const mine = status.current.find((c) => c.type === IP_ALLOCATED_CONDITION);
    const unchanged = mine?.status === condition.status && mine.reason === condition.reason;
    const since = unchanged ? mine.lastTransitionTime : undefined;
    return {
      type: IP_ALLOCATED_CONDITION,
      ...condition,
      observedGeneration: status.generation ?? 0,
      lastTransitionTime: (since === undefined ? this.now() : new Date(since)).toISOString(),
    };
  }

  private call<T>(call: Promise<T>, ref: ServiceRef): Promise<T> {
    return withDeadline(call, WRITE_DEADLINE_MS, `write Service ${ref.namespace}/${ref.name}`);
  }

  async writePoolStatus(
    namespace: string,
    name: string,
    status: IPAddressPoolStatus,
  ): Promise<void> {
    const at = { group: METALLB_GROUP, version: "v1beta1", plural: "ipaddresspools" };
    const path = resourcePath({ ...at, namespace, name, subresource: "status" });
    const patch = this.kc.patch(path, { status }, "merge");
    await withDeadline(patch, WRITE_DEADLINE_MS, `write IPAddressPool ${namespace}/${name} status`);
  }
}
