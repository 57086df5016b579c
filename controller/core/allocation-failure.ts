/**
 * Why a Service got no IP. The reason strings are stable: they become the reason of the Service
 * condition `ironlb.io/IPAllocated` and of `AllocationFailed` events.
 */
export const FailureReason = {
  /** No pool may serve this Service (unknown/invalid pool name, selectors, families). */
  NoMatchingPool: "NoMatchingPool",
  /** Pools may serve it, but none has a free address of the wanted family. */
  PoolExhausted: "PoolExhausted",
  /** The address is held by another Service and the sharing rules refuse to share it. */
  SharingConflict: "SharingConflict",
  /** The requested address is malformed, outside every usable pool, or not allowed here. */
  RequestedIPUnavailable: "RequestedIPUnavailable",
  /** Not ours: not `type: LoadBalancer`, or another `loadBalancerClass`. */
  NotHandled: "NotHandled",
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

export interface AllocationFailure {
  readonly reason: FailureReason;
  /** Human message naming the field and value at fault. */
  readonly message: string;
  /** The field at fault, e.g. `metallb.io/loadBalancerIPs`, when there is one. */
  readonly field?: string;
  readonly value?: string;
}

export const failure = (reason: FailureReason, message: string): AllocationFailure => ({
  reason,
  message,
});
