/**
 * What the owner of a Service's IPs tells the cluster: a ServiceL2Status (MetalLB's shape) in the
 * speaker namespace (Events go through lib/adapters/events.ts).
 */
import { createHash } from "node:crypto";
import type { ApiClient } from "../../lib/adapters/kube/client.js";
import { resourcePath } from "../../lib/adapters/kube/paths.js";
import { METALLB_GROUP, type ServiceL2Status } from "../../lib/api/metallb.js";
import type { StatusRecord } from "../core/status-plan.js";

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

const resource = { group: METALLB_GROUP, version: "v1beta1", plural: "servicel2statuses" } as const;

/** The Service key (`namespace/name`), node and interfaces a ServiceL2Status records. */
export function readStatusRecord(obj: ServiceL2Status): StatusRecord | undefined {
  const labels = obj.metadata?.labels ?? {};
  const status = obj.status ?? {};
  const namespace = status.serviceNamespace ?? labels[L2_STATUS_LABELS.serviceNamespace];
  const name = status.serviceName ?? labels[L2_STATUS_LABELS.serviceName];
  if (!namespace || !name) return undefined; // not one of ours
  const record = {
    service: `${namespace}/${name}`,
    node: status.node ?? labels[L2_STATUS_LABELS.node],
    interfaces: (status.interfaces ?? []).map((i) => i.name),
  };
  // Created, but the status write that follows never landed: the labels alone name the node.
  return status.node === undefined ? { ...record, unwritten: true } : record;
}

/**
 * `status.lastAddressConflict` (IronLB's optional field; MetalLB's clients ignore it): the last
 * foreign claim seen on the Service's IPs by the node that announces (or probes) them.
 */
export interface AddressConflictTrace {
  readonly ip: string;
  readonly mac: string;
  readonly interface: string;
  readonly evidence: string;
  /** `probing`: held back before a first announcement; `announcing`: defended, still answered. */
  readonly phase: "probing" | "announcing";
  readonly node: string;
  /** RFC 3339. */
  readonly time: string;
}

const codeOf = (e: unknown): number | undefined => (e as { code?: number }).code;

export class SpeakerStatusWriter {
  constructor(
    private readonly kc: ApiClient,
    private readonly namespace: string,
    private readonly node: string,
  ) {}

  private path(name?: string, subresource?: string): string {
    return resourcePath({ ...resource, namespace: this.namespace, name, subresource });
  }

  /**
   * Records this node as the announcer of the Service on `interfaces`. A record naming another
   * node is replaced (deleted, if unchanged since read, and created again): `status.node` is
   * immutable in the CRD, as in MetalLB's.
   */
  async claim(
    svc: { namespace: string; name: string },
    interfaces: readonly string[],
  ): Promise<void> {
    const name = l2StatusName(svc.namespace, svc.name);
    let existing = await this.read(name);
    // Another node's record, or one cut short before its status was written (or relabelled)
    // under another node's labels: replaced the same way, so the object itself is never patched.
    const labelled = existing?.metadata?.labels?.[L2_STATUS_LABELS.node];
    const recorded = existing?.status?.node ?? labelled;
    if (existing && (recorded !== this.node || labelled !== this.node)) {
      await this.deleteIfUnchanged(name, existing);
      existing = undefined;
    }
    if (!existing) {
      const body: ServiceL2Status = {
        apiVersion: `${METALLB_GROUP}/v1beta1`,
        kind: "ServiceL2Status",
        metadata: { name, namespace: this.namespace, labels: this.labels(svc) },
      };
      await this.kc.create(this.path(), body);
    }
    const status = {
      node: this.node,
      serviceName: svc.name,
      serviceNamespace: svc.namespace,
      interfaces: interfaces.map((i) => ({ name: i })),
    };
    await this.kc.patch(this.path(name, "status"), { status }, "merge");
  }

  /** Writes the conflict trace into the Service's record; fails (404) while there is none. */
  async recordConflict(
    svc: { namespace: string; name: string },
    trace: AddressConflictTrace,
  ): Promise<void> {
    const path = this.path(l2StatusName(svc.namespace, svc.name), "status");
    await this.kc.patch(path, { status: { lastAddressConflict: trace } }, "merge");
  }

  /**
   * Deletes the Service's record if it still names `node` (this node's own, or a dead node's for
   * a deleted Service). The delete is conditional on the version read, so a peer's claim made in
   * between is never removed.
   */
  async remove(svc: { namespace: string; name: string }, node: string | undefined): Promise<void> {
    const name = l2StatusName(svc.namespace, svc.name);
    const existing = await this.read(name);
    if (!existing) return;
    const record = readStatusRecord(existing);
    if (record && record.node !== node) return;
    await this.deleteIfUnchanged(name, existing);
  }

  /** Deletes `name` unless it changed since `seen` was read (a peer claimed it): 409 is fine. */
  private async deleteIfUnchanged(name: string, seen: ServiceL2Status): Promise<void> {
    const resourceVersion = seen.metadata?.resourceVersion;
    try {
      const options = resourceVersion ? { preconditions: { resourceVersion } } : undefined;
      await this.kc.delete(this.path(name), options);
    } catch (e) {
      if (codeOf(e) !== 404 && codeOf(e) !== 409) throw e; // gone, or claimed meanwhile
    }
  }

  private labels(svc: { namespace: string; name: string }): Record<string, string> {
    return {
      [L2_STATUS_LABELS.node]: this.node,
      [L2_STATUS_LABELS.serviceName]: svc.name,
      [L2_STATUS_LABELS.serviceNamespace]: svc.namespace,
    };
  }

  private async read(name: string): Promise<ServiceL2Status | undefined> {
    try {
      return await this.kc.get<ServiceL2Status>(this.path(name));
    } catch (e) {
      if (codeOf(e) === 404) return undefined;
      throw e;
    }
  }
}
