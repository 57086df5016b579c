/**
 * Who uses which address, for one PoolSet: holders per IP (with their sharing attributes), the
 * used-address runs of every pool range, IPs by sharing key, and assigned counts per pool.
 * Every operation costs O(log runs) plus the ranges of one pool; nothing scans a pool.
 */
import { formatIp, type Ip, type IpFamily, type IpRange } from "../../lib/core/ip.js";
import type { Pool, PoolSet } from "./pool-set.js";
import type { Sharer } from "./sharing.js";
import { UsedRuns } from "./used-runs.js";

export interface IpEntry {
  readonly ip: Ip;
  readonly text: string;
  readonly pool: string;
  /** The sharing key of its holders (all holders have the same one). */
  readonly sharingKey: string | undefined;
  /** Service key -> its sharing attributes. */
  readonly holders: Map<string, Sharer>;
}

interface RangeState {
  readonly range: IpRange;
  readonly runs: UsedRuns;
}

/** Freed entries kept before the map is rebuilt without them (also bounded by those in use). */
const MIN_COMPACT = 1_024;

export class AddressTable {
  /**
   * Holders by address text. A freed address keeps its entry (with no holders) instead of being
   * deleted: V8's Map leaves a tombstone per delete that later lookups walk until the table is
   * rehashed, which made alloc+release 10 to 30 times slower with 65,000 addresses in use than
   * with a few (docs/benchmarks.md). Freed entries are dropped by rebuilding the map once they
   * outnumber the used ones, so memory stays bounded by use.
   */
  #entries = new Map<string, IpEntry>();
  #freed = 0;
  readonly #bySharingKey = new Map<string, Set<IpEntry>>();
  readonly #ranges = new Map<string, readonly RangeState[]>();
  readonly #assigned = new Map<string, Record<IpFamily, number>>();

  constructor(pools: PoolSet) {
    for (const pool of pools.pools) {
      const states = pool.ranges.map((range) => ({
        range,
        runs: new UsedRuns(range, pool.avoidBuggyIPs),
      }));
      this.#ranges.set(pool.name, states);
      this.#assigned.set(pool.name, { IPv4: 0, IPv6: 0 });
    }
  }

  entry(ip: Ip): IpEntry | undefined {
    return this.#used(formatIp(ip));
  }

  /** Distinct addresses of `family` in use in `pool`. */
  assigned(pool: string, family: IpFamily): number {
    return this.#assigned.get(pool)?.[family] ?? 0;
  }

  /** Whether the pool has addresses of `family` at all. */
  hasFamily(pool: string, family: IpFamily): boolean {
    return (this.#ranges.get(pool) ?? []).some((s) => s.range.family === family);
  }

  /** The lowest free address of `family` in `pool` (ranges in address order). */
  lowestFree(pool: string, family: IpFamily): Ip | undefined {
    for (const { range, runs } of this.#ranges.get(pool) ?? []) {
      if (range.family !== family) continue;
      const value = runs.lowestFree();
      if (value !== undefined) return { family, value };
    }
    return undefined;
  }

  /** Addresses of `family` in `pool` already used under `sharingKey`, lowest first. */
  shared(pool: string, family: IpFamily, sharingKey: string): IpEntry[] {
    const entries = [...(this.#bySharingKey.get(sharingKey) ?? [])];
    return entries
      .filter((e) => e.pool === pool && e.ip.family === family)
      .sort((a, b) => (a.ip.value < b.ip.value ? -1 : 1));
  }

  /** Adds `service` as a holder of `ip` in `pool`. The caller checked that it may. */
  add(service: string, ip: Ip, pool: Pool, sharer: Sharer): void {
    const text = formatIp(ip);
    let entry = this.#used(text);
    if (!entry) {
      if (this.#entries.has(text)) this.#freed--;
      const { sharingKey } = sharer;
      entry = { ip, text, pool: pool.name, sharingKey, holders: new Map() };
      this.#runsFor(pool.name, ip).add(ip.value);
      this.#entries.set(text, entry);
      this.#count(pool.name, ip.family, +1);
      if (sharingKey !== undefined) this.#keyed(sharingKey).add(entry);
    }
    entry.holders.set(service, sharer);
  }

  /** Removes `service` from the holders of `ip`; frees the address when nobody is left. */
  remove(service: string, ip: Ip): void {
    const entry = this.#used(formatIp(ip));
    if (!entry?.holders.delete(service))
      throw new Error(`${service} does not hold ${formatIp(ip)}`);
    if (entry.holders.size > 0) return;
    this.#release();
    this.#runsFor(entry.pool, ip).remove(ip.value);
    this.#count(entry.pool, ip.family, -1);
    const key = entry.sharingKey;
    const set = key === undefined ? undefined : this.#bySharingKey.get(key);
    if (set?.delete(entry) && set.size === 0) this.#bySharingKey.delete(key ?? "");
  }

  #used(text: string): IpEntry | undefined {
    const entry = this.#entries.get(text);
    return entry && entry.holders.size > 0 ? entry : undefined;
  }

  /** Keeps the freed entry in place; rebuilds the map when freed entries dominate. */
  #release(): void {
    this.#freed++;
    const used = this.#entries.size - this.#freed;
    if (this.#freed < MIN_COMPACT || this.#freed <= used) return;
    const kept = new Map<string, IpEntry>();
    for (const [text, e] of this.#entries) if (e.holders.size > 0) kept.set(text, e);
    this.#entries = kept;
    this.#freed = 0;
  }

  #keyed(sharingKey: string): Set<IpEntry> {
    let set = this.#bySharingKey.get(sharingKey);
    if (!set) this.#bySharingKey.set(sharingKey, (set = new Set()));
    return set;
  }

  #count(pool: string, family: IpFamily, delta: number): void {
    const counts = this.#assigned.get(pool);
    if (counts) counts[family] += delta;
  }

  #runsFor(pool: string, ip: Ip): UsedRuns {
    const state = (this.#ranges.get(pool) ?? []).find(
      ({ range }) =>
        range.family === ip.family && ip.value >= range.first && ip.value <= range.last,
    );
    if (!state) throw new Error(`${formatIp(ip)} is not in pool ${pool}`);
    return state.runs;
  }
}
