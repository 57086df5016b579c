/** The L2 announcer's options and what it reports (./l2-announcer.ts). */
import type { AnnounceOptions } from "../core/announce-schedule.js";
import type { FrameSocket } from "../core/frame-socket.js";
import type { ConflictEvidence } from "../core/responder.js";
import type { ClaimTiming, ConflictOutcome } from "./address-claims.js";
import type { AnnouncerLink, L2AnnouncerError } from "./link-sockets.js";
import type { MulticastGroups } from "./multicast-groups.js";
import type { Timers } from "../../lib/adapters/timers.js";

/**
 * A foreign MAC claimed one of our IPs on `iface`. `outcome.phase` `probing`: nothing was
 * announced yet, the IP is held for `retryInMs`; `announcing`: we keep answering for it, and
 * `defend` says whether an announcement went out for it just now.
 */
export interface AddressConflictReport {
  readonly ip: string;
  /** The foreign MAC claiming the IP. */
  readonly mac: string;
  readonly evidence: ConflictEvidence;
  readonly iface: string;
  readonly outcome: ConflictOutcome;
}

export interface L2AnnouncerOptions {
  /** Opens an interface's socket; default an AF_PACKET socket with a kernel filter (`openPacketSocket`). */
  readonly openSocket?: (link: AnnouncerLink) => FrameSocket;
  /** Multicast membership; default the kernel's (`KernelMulticastGroups`). */
  readonly groups?: MulticastGroups;
  readonly timers?: Timers;
  /** Gratuitous announcement schedule; default MetalLB's, every 1.1 s for 5 s. */
  readonly announce?: Partial<AnnounceOptions>;
  /**
   * Probe window (0 disables probing; default 200 ms), reprobe backoff after a probe conflict
   * (1 s doubling up to 60 s), defend interval (10 s): ./address-claims.ts.
   */
  readonly claims?: Partial<ClaimTiming>;
  readonly onConflict?: (conflict: AddressConflictReport) => void;
  /**
   * Sees every frame the kernel filter passed (ARP, NS, NA; not our own), after it was answered:
   * for pieces that listen next to the sockets, such as a data-path probe's replies. The bytes
   * are valid until it returns (`FrameHandler`).
   */
  readonly tap?: (iface: string, frame: Uint8Array) => void;
  /** Interfaces that cannot be opened, sends and group joins that fail. */
  readonly onError?: (err: L2AnnouncerError) => void;
}

export interface SetOwnedOptions {
  /** IPs another speaker announced before: announced at once, without a probe. */
  readonly takeovers?: Iterable<string>;
}
