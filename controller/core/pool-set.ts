/**
 * `buildPoolSet` turns IPAddressPool specs (MetalLB `metallb.io/v1beta1` semantics) and the
 * cluster's namespaces into the pools the allocator may use, plus per-pool validation errors
 * that become pool status conditions. A pool with any error is left out; nothing throws.
 *
 * Overlap: pools are checked oldest first (creation time, then name); a pool whose address
 * overlaps an already accepted pool is the one reported (its error names both pools) and left
 * out, so a pool that is serving keeps working when a newer one overlaps it (no assigned IP moves
 * because somebody added a bad pool; MetalLB's webhook refuses the newcomer for the same reason).
 * Overlaps inside one pool are reported the same way.
 */
import { type IpFamily, type IpRange, rangesOverlap } from "../../lib/core/ip.js";
import { selectorMatches } from "../../lib/core/label-selector.js";
import type { LabelSelector, Labels, Selector } from "../../lib/core/label-selector.js";
import { type PoolError, type ValidatedPool, validatePool } from "./pool-validation.js";

export type { PoolError, PoolErrorCode } from "./pool-validation.js";

/** An IPAddressPool as the adapter maps it (`metadata.name` plus `spec`). */
export interface PoolSpec {
  readonly name: string;
  /** `metadata.creationTimestamp` (RFC 3339, UTC): on overlap the older pool wins. */
  readonly createdAt?: string | undefined;
  readonly addresses: readonly string[];
  /** Default true. */
  readonly autoAssign?: boolean | undefined;
  /** Default false. */
  readonly avoidBuggyIPs?: boolean | undefined;
  readonly serviceAllocation?:
    | {
        readonly priority?: number | undefined;
        readonly namespaces?: readonly string[] | undefined;
        readonly namespaceSelectors?: readonly LabelSelector[] | undefined;
        readonly serviceSelectors?: readonly LabelSelector[] | undefined;
      }
    | undefined;
}

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Labels;
}

export interface Pool {
  readonly name: string;
  /** Sorted by family (IPv4 first), then first address. */
  readonly ranges: readonly IpRange[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  /**
   * `serviceAllocation.priority` when > 0, else undefined. As in MetalLB (Go zero value), 0 means
   * "no priority", and pools without one come after pools with one; a negative one is an error.
   */
  readonly priority: number | undefined;
  /** Allowed namespaces (`namespaces` plus those matched by `namespaceSelectors`); undefined: all. */
  readonly namespaces: ReadonlySet<string> | undefined;
  /** Services must match one of these; empty: all services. */
  readonly serviceSelectors: readonly Selector[];
  /** Addresses the pool can hand out, per family (.0/.255 excluded with avoidBuggyIPs). */
  readonly capacity: Readonly<Record<IpFamily, bigint>>;
}

export interface PoolSet {
  /** Usable pools in allocation order: priority (lower first, none last), then name. */
  readonly pools: readonly Pool[];
  readonly byName: ReadonlyMap<string, Pool>;
  /** Validation errors of rejected pools, by pool name (rejected pools are not in `pools`). */
  readonly errors: ReadonlyMap<string, readonly PoolError[]>;
}

const byName = (a: { name: string }, b: { name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** Oldest first; pools without a creation time (not stored yet) after those with one. */
const byAge = (a: PoolSpec, b: PoolSpec): number => {
  const [ta, tb] = [a.createdAt ?? "~", b.createdAt ?? "~"]; // "~" sorts after any digit
  return ta < tb ? -1 : ta > tb ? 1 : byName(a, b);
};

/** Allocation order: pools with a priority first (lower first), then by name. */
export function comparePools(a: Pool, b: Pool): number {
  const pa = a.priority ?? Number.POSITIVE_INFINITY;
  const pb = b.priority ?? Number.POSITIVE_INFINITY;
  return pa !== pb ? (pa < pb ? -1 : 1) : byName(a, b);
}

/** Whether the pool restricts which Services may use it (serviceAllocation selection). */
export const isPinningPool = (pool: Pool): boolean =>
  pool.namespaces !== undefined || pool.serviceSelectors.length > 0;

/** Whether a Service in `namespace` with `labels` may take addresses from `pool`. */
export function poolAllowsService(pool: Pool, namespace: string, labels: Labels): boolean {
  if (pool.namespaces !== undefined && !pool.namespaces.has(namespace)) return false;
  if (pool.serviceSelectors.length === 0) return true;
  return pool.serviceSelectors.some((s) => selectorMatches(s, labels));
}

function overlapError(
  candidate: ValidatedPool,
  spec: PoolSpec,
  accepted: readonly ValidatedPool[],
): PoolError | undefined {
  const name = candidate.pool.name;
  for (const other of accepted) {
    for (const [i, mine] of candidate.specRanges.entries()) {
      const j = other.specRanges.findIndex((r) => rangesOverlap(r, mine));
      if (j < 0) continue;
      const field = `spec.addresses[${i}]`;
      const value = spec.addresses[i] ?? "";
      const theirs = `spec.addresses[${j}] of pool "${other.pool.name}"`;
      const message = `pool "${name}": ${field} "${value}" overlaps ${theirs}`;
      return { pool: name, code: "OVERLAP", field, value, otherPool: other.pool.name, message };
    }
  }
  return undefined;
}

/**
 * Validates every pool and resolves `namespaceSelectors` against `namespaces` (rebuild the set
 * when namespaces or their labels change).
 */
export function buildPoolSet(
  specs: readonly PoolSpec[],
  namespaces: readonly NamespaceInfo[],
): PoolSet {
  const errors = new Map<string, readonly PoolError[]>();
  const accepted: ValidatedPool[] = [];
  for (const spec of [...specs].sort(byAge)) {
    if (errors.has(spec.name) || accepted.some((v) => v.pool.name === spec.name)) {
      throw new Error(`pool "${spec.name}" given twice: pool names are unique in a namespace`);
    }
    const result = validatePool(spec, namespaces);
    if (!result.ok) {
      errors.set(spec.name, result.error);
      continue;
    }
    const overlap = overlapError(result.value, spec, accepted);
    if (overlap) errors.set(spec.name, [overlap]);
    else accepted.push(result.value);
  }
  const pools = accepted.map((v) => v.pool).sort(comparePools);
  return { pools, byName: new Map(pools.map((p) => [p.name, p])), errors };
}

/** The usable pool containing `value` of `family`, if any (linear in configured ranges). */
export function poolContaining(set: PoolSet, family: IpFamily, value: bigint): Pool | undefined {
  return set.pools.find((p) =>
    p.ranges.some((r) => r.family === family && value >= r.first && value <= r.last),
  );
}
