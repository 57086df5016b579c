/**
 * Where given addresses (requested, or held from before) belong: the one usable pool containing
 * all of them, provided the Service may use it. Every refusal is RequestedIPUnavailable.
 */
import { formatIp, type Ip } from "../../lib/core/ip.js";
import { err, ok, type Result } from "../../lib/core/result.js";
import { type AllocationFailure, failure, FailureReason } from "./allocation-failure.js";
import { isBuggyIp } from "./buggy-ips.js";
import { type Pool, poolAllowsService, poolContaining, type PoolSet } from "./pool-set.js";
import type { AllocationRequest } from "./service-request.js";

/** Why `ips` do not fit the families and policy of `request`, if they do not. */
function familyProblem(request: AllocationRequest, ips: readonly Ip[]): string | undefined {
  const stray = ips.find((ip) => !request.families.includes(ip.family));
  if (stray) return `${stray.family} is not a family of this Service`;
  if (new Set(ips.map((ip) => ip.family)).size !== ips.length) return "two addresses of one family";
  if (request.policy === "RequireDualStack" && ips.length !== 2) {
    return "RequireDualStack needs one IPv4 and one IPv6 address";
  }
  return undefined;
}

/** The one pool holding all of `ips` that `request` may use (autoAssign does not matter). */
export function locatePool(
  pools: PoolSet,
  request: AllocationRequest,
  ips: readonly Ip[],
): Result<Pool, AllocationFailure> {
  const field = request.requestedField ?? "address";
  const text = `${field} "${ips.map(formatIp).join(",")}"`;
  const unavailable = (why: string): Result<never, AllocationFailure> =>
    err(failure(FailureReason.RequestedIPUnavailable, `${text}: ${why}`));
  const problem = familyProblem(request, ips);
  if (problem) return unavailable(problem);
  const found = ips.map((ip) => poolContaining(pools, ip.family, ip.value));
  const pool = found[0];
  if (!pool || found.some((p) => p !== pool)) return unavailable("not inside one usable pool");
  if (pool.avoidBuggyIPs && ips.some((ip) => isBuggyIp(ip.family, ip.value))) {
    return unavailable(`pool "${pool.name}" avoids .0 and .255 addresses (avoidBuggyIPs)`);
  }
  if (request.pool !== undefined && request.pool !== pool.name) {
    return unavailable(`in pool "${pool.name}", not in the requested pool "${request.pool}"`);
  }
  if (!poolAllowsService(pool, request.namespace, request.labels)) {
    return unavailable(`pool "${pool.name}" does not serve this Service (serviceAllocation)`);
  }
  return ok(pool);
}
