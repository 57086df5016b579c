/**
 * What the owner of a Service's IPs tells the cluster: a ServiceL2Status (MetalLB's shape) in the
 * speaker namespace (Events go through lib/adapters/events.ts).
 */
import { createHash } from "node:crypto";
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from "@kubernetes/client-node";
import { METALLB_GROUP, type ServiceL2Status } from "../../lib/api/metallb.js";

export const L2_STATUS_LABELS = {
  node: "metallb.io/node",
  serviceName: "metallb.io/service-name",
  serviceNamespace: "metallb.io/service-namespace",
} as const;

/** Deterministic, DNS-safe, and unique per Service. */
export function l2StatusName(namespace: string, name: string): string {
  const hash = createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, 10);
  return `l2-${name.slice(0, 40)}-${hash}`.toLowerCase();
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const resource = { group: METALLB_GROUP, version: "v1beta1", plural: "servicel2statuses" } as const;

export class SpeakerStatusWriter {
  private readonly custom: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly node: string,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** Records this node as the announcer of the Service (replacing another node's record). */
  async claim(
    svc: { namespace: string; name: string },
    interfaces: readonly string[],
  ): Promise<void> {
    const name = l2StatusName(svc.namespace, svc.name);
    const existing = await this.read(name);
    if (existing?.status?.node === this.node) return;
    if (existing) await this.delete(name);
    const body: ServiceL2Status = {
      apiVersion: `${METALLB_GROUP}/v1beta1`,
      kind: "ServiceL2Status",
      metadata: {
        name,
        namespace: this.namespace,
        labels: {
          [L2_STATUS_LABELS.node]: this.node,
          [L2_STATUS_LABELS.serviceName]: svc.name,
          [L2_STATUS_LABELS.serviceNamespace]: svc.namespace,
        },
      },
    };
    await this.custom.createNamespacedCustomObject({
      ...resource,
      namespace: this.namespace,
      body,
    });
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        ...resource,
        namespace: this.namespace,
        name,
        body: {
          status: {
            node: this.node,
            serviceName: svc.name,
            serviceNamespace: svc.namespace,
            interfaces: interfaces.map((i) => ({ name: i })),
          },
        },
      },
      mergePatch,
    );
  }

  /** Removes this node's record for the Service, if it is this node's. */
  async release(svc: { namespace: string; name: string }): Promise<void> {
    const name = l2StatusName(svc.namespace, svc.name);
    const existing = await this.read(name);
    if (
      existing?.status?.node === this.node ||
      existing?.metadata?.labels?.[L2_STATUS_LABELS.node] === this.node
    ) {
      await this.delete(name);
    }
  }

  private async read(name: string): Promise<ServiceL2Status | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        ...resource,
        namespace: this.namespace,
        name,
      })) as ServiceL2Status;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  private async delete(name: string): Promise<void> {
    try {
      await this.custom.deleteNamespacedCustomObject({
        ...resource,
        namespace: this.namespace,
        name,
      });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
  }
}
