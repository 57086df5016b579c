/**
 * The Lease calls of leader election (lib/adapters/leader-elector.ts) against the apiserver:
 * read, create, and update with the resourceVersion read (optimistic concurrency: a write based
 * on a stale read is refused with 409 Conflict, so two candidates never both take the Lease).
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import type { LeaseRecord, LeaseSpecOut } from "../core/leader-election.js";

/** The port the elector uses; a fake implements it in the tests. */
export interface LeaseApi {
  /** The Lease, or undefined when it does not exist. */
  get(): Promise<LeaseRecord | undefined>;
  /** Creates the Lease; rejects when it exists already (409). */
  create(spec: LeaseSpecOut): Promise<void>;
  /** Replaces the spec if the Lease is still at `resourceVersion`; rejects (409) otherwise. */
  update(spec: LeaseSpecOut, resourceVersion: string): Promise<void>;
}

/** RFC 3339 with microseconds, as the API's MicroTime wants it. */
const microTime = (ms: number): string =>
  new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

const msOf = (t: Date | string | undefined): number | undefined =>
  t === undefined ? undefined : new Date(t).getTime();

export class K8sLeaseApi implements LeaseApi {
  private readonly api: CoordinationV1Api;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
    private readonly labels: Record<string, string> = {},
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  async get(): Promise<LeaseRecord | undefined> {
    try {
      const lease = await this.api.readNamespacedLease({
        name: this.name,
        namespace: this.namespace,
      });
      const spec = lease.spec ?? {};
      return {
        holder: spec.holderIdentity ?? "",
        durationSeconds: spec.leaseDurationSeconds ?? 0,
        acquireTime: msOf(spec.acquireTime),
        transitions: spec.leaseTransitions ?? 0,
        resourceVersion: lease.metadata?.resourceVersion ?? "",
      };
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  async create(spec: LeaseSpecOut): Promise<void> {
    await this.api.createNamespacedLease({ namespace: this.namespace, body: this.body(spec) });
  }

  async update(spec: LeaseSpecOut, resourceVersion: string): Promise<void> {
    const body = this.body(spec);
    body.metadata = { ...body.metadata, resourceVersion };
    await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body });
  }

  private body(spec: LeaseSpecOut): V1Lease {
    // MicroTime wants microseconds; a Date would be sent with milliseconds and refused.
    const times = {
      acquireTime: microTime(spec.acquireTime),
      renewTime: microTime(spec.renewTime),
    } as unknown as { acquireTime: Date; renewTime: Date };
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.name, namespace: this.namespace, labels: this.labels },
      spec: {
        holderIdentity: spec.holderIdentity,
        leaseDurationSeconds: spec.leaseDurationSeconds,
        leaseTransitions: spec.leaseTransitions,
        ...times,
      },
    };
  }
}
