/**
 * planAnnouncements (announcements.ts), kept up to date change by change: the planner holds the
 * Services' and endpoints' views and the plan of every unit, and a pass re-elects only the units
 * a changed Service or endpoint set belongs to, before or after the change (an IP change can join
 * two units or split one). A change of nodes, pools, advertisements or live speakers re-plans
 * everything, as they enter every election. Pure: state in memory, no clock, no I/O; the result
 * equals planAnnouncements over the same view (incremental-plan.test.ts checks it on random
 * change sequences).
 */
import type { Labels } from "../../lib/core/label-selector.js";
import { formatIp, parseIp } from "../../lib/core/ip.js";
import type { L2AdvertisementSpec } from "../../lib/core/l2-advertisement.js";
import {
  type ClusterView,
  type EndpointView,
  type IpPlan,
  type NodeView,
  planAnnouncements,
  planUnit,
  type ServiceView,
} from "./announcements.js";
import { announcementUnits } from "./announcement-units.js";

/** What enters every election. */
export interface SharedView {
  readonly nodes: ReadonlyMap<string, NodeView>;
  readonly poolLabels: ReadonlyMap<string, Labels>;
  readonly advertisements: readonly L2AdvertisementSpec[];
  readonly liveSpeakers: ReadonlySet<string>;
}

const canonical = (ips: readonly string[]): string[] =>
  ips.flatMap((raw) => {
    const ip = parseIp(raw);
    return ip ? [formatIp(ip)] : [];
  });

export class IncrementalPlanner {
  /** Services IronLB assigned (with a pool), by key. */
  private readonly services = new Map<string, ServiceView>();
  private readonly endpoints = new Map<string, EndpointView>();
  /** Canonical IP -> keys of the Services using it. */
  private readonly users = new Map<string, Set<string>>();
  private readonly plans = new Map<string, IpPlan>();
  /** Service key -> the unit key it was last planned in. */
  private readonly unitOf = new Map<string, string>();
  /** Unit key -> its IPs and Services as last planned. */
  private readonly units = new Map<
    string,
    { ips: readonly string[]; services: readonly string[] }
  >();
  private readonly dirty = new Set<string>();
  private shared: SharedView | undefined;
  private everything = true;
  /** `view()` until a Service or the shared view changes (passes then share one array). */
  private lastView: ClusterView | undefined;

  constructor(private readonly thisNode: string) {}

  /** A Service added, changed or (undefined) deleted. */
  setService(key: string, view: ServiceView | undefined): void {
    for (const ip of canonical(this.services.get(key)?.ips ?? [])) {
      const users = this.users.get(ip);
      users?.delete(key);
      if (users?.size === 0) this.users.delete(ip);
    }
    if (view?.pool === undefined) this.services.delete(key);
    else {
      this.services.set(key, view);
      for (const ip of canonical(view.ips)) {
        const users = this.users.get(ip) ?? new Set<string>();
        this.users.set(ip, users.add(key));
      }
    }
    this.dirty.add(key);
    this.lastView = undefined;
  }

  /** A Service's endpoints changed (undefined: it has none). */
  setEndpoints(key: string, view: EndpointView | undefined): void {
    if (view) this.endpoints.set(key, view);
    else this.endpoints.delete(key);
    this.dirty.add(key);
  }

  /** Nodes, pools, advertisements or live speakers changed: everything is planned again. */
  setShared(shared: SharedView): void {
    this.shared = shared;
    this.everything = true;
    this.lastView = undefined;
  }

  /** The plan of every IP, as planAnnouncements would give it now. */
  plan(): ReadonlyMap<string, IpPlan> {
    if (this.everything) this.replanAll(this.view());
    else if (this.dirty.size > 0) this.replan(this.view(), this.affected());
    this.everything = false;
    this.dirty.clear();
    return this.plans;
  }

  /**
   * The election input as it stands (also what the BGP side plans from). The same object until
   * a Service or the shared view changes: a pass that changed neither copies nothing. Its
   * `endpoints` is the live map, so endpoint changes show without a new view.
   */
  view(): ClusterView {
    const shared = this.shared ?? {
      ...{ nodes: new Map(), poolLabels: new Map(), advertisements: [] },
      liveSpeakers: new Set<string>(),
    };
    this.lastView ??= {
      ...shared,
      services: [...this.services.values()],
      endpoints: this.endpoints,
    };
    return this.lastView;
  }

  private replanAll(view: ClusterView): void {
    this.plans.clear();
    this.unitOf.clear();
    this.units.clear();
    for (const [ip, plan] of planAnnouncements(view, this.thisNode)) this.plans.set(ip, plan);
    for (const plan of this.plans.values()) this.remember(plan.unit, plan);
  }

  /**
   * The dirty Services, the members of their previous units (a unit may split), and everything
   * now connected to any of them through shared IPs: whole units, old and new.
   */
  private affected(): Set<string> {
    const seeds = new Set(this.dirty);
    for (const key of this.dirty) {
      const unit = this.units.get(this.unitOf.get(key) ?? "");
      for (const s of unit?.services ?? []) seeds.add(s);
    }
    const seen = new Set<string>();
    const queue = [...seeds];
    for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push(...this.sharing(key));
    }
    return seen;
  }

  /** The Services using one of `key`'s IPs. */
  private sharing(key: string): string[] {
    return canonical(this.services.get(key)?.ips ?? []).flatMap((ip) => [
      ...(this.users.get(ip) ?? []),
    ]);
  }

  private replan(view: ClusterView, keys: ReadonlySet<string>): void {
    for (const key of keys) {
      const unitKey = this.unitOf.get(key);
      const unit = this.units.get(unitKey ?? "");
      if (!unit || unitKey === undefined) continue;
      for (const ip of unit.ips) this.plans.delete(ip);
      for (const s of unit.services) this.unitOf.delete(s);
      this.units.delete(unitKey);
    }
    const members = [...keys].flatMap((k) => this.services.get(k) ?? []);
    const byKey = new Map(members.map((s) => [s.key, s]));
    for (const unit of announcementUnits(members)) {
      for (const plan of planUnit(view, unit, byKey, this.thisNode)) {
        this.plans.set(plan.ip, plan);
        this.remember(unit.key, plan);
      }
    }
  }

  private remember(unitKey: string, plan: IpPlan): void {
    const unit = this.units.get(unitKey);
    const services = [...new Set([...(unit?.services ?? []), ...plan.services])];
    this.units.set(unitKey, { ips: [...(unit?.ips ?? []), plan.ip], services });
    for (const s of plan.services) this.unitOf.set(s, unitKey);
  }
}
