/**
 * The status IronLB writes on an IPAddressPool: MetalLB's four counts, our `assigned` and
 * `available` columns (exact, also for /64 pools), and `Valid` / `Advertised` conditions that
 * say why a pool serves no Service.
 */
import type { PoolCounts } from "./allocator.js";
import { toStatusCount } from "./allocator.js";
import type { PoolError } from "./pool-set.js";

export interface PoolConditionSpec {
  readonly type: "Valid" | "Advertised";
  readonly status: "True" | "False";
  readonly reason: string;
  readonly message: string;
}

export interface PoolStatusSpec {
  readonly assignedIPv4: number;
  readonly assignedIPv6: number;
  readonly availableIPv4: number;
  readonly availableIPv6: number;
  readonly assigned: string;
  readonly available: string;
  readonly conditions: readonly PoolConditionSpec[];
}

const ZERO: PoolCounts = {
  assignedIPv4: 0n,
  assignedIPv6: 0n,
  availableIPv4: 0n,
  availableIPv6: 0n,
};

function column(v4: bigint, v6: bigint, hasV4: boolean, hasV6: boolean): string {
  if (hasV4 && hasV6) return `${v4} IPv4, ${v6} IPv6`;
  return String(hasV6 ? v6 : v4);
}

/** The kinds of advertisement that can announce a pool. */
export type AdvertisementKind = "L2Advertisement" | "BGPAdvertisement";

const NOT_ADVERTISED: PoolConditionSpec = {
  type: "Advertised",
  status: "False",
  reason: "NotAdvertised",
  message:
    "no L2Advertisement or BGPAdvertisement selects this pool: its IPs are assigned but no node " +
    "answers ARP/NDP for them or announces them over BGP",
};

/** `Advertised`, naming the kinds that select the pool (L2 first). */
export function advertisedCondition(kinds: readonly AdvertisementKind[]): PoolConditionSpec {
  const named = (["L2Advertisement", "BGPAdvertisement"] as const).filter((k) => kinds.includes(k));
  if (named.length === 0) return NOT_ADVERTISED;
  const text = named.map((k) =>
    k === "L2Advertisement" ? "an L2Advertisement" : "a BGPAdvertisement",
  );
  return {
    type: "Advertised",
    status: "True",
    reason: "Advertised",
    message: `selected by ${text.join(" and ")}`,
  };
}

export function poolStatus(
  counts: PoolCounts | undefined,
  errors: readonly PoolError[],
  advertisedBy: readonly AdvertisementKind[],
): PoolStatusSpec {
  const c = counts ?? ZERO;
  const hasV4 = c.assignedIPv4 + c.availableIPv4 > 0n;
  const hasV6 = c.assignedIPv6 + c.availableIPv6 > 0n;
  const valid: PoolConditionSpec =
    errors.length === 0
      ? { type: "Valid", status: "True", reason: "Valid", message: "addresses parsed, no overlap" }
      : {
          type: "Valid",
          status: "False",
          reason: errors[0]?.code ?? "Invalid",
          message: `pool not used: ${errors.map((e) => e.message).join("; ")}`,
        };
  const adv = advertisedCondition(advertisedBy);
  return {
    assignedIPv4: toStatusCount(c.assignedIPv4),
    assignedIPv6: toStatusCount(c.assignedIPv6),
    availableIPv4: toStatusCount(c.availableIPv4),
    availableIPv6: toStatusCount(c.availableIPv6),
    assigned: column(c.assignedIPv4, c.assignedIPv6, hasV4, hasV6),
    available: column(c.availableIPv4, c.availableIPv6, hasV4, hasV6),
    conditions: [valid, adv],
  };
}
