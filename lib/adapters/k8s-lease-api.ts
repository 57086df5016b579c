/**
 * The Lease calls of leader election (lib/adapters/leader-elector.ts) against the apiserver:
 * read, create, and update with the resourceVersion read (optimistic concurrency: a write based
 * on a stale read is refused with 409 Conflict, so two candidates never both take the Lease).
 */
import type { V1Lease } from "@kubernetes/client-node";
import type { ApiClient } from "./kube/client.js";
import { ApiError } from "./kube/errors.js";
import { microTime, resourcePath, timeMs } from "./kube/paths.js";
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

/** A Lease as the API sends it: times are RFC 3339 text. */
type LeaseJson = Omit<V1Lease, "spec"> & {
  spec?: Omit<NonNullable<V1Lease["spec"]>, "acquireTime" | "renewTime"> & {
    acquireTime?: string;
    renewTime?: string;
  };
};

export class K8sLeaseApi implements LeaseApi {
  constructor(
    private readonly kc: ApiClient,
    private readonly namespace: string,
    private readonly name: string,
    private readonly labels: Record<string, string> = {},
  ) {}

  private path(name?: string): string {
    const namespace = this.namespace;
    return resourcePath({
      group: "coordination.k8s.io",
      version: "v1",
      plural: "leases",
      namespace,
      name,
    });
  }

  async get(): Promise<LeaseRecord | undefined> {
    try {
      const lease = await this.kc.get<LeaseJson>(this.path(this.name));
      const spec = lease.spec ?? {};
      return {
        holder: spec.holderIdentity ?? "",
        durationSeconds: spec.leaseDurationSeconds ?? 0,
        acquireTime: timeMs(spec.acquireTime),
        transitions: spec.leaseTransitions ?? 0,
        resourceVersion: lease.metadata?.resourceVersion ?? "",
      };
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  async create(spec: LeaseSpecOut): Promise<void> {
    await this.kc.create(this.path(), this.body(spec));
  }

  async update(spec: LeaseSpecOut, resourceVersion: string): Promise<void> {
    const body = this.body(spec);
    body.metadata = { ...body.metadata, resourceVersion };
    await this.kc.replace(this.path(this.name), body);
  }

  private body(spec: LeaseSpecOut): LeaseJson {
    // MicroTime wants microseconds; milliseconds would be refused.
    const times = {
      acquireTime: microTime(spec.acquireTime),
      renewTime: microTime(spec.renewTime),
    };
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
