/**
 * The controller core's port to the cluster: what it wants a Service to look like and the
 * Events it reports. The adapter (K8sClusterWriter) turns one ServiceWrite into as few API calls
 * as the API allows; fakes in the tests record them.
 */
import type { Result } from "../../lib/core/result.js";
import type { ServiceInfo } from "./service-request.js";
import type { EventSpec, ServiceCondition, ServiceShown } from "./service-outcome.js";

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string | undefined;
}

/** A status condition as the API shows it; the core hands them back to the writer untouched. */
export interface StatusCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string | undefined;
  readonly lastTransitionTime?: Date | string | undefined;
}

/** One Service as the controller sees it, mapped from the API object by the adapter. */
export interface ServiceView {
  readonly ref: ServiceRef;
  readonly info: ServiceInfo;
  readonly shown: ServiceShown;
  readonly conditions: readonly StatusCondition[];
  readonly generation: number | undefined;
}

export interface StatusWrite {
  readonly ingress: readonly string[];
  /** Undefined: remove IronLB's condition. Other controllers' conditions are kept. */
  readonly condition: ServiceCondition | undefined;
  /** The conditions the Service shows now. */
  readonly current: readonly StatusCondition[];
  readonly generation: number | undefined;
}

export interface ServiceWrite {
  readonly ref: ServiceRef;
  /** New `status.loadBalancer.ingress` and condition; undefined: leave the status alone. */
  readonly status: StatusWrite | undefined;
  /** New `metallb.io/ip-allocated-from-pool` (null: remove it); undefined: leave it alone. */
  readonly pool: string | null | undefined;
}

export interface WriteFailure {
  /** gone: the Service no longer exists; retry: may work later; fatal: will not work as is. */
  readonly kind: "gone" | "retry" | "fatal";
  readonly message: string;
}

export interface ClusterWriter {
  writeService(write: ServiceWrite): Promise<Result<void, WriteFailure>>;
  /** Best effort and aggregated: never blocks or fails the reconcile that reports it. */
  recordEvent(ref: ServiceRef, event: EventSpec): void;
  /** Service `key` (`namespace/name`) was deleted: what was kept to aggregate its Events goes. */
  forgetEvents(key: string): void;
}
