/** BGP metrics with MetalLB's names, from the sessions FRR reports (vtysh ... json). */
import { Counter, Gauge, type Registry } from "prom-client";
import type { SessionState } from "../../core/bgp/neighbors.js";

export class BgpMetrics {
  private readonly up: Gauge;
  private readonly prefixes: Gauge;
  private readonly updates: Counter;
  private readonly applies: Counter;
  /** FRR's cumulative count per peer at the last read: the counter grows by the difference. */
  private readonly lastUpdates = new Map<string, number>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.up = new Gauge({
      name: "metallb_bgp_session_up",
      help: "BGP session state (1 is up, 0 is down)",
      labelNames: ["peer"],
      registers,
    });
    this.prefixes = new Gauge({
      name: "metallb_bgp_announced_prefixes_total",
      help: "Number of prefixes currently being advertised on the BGP session",
      labelNames: ["peer"],
      registers,
    });
    this.updates = new Counter({
      name: "metallb_bgp_updates_total",
      help: "Number of BGP UPDATE messages sent",
      labelNames: ["peer"],
      registers,
    });
    this.applies = new Counter({
      name: "ironlb_speaker_frr_reloads_total",
      help: "FRR configurations applied with frr-reload.py, by result (ok, test, reload, write)",
      labelNames: ["result"],
      registers,
    });
  }

  reloaded(result: string): void {
    this.applies.inc({ result });
  }

  /** The sessions of the configured peers; peers FRR does not report read as down. */
  setSessions(peers: readonly string[], sessions: ReadonlyMap<string, SessionState>): void {
    this.up.reset();
    this.prefixes.reset();
    for (const peer of peers) {
      const s = sessions.get(peer);
      this.up.set({ peer }, s?.up === true ? 1 : 0);
      this.prefixes.set({ peer }, s?.prefixesSent ?? 0);
      const total = s?.updatesSent ?? 0;
      const before = this.lastUpdates.get(peer) ?? 0;
      // A session reset starts FRR's count again: count what it has sent since.
      const grew = total >= before ? total - before : total;
      if (grew > 0) this.updates.inc({ peer }, grew);
      this.lastUpdates.set(peer, total);
    }
  }
}
