/**
 * Everything the controller writes to Kubernetes: Service status (ingress + IPAllocated
 * condition) through the status subresource, the pool annotation, Events, and IPAddressPool
 * status. Each write is a merge patch of only the fields IronLB owns.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Condition,
  type V1LoadBalancerIngress,
} from "@kubernetes/client-node";
import {
  ALLOCATED_FROM_POOL,
  IP_ALLOCATED_CONDITION,
  METALLB_GROUP,
  type IPAddressPoolStatus,
} from "../../lib/api/metallb.js";
import { EventRecorder, type EventType, type ObjectRef } from "../../lib/adapters/events.js";
import type { ServiceCondition } from "../core/service-outcome.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class K8sClusterWriter {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly events: EventRecorder;

  constructor(
    kc: KubeConfig,
    component: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.events = new EventRecorder(kc, component, component, now);
  }

  event(ref: ObjectRef, type: EventType, reason: string, message: string): Promise<void> {
    return this.events.record(ref, type, reason, message);
  }

  /**
   * Ingress plus our condition (removed when `undefined`); other controllers' conditions are
   * kept as they are.
   */
  async writeServiceStatus(
    svc: {
      namespace: string;
      name: string;
      conditions: readonly V1Condition[];
      generation?: number;
    },
    ingress: readonly string[],
    condition: ServiceCondition | undefined,
  ): Promise<void> {
    const others = svc.conditions.filter((c) => c.type !== IP_ALLOCATED_CONDITION);
    const conditions = condition ? [...others, this.condition(svc, condition)] : others;
    const lbIngress: V1LoadBalancerIngress[] = ingress.map((ip) => ({ ip, ipMode: "VIP" }));
    await this.core.patchNamespacedServiceStatus(
      {
        namespace: svc.namespace,
        name: svc.name,
        body: { status: { loadBalancer: { ingress: lbIngress }, conditions } },
      },
      mergePatch,
    );
  }

  private condition(
    svc: { conditions: readonly V1Condition[]; generation?: number },
    condition: ServiceCondition,
  ): V1Condition {
    const mine = svc.conditions.find((c) => c.type === IP_ALLOCATED_CONDITION);
    const unchanged = mine?.status === condition.status && mine.reason === condition.reason;
    return {
      type: IP_ALLOCATED_CONDITION,
      ...condition,
      observedGeneration: svc.generation ?? 0,
      lastTransitionTime: unchanged && mine ? mine.lastTransitionTime : this.now(),
    };
  }

  /** Sets (or with `undefined` removes) `metallb.io/ip-allocated-from-pool`. */
  async annotatePool(
    svc: { namespace: string; name: string },
    pool: string | undefined,
  ): Promise<void> {
    await this.core.patchNamespacedService(
      {
        namespace: svc.namespace,
        name: svc.name,
        body: { metadata: { annotations: { [ALLOCATED_FROM_POOL]: pool ?? null } } },
      },
      mergePatch,
    );
  }

  async writePoolStatus(
    namespace: string,
    name: string,
    status: IPAddressPoolStatus,
  ): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: METALLB_GROUP,
        version: "v1beta1",
        namespace,
        plural: "ipaddresspools",
        name,
        body: { status },
      },
      mergePatch,
    );
  }
}
