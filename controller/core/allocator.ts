/**
 * The IP allocator: pure and in memory, fed with a PoolSet and allocation requests.
 * - A Service keeps the addresses it holds while they stay valid for its request and the pools.
 * - Requested IPs (annotation / spec.loadBalancerIP) must lie in one pool the Service may use
 *   (and in the annotated pool, if any); autoAssign does not matter for them.
 * - Otherwise pools are tried in order (see `candidatePools`) and each gives its lowest free
 *   address, or, for a Service with a sharing key, the lowest address it can share first.
 * - An address held by a Service that cannot share it is refused with SharingConflict.
 */
import { formatIp, type Ip, parseIp } from "../../lib/core/ip.js";
import { err, ok, type Result } from "../../lib/core/result.js";
import { AddressTable } from "./address-table.js";
import { type AllocationFailure, failure, FailureReason } from "./allocation-failure.js";
import { locatePool } from "./locate.js";
import type { Pool, PoolSet } from "./pool-set.js";
import { candidatePools, pickAddresses } from "./pick.js";
import type { AllocationRequest } from "./service-request.js";
import { sharingRefusalAll } from "./sharing.js";

/** Addresses a Service lost, and why (for a `ClearAssignment` event). */
export interface Cleared {
  readonly ips: readonly string[];
  readonly pool: string;
  readonly message: string;
}

/** A Service that lost its addresses in `setPools`. */
export interface LostAssignment {
  readonly service: string;
  readonly cleared: Cleared;
}

export interface Allocation {
  /** Canonical addresses, in the request's family order. */
  readonly ips: readonly string[];
  readonly pool: string;
  /** Set when the Service held other addresses before this call. */
  readonly cleared?: Cleared;
}

export type AllocationResult = Result<
  Allocation,
  AllocationFailure & { readonly cleared?: Cleared }
>;

/**
 * Pool status counts. bigint because a /64 holds 2^64 addresses; write them to the API with
 * `toStatusCount`.
 */
export interface PoolCounts {
  readonly assignedIPv4: bigint;
  readonly assignedIPv6: bigint;
  readonly availableIPv4: bigint;
  readonly availableIPv6: bigint;
}

/** A count for a JSON int64 field: exact up to 2^53 - 1, clamped above. */
export const toStatusCount = (n: bigint): number =>
  n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);

interface Holding {
  readonly pool: string;
  readonly ips: readonly Ip[];
  readonly request: AllocationRequest;
}

const EMPTY: PoolSet = { pools: [], byName: new Map(), errors: new Map() };
const textOf = (ips: readonly Ip[]): string[] => ips.map(formatIp);
const sameIps = (a: readonly Ip[], b: readonly Ip[]): boolean =>
  a.length === b.length &&
  a.every((ip) => b.some((o) => o.value === ip.value && o.family === ip.family));

export class Allocator {
  #pools: PoolSet = EMPTY;
  #table = new AddressTable(EMPTY);
  #held = new Map<string, Holding>();

  /**
   * Replaces the pools. Services whose addresses are no longer valid lose them and are returned
   * (sorted by key) so the controller can allocate again; the others keep theirs exactly.
   */
  setPools(pools: PoolSet): LostAssignment[] {
    const previous = [...this.#held].sort(([a], [b]) => (a < b ? -1 : 1));
    this.#pools = pools;
    this.#table = new AddressTable(pools);
    this.#held = new Map();
    const lost: LostAssignment[] = [];
    for (const [service, h] of previous) {
      const valid = this.#validate(service, h.request, h.ips);
      if (valid.ok) {
        this.#commit(service, h.request, valid.value, h.ips);
        continue;
      }
      const cleared = { ips: textOf(h.ips), pool: h.pool, message: valid.error.message };
      lost.push({ service, cleared });
    }
    return lost;
  }

  /**
   * Gives `service` exactly `ips` (its status at startup) if they are valid for `request`
   * (including its requested IPs, if any). On failure the controller calls `allocate`.
   */
  assign(service: string, request: AllocationRequest, ips: readonly string[]): AllocationResult {
    const parsed = ips.map((text) => parseIp(text));
    const wanted = parsed.filter((ip): ip is Ip => ip !== undefined);
    if (wanted.length === 0 || wanted.length !== ips.length) {
      const message = `status.loadBalancer.ingress "${ips.join(",")}": not a list of IP addresses`;
      return err(failure(FailureReason.RequestedIPUnavailable, message));
    }
    const held = this.#held.get(service);
    this.release(service);
    const valid = this.#validateHolding(service, request, wanted);
    const result: AllocationResult = valid.ok
      ? ok(this.#commit(service, request, valid.value, wanted))
      : valid;
    if (!held || (result.ok && sameIps(held.ips, wanted))) return result;
    const message = result.ok ? "replaced by an explicit assignment" : result.error.message;
    return withCleared(result, { ips: textOf(held.ips), pool: held.pool, message });
  }

  /**
   * The addresses of `service`: the ones it holds while still valid, else its requested IPs,
   * else fresh ones. `cleared` reports addresses it held and lost in this call.
   */
  allocate(service: string, request: AllocationRequest): AllocationResult {
    const held = this.#held.get(service);
    let cleared: Cleared | undefined;
    if (held) {
      const valid = this.#validateHolding(service, request, held.ips);
      if (valid.ok) return ok(this.#refresh(service, request, held, valid.value));
      cleared = this.#drop(service, valid.error.message);
    }
    const result =
      request.requestedIps.length > 0
        ? this.#take(service, request, request.requestedIps)
        : this.#pick(service, request);
    return withCleared(result, cleared);
  }

  /** Frees the addresses of `service`; returns them. */
  release(service: string): readonly string[] {
    const held = this.#held.get(service);
    if (!held) return [];
    for (const ip of held.ips) this.#table.remove(service, ip);
    this.#held.delete(service);
    return textOf(held.ips);
  }

  ipsOf(service: string): readonly string[] | undefined {
    const held = this.#held.get(service);
    return held && textOf(held.ips);
  }

  poolOf(service: string): string | undefined {
    return this.#held.get(service)?.pool;
  }

  /** Status counts of a usable pool; undefined for unknown or invalid pools. */
  counts(pool: string): PoolCounts | undefined {
    const p = this.#pools.byName.get(pool);
    if (!p) return undefined;
    const v4 = BigInt(this.#table.assigned(pool, "IPv4"));
    const v6 = BigInt(this.#table.assigned(pool, "IPv6"));
    return {
      assignedIPv4: v4,
      assignedIPv6: v6,
      availableIPv4: p.capacity.IPv4 - v4,
      availableIPv6: p.capacity.IPv6 - v6,
    };
  }

  #validateHolding(
    service: string,
    request: AllocationRequest,
    ips: readonly Ip[],
  ): Result<Pool, AllocationFailure> {
    const { requestedIps, requestedField } = request;
    if (requestedIps.length > 0 && !sameIps(requestedIps, ips)) {
      const message = `${requestedField ?? "requested IPs"} now asks for ${textOf(requestedIps).join(",")}`;
      return err(failure(FailureReason.RequestedIPUnavailable, message));
    }
    return this.#validate(service, request, ips);
  }

  /** Whether `service` may hold `ips` under `request` and the current pools. */
  #validate(
    service: string,
    request: AllocationRequest,
    ips: readonly Ip[],
  ): Result<Pool, AllocationFailure> {
    const located = locatePool(this.#pools, request, ips);
    if (!located.ok) return located;
    for (const ip of ips) {
      const holders = this.#table.entry(ip)?.holders;
      const refusal = holders && sharingRefusalAll(formatIp(ip), holders, service, request);
      if (!refusal) continue;
      // Name the annotation that asked for the address, when one did.
      const field = request.requestedField;
      const asked = field && `${field} "${textOf(request.requestedIps).join(",")}": `;
      return err(failure(FailureReason.SharingConflict, `${asked || ""}${refusal}`));
    }
    return located;
  }

  #take(service: string, request: AllocationRequest, ips: readonly Ip[]): AllocationResult {
    const valid = this.#validate(service, request, ips);
    return valid.ok ? ok(this.#commit(service, request, valid.value, ips)) : valid;
  }

  #pick(service: string, request: AllocationRequest): AllocationResult {
    const pools = candidatePools(this.#pools, request);
    if (!pools.ok) return pools;
    const picked = pickAddresses(this.#table, service, request, pools.value);
    if (!picked.ok) return picked;
    return ok(this.#commit(service, request, picked.value.pool, picked.value.ips));
  }

  /** Re-registers a still-valid holding with the new request; PreferDualStack may gain a family. */
  #refresh(service: string, request: AllocationRequest, held: Holding, pool: Pool): Allocation {
    for (const ip of held.ips) this.#table.remove(service, ip);
    let ips = held.ips;
    const missing = request.families.filter((f) => !ips.some((ip) => ip.family === f));
    if (
      request.policy === "PreferDualStack" &&
      missing.length > 0 &&
      request.requestedIps.length === 0
    ) {
      const extra = pickAddresses(this.#table, service, { ...request, families: missing }, [pool]);
      if (extra.ok) ips = [...ips, ...extra.value.ips];
    }
    return this.#commit(service, request, pool, ips);
  }

  #commit(service: string, request: AllocationRequest, pool: Pool, ips: readonly Ip[]): Allocation {
    const order = (ip: Ip): number => request.families.indexOf(ip.family);
    const sorted = [...ips].sort((a, b) => order(a) - order(b));
    for (const ip of sorted) this.#table.add(service, ip, pool, request);
    this.#held.set(service, { pool: pool.name, ips: sorted, request });
    return { ips: textOf(sorted), pool: pool.name };
  }

  #drop(service: string, message: string): Cleared {
    const pool = this.#held.get(service)?.pool ?? "";
    return { ips: this.release(service), pool, message };
  }
}

function withCleared(result: AllocationResult, cleared: Cleared | undefined): AllocationResult {
  if (!cleared) return result;
  return result.ok ? ok({ ...result.value, cleared }) : err({ ...result.error, cleared });
}
