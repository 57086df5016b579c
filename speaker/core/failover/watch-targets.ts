/**
 * Who watches whom on the data path (docs/failover.md). For every announcement unit the
 * designated backup is the runner-up of its election: among the candidates that lost only on the
 * hash, the one with the smallest hash, so every node agrees on it without talking. A backup
 * watches each owner it backs up through ONE representative IP (the lowest IPv4 of those units,
 * else the lowest IPv6): the frames per node are bounded by the probe rate times
 * min(units, nodes), whatever the number of IPs.
 */
import { compareIps } from "../announcement-units.js";
import type { IpPlan } from "../announcements.js";
import { ELECTION_REASON, electionHash, type Election } from "../election.js";
import { parseIp } from "../../../lib/core/ip.js";

/** One owner this node backs up, and the IP that stands for all of its units. */
export interface WatchTarget {
  readonly owner: string;
  /** The representative IP: asked for at each probe. */
  readonly ip: string;
  /** Every IP of the units backed up: an answer or announcement for any of them counts. */
  readonly ips: ReadonlySet<string>;
}

/** The runner-up of a unit's election: the candidate that lost only on the hash, smallest hash. */
export function backupOf(unitKey: string, election: Election): string | undefined {
  let best: { node: string; hash: string } | undefined;
  for (const [node, reason] of election.reasons) {
    if (reason !== ELECTION_REASON.lostHash) continue;
    const hash = electionHash(node, unitKey);
    if (!best || hash < best.hash || (hash === best.hash && node < best.node))
      best = { node, hash };
  }
  return best?.node;
}

const v4First = (a: string, b: string): number => {
  const pa = parseIp(a);
  const pb = parseIp(b);
  if (!pa || !pb) return a < b ? -1 : 1;
  return compareIps(pa, pb);
};

/** The owners `node` is the designated backup of, each with its representative IP. */
export function watchTargets(plans: ReadonlyMap<string, IpPlan>, node: string): WatchTarget[] {
  const backedUp = new Map<string, Set<string>>();
  const backups = new Map<string, string | undefined>(); // per unit: computed once
  for (const plan of plans.values()) {
    const owner = plan.election.winner;
    if (owner === undefined || owner === node) continue;
    if (!backups.has(plan.unit)) backups.set(plan.unit, backupOf(plan.unit, plan.election));
    if (backups.get(plan.unit) !== node) continue;
    const ips = backedUp.get(owner) ?? new Set<string>();
    ips.add(plan.ip);
    backedUp.set(owner, ips);
  }
  return [...backedUp]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([owner, ips]) => ({ owner, ip: [...ips].sort(v4First)[0] ?? "", ips }));
}
