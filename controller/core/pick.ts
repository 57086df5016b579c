/**
 * Choosing pools and addresses for a Service that requested none.
 * Pool order: the annotated pool alone; else autoAssign pools that may serve the Service, those
 * whose serviceAllocation selects it first, each group by priority (lower first, none last) then
 * name. In a pool, a Service with a sharing key first takes the lowest address it can share,
 * else the lowest free address.
 */
import type { Ip, IpFamily } from "../../lib/core/ip.js";
import { err, ok, type Result } from "../../lib/core/result.js";
import type { AddressTable } from "./address-table.js";
import { type AllocationFailure, failure, FailureReason } from "./allocation-failure.js";
import { isPinningPool, type Pool, poolAllowsService, type PoolSet } from "./pool-set.js";
import { ANNOTATION, type AllocationRequest } from "./service-request.js";
import { sharingRefusalAll } from "./sharing.js";

export function candidatePools(
  set: PoolSet,
  request: AllocationRequest,
): Result<Pool[], AllocationFailure> {
  const allows = (p: Pool): boolean => poolAllowsService(p, request.namespace, request.labels);
  if (request.pool !== undefined) {
    const pool = set.byName.get(request.pool);
    const field = `${request.poolField ?? ANNOTATION.addressPool} "${request.pool}"`;
    if (!pool) {
      const why = set.errors.has(request.pool) ? "is invalid (see its status)" : "does not exist";
      return err(failure(FailureReason.NoMatchingPool, `${field}: the pool ${why}`));
    }
    if (!allows(pool)) {
      const why = "the pool's serviceAllocation does not select this Service";
      return err(failure(FailureReason.NoMatchingPool, `${field}: ${why}`));
    }
    return ok([pool]);
  }
  const usable = set.pools.filter((p) => p.autoAssign && allows(p));
  if (usable.length === 0) {
    const why = `no pool with autoAssign serves Services in namespace "${request.namespace}"`;
    return err(failure(FailureReason.NoMatchingPool, why));
  }
  return ok([...usable.filter(isPinningPool), ...usable.filter((p) => !isPinningPool(p))]);
}

interface Found {
  readonly ip?: Ip | undefined;
  readonly conflict?: string | undefined;
}

function findAddress(
  table: AddressTable,
  service: string,
  request: AllocationRequest,
  at: { readonly pool: Pool; readonly family: IpFamily },
): Found {
  const { pool, family } = at;
  let conflict: string | undefined;
  if (request.sharingKey !== undefined) {
    for (const entry of table.shared(pool.name, family, request.sharingKey)) {
      const refusal = sharingRefusalAll(entry.text, entry.holders, service, request);
      if (refusal === undefined) return { ip: entry.ip };
      conflict ??= refusal;
    }
  }
  const ip = table.lowestFree(pool.name, family);
  return ip ? { ip } : { conflict };
}

interface Offer {
  readonly pool: Pool;
  /** Per wanted family: undefined when the pool has no such addresses. */
  readonly found: readonly (Found | undefined)[];
}

export interface Picked {
  readonly pool: Pool;
  readonly ips: readonly Ip[];
}

/**
 * Addresses for every wanted family from one pool (first pool that has them all); for
 * PreferDualStack, failing that, the primary family alone, else the secondary alone.
 */
export function pickAddresses(
  table: AddressTable,
  service: string,
  request: AllocationRequest,
  pools: readonly Pool[],
): Result<Picked, AllocationFailure> {
  const offers: Offer[] = pools.map((pool) => ({
    pool,
    found: request.families.map((family) =>
      table.hasFamily(pool.name, family)
        ? findAddress(table, service, request, { pool, family })
        : undefined,
    ),
  }));
  const ipsOf = (o: Offer): Ip[] => o.found.flatMap((f) => (f?.ip ? [f.ip] : []));
  const full = offers.find((o) => ipsOf(o).length === request.families.length);
  if (full) return ok({ pool: full.pool, ips: ipsOf(full) });
  if (request.policy === "PreferDualStack") {
    for (const i of request.families.keys()) {
      const one = offers.find((o) => o.found[i]?.ip);
      const ip = one?.found[i]?.ip;
      if (one && ip) return ok({ pool: one.pool, ips: [ip] });
    }
  }
  return err(explain(offers, request));
}

function explain(offers: readonly Offer[], request: AllocationRequest): AllocationFailure {
  const families = request.families.join(" and ");
  const names = offers.map((o) => `"${o.pool.name}"`).join(", ");
  const prefer = request.policy === "PreferDualStack";
  const fits = offers.filter((o) =>
    prefer ? o.found.some((f) => f !== undefined) : o.found.every((f) => f !== undefined),
  );
  if (fits.length === 0) {
    const why = `no pool this Service may use (${names}) has ${prefer ? "IPv4 or IPv6" : families} addresses`;
    return failure(FailureReason.NoMatchingPool, why);
  }
  const conflict = fits.flatMap((o) => o.found).find((f) => f?.conflict)?.conflict;
  if (conflict !== undefined) return failure(FailureReason.SharingConflict, conflict);
  const fitting = fits.map((o) => `"${o.pool.name}"`).join(", ");
  const none = request.families.filter((_, i) => fits.every((o) => !o.found[i]?.ip));
  const what = none.length > 0 ? `no free ${none.join(" or ")} address` : `no ${families} together`;
  return failure(FailureReason.PoolExhausted, `${what} in pool ${fitting}`);
}
