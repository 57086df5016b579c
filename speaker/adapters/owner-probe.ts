/**
 * Data-path failure detection (docs/failover.md), the frame side. As the designated backup of an
 * owner (../core/failover/watch-targets.ts), every `intervalMs` ask the owner for one
 * representative IP (ARP probe, or Neighbor Solicitation, unicast to the MAC that answered
 * last) and hear its answers; ../core/failover/owner-watch.ts decides when it is silent. As an
 * owner, defend the IPs the election gives this node against a peer speaker that announces them
 * (one announcement per IP per second): a backup that cannot hear this node took over wrongly,
 * and the owner's answer points clients back and, once the backup hears it, ends the takeover.
 *
 * It runs its own capture per interface (a kernel filter passing only answers to this node and
 * announcements), apart from the responder's, behind the same `FrameSocket` port, so it can move
 * into the frame worker with the responder.
 */
import { ownedBy, type IpPlan } from "../core/announcements.js";
import { announcementFrames } from "../core/announcement-frames.js";
import { ARP_OP, decodeArp, encodeArp, UNSPECIFIED_IPV4 } from "../core/arp.js";
import { BROADCAST_MAC, ETHERTYPE, ethertypeOf, ZERO_MAC } from "../core/ethernet.js";
import type { FrameSocket } from "../core/frame-socket.js";
import { decodeNdp, encodeDadSolicitation, encodeNeighborSolicitation } from "../core/ndp.js";
import { OwnerWatch, type OwnerWatchOptions } from "../core/failover/owner-watch.js";
import { takeoverReason, type MembershipFacts } from "../core/failover/takeover-reason.js";
import { watchTargets, type WatchTarget } from "../core/failover/watch-targets.js";
import type { FailoverMetrics } from "./failover-metrics.js";
import type { L2AnnouncerError } from "./link-sockets.js";
import { LinkSockets, type AnnouncerLink, type OpenLink } from "./link-sockets.js";
import { PcapFrameSocket } from "./pcap-frame-socket.js";
import { realTimers, type TimerHandle, type Timers } from "../../lib/adapters/timers.js";

/** Answers to this node, and announcements (ARP in either form, NA to all-nodes). */
export const ownerProbeFilter = (mac: string): string =>
  `(arp or (icmp6 and ip6[40] == 136)) and not ether src ${mac} and (ether dst ${mac} or ` +
  `ether dst 33:33:00:00:00:01 or (arp and (arp[6:2] = 2 or arp[14:4] = arp[24:4])))`;

export function openProbeSocket(link: AnnouncerLink): FrameSocket {
  const socket = new PcapFrameSocket(link.name, ownerProbeFilter(link.mac));
  socket.open();
  return socket;
}

const DEFEND_GAP_MS = 1000;

export interface OwnerProbeOptions {
  readonly node: string;
  readonly intervalMs: number;
  readonly watch?: OwnerWatchOptions;
  readonly openSocket?: (link: AnnouncerLink) => FrameSocket;
  readonly timers?: Timers;
  readonly metrics?: FailoverMetrics;
  /** The set of silent owners changed: plan again. */
  readonly onChange: () => void;
  /** The owners this node answers for now, after every plan (their Leases are read meanwhile). */
  readonly onSilent?: (owners: ReadonlySet<string>) => void;
  readonly onError?: (err: L2AnnouncerError) => void;
}

/** A unit this node now announces, and who did before. */
export interface Takeover {
  readonly ip: string;
  readonly previous: string;
  readonly services: readonly string[];
}

/** One claim heard on the segment: `ip` is at `mac`. */
interface Heard {
  readonly ip: string;
  readonly mac: string;
  /** An announcement (gratuitous ARP, unsolicited NA), not an answer to us. */
  readonly announced: boolean;
}

export class OwnerProbe {
  readonly #options: OwnerProbeOptions;
  readonly #timers: Timers;
  readonly #watch: OwnerWatch;
  readonly #sockets: LinkSockets;
  #links = new Map<string, AnnouncerLink>();
  readonly #peers = new Map<string, readonly string[]>();
  readonly #learned = new Map<string, string>();
  #defended: ReadonlySet<string> = new Set();
  readonly #lastDefense = new Map<string, number>();
  readonly #reasons = new Map<string, string>();
  #facts: MembershipFacts = { silent: new Set(), stopped: new Set(), live: new Set() };
  #timer: TimerHandle | undefined;
  #watching = 0;
  #stopped = false;

  constructor(options: OwnerProbeOptions) {
    this.#options = options;
    this.#timers = options.timers ?? realTimers;
    this.#watch = new OwnerWatch(options.watch);
    this.#sockets = new LinkSockets({
      open: options.openSocket ?? openProbeSocket,
      onFrame: (from, frame) => this.#onFrame(from, frame),
      onError: (err) => options.onError?.(err),
    });
  }

  /** The interfaces eligible for announcing: probes go out on each. */
  setLinks(links: Iterable<AnnouncerLink>): void {
    this.#links = new Map([...links].map((l) => [l.name, { ...l, mac: l.mac.toLowerCase() }]));
    this.#syncSockets();
  }

  /** A peer speaker's MACs (from the membership list); empty when it left. */
  setPeer(node: string, macs: readonly string[]): void {
    if (node === this.#options.node) return;
    if (macs.length === 0) this.#peers.delete(node);
    else
      this.#peers.set(
        node,
        macs.map((m) => m.toLowerCase()),
      );
  }

  /** The apiserver showed `node` renewing its Lease (owner-lease-poll.ts, during a takeover). */
  leaseRenewed(node: string): void {
    if (this.#watch.leaseRenewed(node, this.#timers.now())) this.#options.onChange();
  }

  /**
   * The plan with every live speaker (not yet minus silent owners): whom to watch, what to
   * defend. Returns the owners whose units this node answers for instead.
   */
  update(
    full: ReadonlyMap<string, IpPlan>,
    membership: Omit<MembershipFacts, "silent">,
  ): Set<string> {
    const targets = watchTargets(full, this.#options.node);
    this.#watch.setTargets(targets, this.#timers.now());
    this.#watching = targets.length;
    this.#defended = new Set(ownedBy(full, this.#options.node).keys());
    const silent = this.#watch.silent();
    this.#facts = { ...membership, silent };
    this.#syncSockets();
    this.#options.onSilent?.(silent);
    return silent;
  }

  /** Counts the units taken over, remembers why for `reasonOf`. */
  tookOver(takeovers: readonly Takeover[]): void {
    const now = this.#timers.now();
    for (const t of takeovers) {
      const reason = takeoverReason(t.previous, this.#facts);
      const heard = this.#watch.lastAnswerAt(t.previous);
      this.#options.metrics?.record(reason, heard === undefined ? undefined : (now - heard) / 1000);
      for (const service of t.services) this.#reasons.set(service, `${reason} (was ${t.previous})`);
    }
  }

  /** Why this node took the Service over, once (for its nodeAssigned event). */
  reasonOf(service: string): string | undefined {
    const reason = this.#reasons.get(service);
    this.#reasons.delete(service);
    return reason;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sockets.closeAll();
  }

  /** Sockets only while there is someone to watch or something to defend. */
  #syncSockets(): void {
    if (this.#stopped) return;
    const busy = this.#defended.size > 0 || this.#watching > 0;
    this.#sockets.sync(busy ? this.#links : new Map<string, AnnouncerLink>());
    if (busy && !this.#timer) this.#arm();
  }

  #arm(): void {
    this.#timer = this.#timers.setTimeout(() => this.#tick(), this.#options.intervalMs);
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const { probes, changed } = this.#watch.tick(this.#timers.now());
    for (const target of probes) this.#probe(target);
    if (changed) this.#options.onChange();
    if ([...this.#sockets.names()].length > 0) this.#arm();
  }

  #probe(target: WatchTarget): void {
    const dst = this.#learned.get(target.owner);
    for (const name of this.#sockets.names()) {
      const link = this.#sockets.get(name)?.link;
      if (link) this.#sockets.send(name, probeFor(link, target.ip, dst), target.ip);
    }
  }

  #onFrame(from: OpenLink, frame: Uint8Array): void {
    const heard = hear(frame);
    if (!heard || heard.mac === from.link.mac) return;
    const owner = this.#watch.ownerOf(heard.ip);
    const macs = owner === undefined ? undefined : this.#peers.get(owner);
    if (owner !== undefined && (macs === undefined || macs.includes(heard.mac))) {
      this.#learned.set(owner, heard.mac);
      if (this.#watch.heard(owner, this.#timers.now())) this.#options.onChange();
      return;
    }
    if (heard.announced && this.#defended.has(heard.ip) && this.#isPeer(heard.mac)) {
      this.#defend(heard.ip, from);
    }
  }

  #isPeer(mac: string): boolean {
    for (const macs of this.#peers.values()) if (macs.includes(mac)) return true;
    return false;
  }

  #defend(ip: string, from: OpenLink): void {
    const now = this.#timers.now();
    if (now - (this.#lastDefense.get(ip) ?? -Infinity) < DEFEND_GAP_MS) return;
    this.#lastDefense.set(ip, now);
    for (const frame of announcementFrames(from.link, ip)) {
      this.#sockets.send(from.link.name, frame, ip);
    }
  }
}

/** "Who has `ip`?" to the owner's MAC when known (else broadcast / solicited-node group). */
function probeFor(link: AnnouncerLink, ip: string, dst: string | undefined): Uint8Array {
  if (!ip.includes(":")) {
    const fields = { senderMac: link.mac, senderIp: UNSPECIFIED_IPV4, targetIp: ip };
    return encodeArp({
      ...fields,
      op: ARP_OP.request,
      targetMac: ZERO_MAC,
      ethDst: dst ?? BROADCAST_MAC,
    });
  }
  if (!link.ipv6LinkLocal || !dst) return encodeDadSolicitation(link.mac, ip);
  const to = { srcMac: link.mac, srcIp: link.ipv6LinkLocal, dstMac: dst, dstIp: ip, target: ip };
  return encodeNeighborSolicitation({ ...to, sourceLinkAddress: true });
}

/** The IP-to-MAC claim a received ARP answer/announcement or Neighbor Advertisement makes. */
function hear(frame: Uint8Array): Heard | undefined {
  const type = ethertypeOf(frame);
  if (type === ETHERTYPE.arp) {
    const arp = decodeArp(frame);
    if (!arp.ok || (arp.value.kind !== "reply" && arp.value.kind !== "announcement")) return;
    const p = arp.value;
    const announced = p.kind === "announcement" || p.ethDst === BROADCAST_MAC;
    return { ip: p.senderIp, mac: p.senderMac, announced };
  }
  if (type !== ETHERTYPE.ipv6) return;
  const nd = decodeNdp(frame);
  if (!nd.ok || nd.value.type !== "advertisement") return;
  const mac = nd.value.targetLinkAddress ?? nd.value.ethSrc;
  return { ip: nd.value.target, mac, announced: !nd.value.solicited };
}
