/**
 * The messages between the speaker (./frame-path.ts) and its frame path (./frame-path-worker.ts,
 * a worker thread), which owns the AF_PACKET sockets and the table of owned IPs and answers ARP
 * requests and Neighbor Solicitations by itself, so planning, API traffic and garbage collection
 * on the speaker's main thread never delay an answer.
 *
 * A worker thread, not a child process (one more V8 isolate, not one more Node process): the
 * sockets are our own addon (native/frame-socket), polled on the loop of the thread that opened
 * them. npm `cap` could not be used there: it registers its capture handles on libuv's default
 * loop (the main thread's), so its callbacks would run on the main thread.
 *
 * Ordering: both directions are FIFO (one message port). The frame path applies each command
 * when it reads it, between two frames, and acknowledges those with a `seq` once in force: after
 * the `applied` of an `owned` command that dropped an IP, no answer or announcement for that IP
 * leaves it (the addon's receiving threads included: their tables are replaced before). The speaker waits for that before it tells the cluster it released the IP.
 *
 * Everything here is plain data (structured clone).
 */
import type { AnnounceOptions } from "../core/announce-schedule.js";
import type { ClaimPhase, ClaimTiming } from "./address-claims.js";
import type { AnnouncerCounters } from "./announcer-counters.js";
import type { ReceiverPriority } from "./native-answers.js";
import type { AddressConflictReport } from "./l2-announcer-options.js";
import type { AnnouncerLink } from "./link-sockets.js";

/** The frame path's settings (its `workerData`): the announcer's timings (./l2-announcer-options.ts). */
export interface FramePathConfig {
  readonly announce?: Partial<AnnounceOptions>;
  readonly claims?: Partial<ClaimTiming>;
  /**
   * The frame path thread's niceness (-20..19, `setpriority`, which on Linux sets the calling
   * thread's only): below 0 it gets a CPU before the node's ordinary work when it wakes for a
   * frame (needs CAP_SYS_NICE; without, it is reported and the thread runs at the default).
   * Undefined: left as inherited.
   */
  readonly niceness?: number;
  /** How often the frame path sends its counters when they changed (default 250 ms). */
  readonly countersEveryMs?: number;
}

export type ToFramePath =
  | { readonly op: "interfaces"; readonly links: readonly AnnouncerLink[] }
  | { readonly op: "peers"; readonly macs: readonly string[] }
  | {
      readonly op: "owned";
      readonly seq: number;
      readonly owned: readonly (readonly [ip: string, ifaces: readonly string[]])[];
      readonly takeovers: readonly string[];
    }
  | { readonly op: "phase"; readonly seq: number; readonly ip: string }
  /** Send the counters now (changed or not), then `applied`. */
  | { readonly op: "counters"; readonly seq: number }
  /** Two full collections of this thread's heap (after a mass deletion: speaker/main.ts). */
  | { readonly op: "collect" }
  /** Stop answering, leave the groups, close the sockets; `applied`, then the thread ends. */
  | { readonly op: "stop"; readonly seq: number };

/** An `L2AnnouncerError` flattened for the trip: its cause as text. */
export interface ReportedError {
  readonly message: string;
  readonly iface: string | undefined;
  readonly ip: string | undefined;
  readonly cause: string | undefined;
}

export type FromFramePath =
  /** The command `seq` is in force; `phase` answers a `phase` command (null: not owned). */
  | { readonly kind: "applied"; readonly seq: number; readonly phase?: ClaimPhase | null }
  /** A command failed (a caller's bug, such as an IP that is not one). */
  | { readonly kind: "failed"; readonly seq: number; readonly message: string }
  | { readonly kind: "conflict"; readonly report: AddressConflictReport }
  | { readonly kind: "error"; readonly error: ReportedError }
  | { readonly kind: "counters"; readonly counters: AnnouncerCounters }
  /** Once per frame path, from its first socket: how its receiving threads are scheduled. */
  | { readonly kind: "receiver"; readonly iface: string; readonly priority: ReceiverPriority };
