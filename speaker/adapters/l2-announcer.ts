/**
 * The speaker's link layer on real interfaces: for each IP this node owns, on each interface the
 * caller names for it, answer ARP requests and Neighbor Solicitations (core `decide`; a socket
 * that answers by itself gets a table, ./answer-tables.ts, and its answers are counted, not
 * resent), announce it (../core/announcement-frames.ts) at once and then per `AnnounceSchedule`,
 * and watch for another host using it (core `observe`).
 *
 * Address safety (RFC 5227, RFC 4862), state in ./address-claims.ts: an IP that no speaker
 * announced before (not a takeover) is probed first on each of its interfaces and announced when
 * nothing foreign claimed it within the probe window. A conflict during the probe holds the IP
 * back (no answers, no announcements) and it is probed again with a capped backoff. A foreign
 * claim while announcing is defended with one announcement, at most once per 10 s, and the IP
 * keeps being answered: one stray frame never takes it down. Every conflict is reported through
 * `onConflict`. Peer speakers' MACs (`setPeerMacs`) are never a conflict.
 *
 * For IPv6 the solicited-node group of each IP is joined on its interfaces (see
 * ./multicast-groups.ts for why). Nothing happens before the first `setOwned`; `stop()` closes
 * everything.
 */
import { AnnounceSchedule, DEFAULT_ANNOUNCE_OPTIONS } from "../core/announce-schedule.js";
import { announcementFrames, probeFrame } from "../core/announcement-frames.js";
import { primeResponder } from "../core/responder-priming.js";
import {
  decideReceived,
  observeReceived,
  receive,
  type Conflict,
  type Decision,
  type ObserverContext,
  type ResponderContext,
} from "../core/responder.js";
import {
  AddressClaims,
  canonicalOrThrow,
  splitPlacementKey,
  placementKey,
  type ClaimPhase,
} from "./address-claims.js";
import { CounterSet, type AnnouncerCounters } from "./announcer-counters.js";
import { AnswerTables } from "./answer-tables.js";
import {
  L2AnnouncerError,
  LinkSockets,
  openPacketSocket,
  type AnnouncerLink,
  type OpenLink,
} from "./link-sockets.js";
import {
  KernelMulticastGroups,
  SolicitedNodeMemberships,
  type MulticastGroups,
} from "./multicast-groups.js";
import type {
  AddressConflictReport,
  L2AnnouncerOptions,
  SetOwnedOptions,
} from "./l2-announcer-options.js";
import { realTimers, type TimerHandle, type Timers } from "../../lib/adapters/timers.js";

export { L2AnnouncerError, type AnnouncerLink, type ClaimPhase };
export type { AddressConflictReport, L2AnnouncerOptions, SetOwnedOptions };

const LIVE: readonly ClaimPhase[] = ["probing", "announcing"];
/** Held IPs keep their interfaces' sockets: no reopen churn at every reprobe. */
const ALL: readonly ClaimPhase[] = [...LIVE, "conflicted"];

export class L2Announcer {
  /** Whether this process compiled the receive path yet (`#primeOnce`). */
  static #primed = false;
  readonly #timers: Timers;
  readonly #groups: MulticastGroups;
  readonly #memberships: SolicitedNodeMemberships;
  readonly #ownsGroups: boolean;
  readonly #options: L2AnnouncerOptions;
  readonly #claims: AddressClaims;
  readonly #schedule: AnnounceSchedule;
  readonly #sockets: LinkSockets;
  readonly #counters = new CounterSet();
  readonly #answers = new AnswerTables((err) => this.#options.onError?.(err));
  #links = new Map<string, AnnouncerLink>();
  #observer: ObserverContext;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(options: L2AnnouncerOptions = {}) {
    this.#options = options;
    this.#timers = options.timers ?? realTimers;
    this.#ownsGroups = options.groups === undefined;
    this.#groups = options.groups ?? new KernelMulticastGroups();
    this.#memberships = new SolicitedNodeMemberships(this.#groups, (ip, iface, cause) => {
      const message = `cannot join the solicited-node group of ${ip} on ${iface}`;
      this.#options.onError?.(new L2AnnouncerError(message, { ip, iface, cause }));
    });
    this.#claims = new AddressClaims(options.claims);
    this.#observer = { ownMacs: new Set(), peerMacs: new Set(), watched: this.#claims.watched };
    this.#schedule = new AnnounceSchedule({ ...DEFAULT_ANNOUNCE_OPTIONS, ...options.announce });
    this.#sockets = new LinkSockets({
      open: options.openSocket ?? openPacketSocket,
      onFrame: (from, frame, answered) => this.#onFrame(from, frame, answered),
      onError: (err, during) => {
        if (during === "send") this.#counters.sendErrors++;
        this.#options.onError?.(err);
      },
    });
  }

  /** The interfaces that may be used (eligible ones); their MACs are never a conflict. */
  setInterfaces(links: Iterable<AnnouncerLink>): void {
    this.#links = new Map([...links].map((l) => [l.name, { ...l, mac: l.mac.toLowerCase() }]));
    const ownMacs = new Set([...this.#links.values()].map((l) => l.mac));
    this.#observer = { ...this.#observer, ownMacs };
    this.#sync();
  }

  /** The MACs of the other speakers: their claims on our IPs are takeovers, not conflicts. */
  setPeerMacs(macs: Iterable<string>): void {
    const peerMacs = new Set([...macs].map((m) => m.toLowerCase()));
    this.#observer = { ...this.#observer, peerMacs };
  }

  /**
   * The IPs this node owns now, each with the interfaces to announce it on (names not passed to
   * `setInterfaces` are ignored). IPs left out stop at once; new ones are probed, unless listed
   * as takeovers, then announced; kept ones go on as they were.
   */
  setOwned(owned: ReadonlyMap<string, Iterable<string>>, options: SetOwnedOptions = {}): void {
    if (this.#stopped) throw new Error("L2Announcer is stopped");
    this.#claims.set(owned, options.takeovers ?? [], this.#timers.now());
    this.#sync();
  }

  /** Where an IP stands, or undefined when not owned. */
  phase(ip: string): ClaimPhase | undefined {
    return this.#claims.get(canonicalOrThrow(ip))?.phase;
  }

  counters(): AnnouncerCounters {
    return this.#counters.snapshot();
  }

  /** Grows whenever a counter does: tells whether `counters()` changed without building it. */
  countersVersion(): number {
    return this.#counters.version;
  }

  /** Sends a frame on an open interface (`tap`'s counterpart); false when none or refused. */
  send(iface: string, frame: Uint8Array): boolean {
    return this.#sockets.send(iface, frame, "");
  }

  /** Stops answering and announcing, leaves the groups, closes the sockets. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#claims.clear();
    this.#sync();
    if (this.#ownsGroups) this.#groups.close();
  }

  /** Brings sockets, groups, probes and the schedule in line with the claims, then ticks. */
  #sync(): void {
    const reopened = this.#reconcile(this.#timers.now());
    this.#tick();
    if (reopened.size > 0) L2Announcer.#primeOnce();
  }

  #reconcile(now: number): ReadonlySet<string> {
    const reopened = this.#sockets.sync(this.#wantedLinks());
    this.#syncGroups(reopened);
    this.#sendProbes();
    this.#syncSchedule(now, reopened);
    this.#answers.sync(this.#sockets, this.#placements(["announcing"]));
    return reopened;
  }

  /**
   * Once per process, when the first socket is open and what is due went out, V8 compiles the
   * receive path (../core/responder-priming.ts, 20-40 ms): not earlier, as loading the libpcap
   * binding can make V8 drop code compiled before (under a loader such as tsx it does).
   */
  static #primeOnce(): void {
    if (L2Announcer.#primed) return;
    L2Announcer.#primed = true;
    primeResponder();
  }

  #placements(phases: readonly ClaimPhase[]) {
    return this.#claims.placements(phases, this.#links);
  }

  #wantedLinks(): Map<string, AnnouncerLink> {
    return new Map(Array.from(this.#placements(ALL), ([, , link]) => [link.name, link]));
  }

  #syncGroups(reopened: ReadonlySet<string>): void {
    const wanted: [string, string][] = [];
    for (const [ip, claim, link] of this.#placements(LIVE)) {
      if (claim.v6 && this.#sockets.get(link.name)) wanted.push([ip, link.name]);
    }
    this.#memberships.sync(wanted, reopened);
  }

  #sendProbes(): void {
    for (const ip of this.#claims.takeProbes()) {
      const claim = this.#claims.get(ip);
      for (const iface of claim?.ifaces ?? []) {
        const link = this.#sockets.get(iface)?.link;
        if (link && this.#sockets.send(iface, probeFrame(link, ip), ip))
          this.#counters.probesSent++;
      }
    }
  }

  #syncSchedule(now: number, reopened: ReadonlySet<string>): void {
    const wanted = new Set<string>();
    for (const [ip, , link] of this.#placements(["announcing"])) {
      if (this.#sockets.get(link.name)) wanted.add(placementKey(ip, link.name));
    }
    for (const key of this.#schedule.owned()) {
      if (!wanted.has(key)) this.#schedule.onLost(key);
    }
    for (const key of wanted) {
      if (this.#schedule.onOwned(key, now)) continue;
      if (reopened.has(splitPlacementKey(key)[1])) this.#schedule.restart(key, now);
    }
  }

  /** Ends probe windows and holds that are over, sends what is due, sets the next timer. */
  #tick(): void {
    const now = this.#timers.now();
    const moved = this.#claims.advance(now);
    if (moved.changed) this.#reconcile(now);
    for (const key of this.#schedule.due(now)) this.#announce(key);
    this.#arm(now, Math.min(moved.nextAt, this.#schedule.nextWakeup() ?? Infinity));
  }

  #arm(now: number, at: number): void {
    if (this.#timer) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (at === Infinity || this.#stopped) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
    }, at - now);
  }

  /** One announcement of `ip` on `iface`: counted per frame sent, as MetalLB does. */
  #announce(key: string): void {
    const [ip, iface] = splitPlacementKey(key);
    const link = this.#sockets.get(iface)?.link;
    if (!link) return;
    for (const frame of announcementFrames(link, ip)) {
      if (this.#sockets.send(iface, frame, ip)) this.#counters.gratuitous(ip);
    }
  }

  /** Decodes once for both questions; a conflict is handled before the answer is decided. */
  #onFrame(from: OpenLink, frame: Uint8Array, answered: boolean): void {
    this.#counters.framesReceived++;
    const received = receive(frame);
    const conflict = observeReceived(received, this.#observer);
    if (conflict) this.#onConflict(conflict, from.link.name);
    const { name, mac, ipv6LinkLocal } = from.link;
    const owned = this.#claims.answerable;
    const ctx: ResponderContext = ipv6LinkLocal
      ? { iface: name, mac, owned, ipv6Source: ipv6LinkLocal }
      : { iface: name, mac, owned };
    this.#act(decideReceived(received, ctx), answered);
    this.#options.tap?.(name, frame);
  }

  /** Sends a reply (unless the socket did) before counting it: the asker is waiting. */
  #act(decision: Decision, answered: boolean): void {
    if (decision.kind === "reply") {
      const sent = answered || this.#sockets.send(decision.iface, decision.frame, decision.ip);
      this.#counters.request(decision.ip);
      if (sent) this.#counters.response(decision.ip);
      return;
    }
    const phase = decision.ip === undefined ? undefined : this.#claims.get(decision.ip)?.phase;
    const withheld =
      decision.reason === "notOwned" && phase !== undefined && phase !== "announcing";
    this.#counters.drop(withheld ? phase : decision.reason);
  }

  /** Held back while probing; defended (every interface it is announced on) when announced. */
  #onConflict(conflict: Conflict, iface: string): void {
    const { ip, mac, evidence } = conflict;
    const outcome = this.#claims.conflict(ip, this.#timers.now());
    if (!outcome) return;
    this.#counters.conflict(ip, outcome.phase);
    if (outcome.phase === "probing") this.#sync();
    else if (outcome.defend) {
      this.#counters.defense(ip);
      for (const link of this.#claims.get(ip)?.ifaces ?? []) this.#announce(placementKey(ip, link));
    }
    this.#options.onConflict?.({ ip, mac, evidence, iface, outcome });
  }
}
