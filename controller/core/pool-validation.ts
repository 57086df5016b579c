/** Validation of one IPAddressPool spec on its own (overlaps between pools: see pool-set.ts). */
import {
  type IpFamily,
  type IpRange,
  type IpRangeError,
  parseRange,
  rangeSize,
  rangesOverlap,
} from "../../lib/core/ip.js";
import { parseLabelSelector, selectorMatches } from "../../lib/core/label-selector.js";
import type { LabelSelector, Selector } from "../../lib/core/label-selector.js";
import { err, ok, type Result } from "../../lib/core/result.js";
import { countBuggy } from "./buggy-ips.js";
import type { NamespaceInfo, Pool, PoolSpec } from "./pool-set.js";

export type PoolErrorCode =
  | IpRangeError["code"]
  | "OVERLAP"
  | "NO_ADDRESSES"
  | "BAD_SELECTOR"
  | "BAD_NAMESPACE"
  | "BAD_PRIORITY";

export interface PoolError {
  readonly pool: string;
  readonly code: PoolErrorCode;
  /** The field at fault, e.g. `spec.addresses[2]`. */
  readonly field: string;
  readonly value: string;
  readonly message: string;
  /** For OVERLAP: the other pool. */
  readonly otherPool?: string;
}

export interface ValidatedPool {
  readonly pool: Pool;
  /** The parsed `spec.addresses`, index for index. */
  readonly specRanges: readonly IpRange[];
}

const RANGE_PROBLEM: Record<IpRangeError["code"], string> = {
  BAD_ADDRESS: "is not an IP address, CIDR or address range",
  BAD_PREFIX: "has an invalid prefix length",
  MIXED_FAMILIES: "mixes IPv4 and IPv6 addresses",
  REVERSED_RANGE: "is reversed: its first address is after its last",
};

function parseAddresses(spec: PoolSpec): { ranges: IpRange[]; errors: PoolError[] } {
  const ranges: IpRange[] = [];
  const indexOf = new Map<IpRange, number>();
  const errors: PoolError[] = [];
  const at = (i: number, code: PoolErrorCode, why: string): PoolError => {
    const field = `spec.addresses[${i}]`;
    const value = spec.addresses[i] ?? "";
    const message = `pool "${spec.name}": ${field} "${value}" ${why}`;
    return { pool: spec.name, code, field, value, message };
  };
  for (const [i, text] of spec.addresses.entries()) {
    const parsed = parseRange(text);
    if (!parsed.ok) {
      errors.push(at(i, parsed.error.code, RANGE_PROBLEM[parsed.error.code]));
      continue;
    }
    const earlier = ranges.find((r) => rangesOverlap(r, parsed.value));
    if (earlier) {
      const j = indexOf.get(earlier) ?? -1;
      errors.push(at(i, "OVERLAP", `overlaps spec.addresses[${j}] "${spec.addresses[j]}"`));
    }
    indexOf.set(parsed.value, i);
    ranges.push(parsed.value);
  }
  if (spec.addresses.length === 0) {
    const message = `pool "${spec.name}": spec.addresses is empty`;
    errors.push({
      pool: spec.name,
      code: "NO_ADDRESSES",
      field: "spec.addresses",
      value: "",
      message,
    });
  }
  return { ranges, errors };
}

function parseSelectors(
  pool: string,
  field: string,
  raw: readonly LabelSelector[],
): Result<Selector[], PoolError> {
  const out: Selector[] = [];
  for (const [i, selector] of raw.entries()) {
    const parsed = parseLabelSelector(selector);
    if (!parsed.ok) {
      const at = `${field}[${i}].${parsed.error.field}`;
      const { value } = parsed.error;
      const message = `pool "${pool}": ${at} "${value}": ${parsed.error.message}`;
      return err({ pool, code: "BAD_SELECTOR", field: at, value, message });
    }
    out.push(parsed.value);
  }
  return ok(out);
}

/** A namespace name (DNS-1123 label): anything else names no namespace, ever. */
const isNamespaceName = (name: string): boolean =>
  name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);

/**
 * A negative priority (MetalLB leaves its order undefined; 0 means none), or a listed namespace
 * that cannot exist: either would silently change which Services the pool serves.
 */
function allocationError(pool: string, spec: PoolSpec): PoolError | undefined {
  const alloc = spec.serviceAllocation;
  const error = (code: PoolErrorCode, field: string, value: string, why: string): PoolError => {
    const message = `pool "${pool}": ${field} "${value}": ${why}`;
    return { pool, code, field, value, message };
  };
  const priority = alloc?.priority;
  if (priority !== undefined && priority < 0) {
    const why = "must be 0 (no priority) or positive, lower first";
    return error("BAD_PRIORITY", "spec.serviceAllocation.priority", String(priority), why);
  }
  const i = (alloc?.namespaces ?? []).findIndex((name) => !isNamespaceName(name));
  if (i < 0) return undefined;
  const why = 'is not a namespace name: at most 63 lowercase alphanumerics or "-"';
  const value = alloc?.namespaces?.[i] ?? "";
  return error("BAD_NAMESPACE", `spec.serviceAllocation.namespaces[${i}]`, value, why);
}

interface Selection {
  readonly namespaces: ReadonlySet<string> | undefined;
  readonly serviceSelectors: readonly Selector[];
}

function parseSelection(
  spec: PoolSpec,
  all: readonly NamespaceInfo[],
): Result<Selection, PoolError> {
  const invalid = allocationError(spec.name, spec);
  if (invalid) return err(invalid);
  const alloc = spec.serviceAllocation;
  const base = "spec.serviceAllocation";
  const nsRaw = alloc?.namespaceSelectors ?? [];
  const nsSelectors = parseSelectors(spec.name, `${base}.namespaceSelectors`, nsRaw);
  if (!nsSelectors.ok) return nsSelectors;
  const svcRaw = alloc?.serviceSelectors ?? [];
  const serviceSelectors = parseSelectors(spec.name, `${base}.serviceSelectors`, svcRaw);
  if (!serviceSelectors.ok) return serviceSelectors;
  const namespaces = allowedNamespaces(alloc?.namespaces ?? [], nsSelectors.value, all);
  return ok({ namespaces, serviceSelectors: serviceSelectors.value });
}

/**
 * `namespaces` plus the namespaces matched by `namespaceSelectors`; undefined (any namespace)
 * when neither is given. Unlike MetalLB, selectors that match no namespace allow none.
 */
function allowedNamespaces(
  listed: readonly string[],
  selectors: readonly Selector[],
  all: readonly NamespaceInfo[],
): ReadonlySet<string> | undefined {
  if (listed.length === 0 && selectors.length === 0) return undefined;
  const namespaces = new Set(listed);
  for (const ns of all) {
    if (selectors.some((s) => selectorMatches(s, ns.labels))) namespaces.add(ns.name);
  }
  return namespaces;
}

function capacityOf(ranges: readonly IpRange[], avoidBuggy: boolean): Record<IpFamily, bigint> {
  const capacity: Record<IpFamily, bigint> = { IPv4: 0n, IPv6: 0n };
  for (const r of ranges) capacity[r.family] += rangeSize(r) - (avoidBuggy ? countBuggy(r) : 0n);
  return capacity;
}

const byAddress = (a: IpRange, b: IpRange): number =>
  a.family !== b.family ? (a.family < b.family ? -1 : 1) : a.first < b.first ? -1 : 1;

/**
 * Validates one pool spec; all address errors are reported, then the first serviceAllocation
 * error (priority, namespaces, selectors).
 */
export function validatePool(
  spec: PoolSpec,
  namespaces: readonly NamespaceInfo[],
): Result<ValidatedPool, PoolError[]> {
  const { ranges, errors } = parseAddresses(spec);
  const selection = parseSelection(spec, namespaces);
  if (!selection.ok) errors.push(selection.error);
  if (errors.length > 0 || !selection.ok) return err(errors);
  const avoidBuggyIPs = spec.avoidBuggyIPs ?? false;
  const priority = spec.serviceAllocation?.priority;
  const pool: Pool = {
    name: spec.name,
    ranges: [...ranges].sort(byAddress),
    autoAssign: spec.autoAssign ?? true,
    avoidBuggyIPs,
    priority: priority !== undefined && priority > 0 ? priority : undefined,
    ...selection.value,
    capacity: capacityOf(ranges, avoidBuggyIPs),
  };
  return ok({ pool, specRanges: ranges });
}
