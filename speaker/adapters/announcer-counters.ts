/**
 * What the L2 announcer did, as plain monotonic numbers for the metrics wiring to read:
 * per IP like MetalLB's `metallb_layer2_{requests_received,responses_sent,gratuitous_sent}`, and
 * totals for the rest. Drops are counted by reason only (a flood for unowned IPs must not create
 * one series per IP).
 */
import type { DropReason } from "../core/responder.js";

/**
 * The core's reasons, plus `probing` (asked about an IP whose probe window is still open) and
 * `conflicted` (asked about an IP held back after a conflict at probe time).
 */
export type AnnouncerDropReason = DropReason | "probing" | "conflicted";

export interface AnnouncerCounters {
  /** Frames that passed the kernel filter. */
  readonly framesReceived: number;
  /** Requests (ARP request/probe, NS) for an IP we announce on that interface, by IP. */
  readonly requestsReceived: Readonly<Record<string, number>>;
  /** Replies sent (ARP reply, solicited NA), by IP. */
  readonly responsesSent: Readonly<Record<string, number>>;
  /** Gratuitous ARPs and unsolicited NAs sent, by IP (one per interface per slot). */
  readonly gratuitousSent: Readonly<Record<string, number>>;
  /** ARP probes and DAD solicitations sent before a first announcement. */
  readonly probesSent: number;
  /**
   * Foreign claims on an IP we probe or announce, by `ip|phase` (phase `probing` or
   * `announcing`): only our own IPs, never the foreign MAC, so the series stay bounded.
   */
  readonly conflicts: Readonly<Record<string, number>>;
  /** Announcements sent to defend an announced IP against a foreign claim, by IP. */
  readonly defensesSent: Readonly<Record<string, number>>;
  /** Frames the socket refused to send. */
  readonly sendErrors: number;
  readonly drops: Readonly<Partial<Record<AnnouncerDropReason, number>>>;
}

export class CounterSet {
  framesReceived = 0;
  probesSent = 0;
  sendErrors = 0;
  readonly #conflicts = new Map<string, number>();
  readonly #defenses = new Map<string, number>();
  readonly #requests = new Map<string, number>();
  readonly #responses = new Map<string, number>();
  readonly #gratuitous = new Map<string, number>();
  readonly #drops = new Map<AnnouncerDropReason, number>();
  #bumps = 0;

  /** Grows with every count: a snapshot taken at the same version is the same. */
  get version(): number {
    return this.#bumps + this.framesReceived + this.probesSent + this.sendErrors;
  }

  request(ip: string): void {
    this.#bump(this.#requests, ip);
  }
  response(ip: string): void {
    this.#bump(this.#responses, ip);
  }
  gratuitous(ip: string): void {
    this.#bump(this.#gratuitous, ip);
  }
  conflict(ip: string, phase: "probing" | "announcing"): void {
    this.#bump(this.#conflicts, `${ip}|${phase}`);
  }
  defense(ip: string): void {
    this.#bump(this.#defenses, ip);
  }
  drop(reason: AnnouncerDropReason): void {
    this.#bump(this.#drops, reason);
  }

  #bump<K>(map: Map<K, number>, key: K): void {
    map.set(key, (map.get(key) ?? 0) + 1);
    this.#bumps++;
  }

  snapshot(): AnnouncerCounters {
    return {
      framesReceived: this.framesReceived,
      requestsReceived: Object.fromEntries(this.#requests),
      responsesSent: Object.fromEntries(this.#responses),
      gratuitousSent: Object.fromEntries(this.#gratuitous),
      probesSent: this.probesSent,
      conflicts: Object.fromEntries(this.#conflicts),
      defensesSent: Object.fromEntries(this.#defenses),
      sendErrors: this.sendErrors,
      drops: Object.fromEntries(this.#drops),
    };
  }
}
