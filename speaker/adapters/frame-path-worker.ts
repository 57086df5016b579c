/**
 * The speaker's frame path, run in a worker thread of the speaker (./frame-path.ts starts it):
 * an `L2Announcer` on AF_PACKET sockets (./packet-frame-socket.ts, polled on this thread's own
 * event loop) that answers ARP requests and Neighbor Solicitations for the owned-IP table,
 * probes, announces and defends, driven by the speaker's commands and reporting back by message
 * (./frame-path-protocol.ts). Its event loop and V8 heap do nothing else, so an answer never
 * waits behind planning, API traffic or the main thread's garbage collection. The common answer
 * (a plain ARP request or NS for an announced IP) does not even wait for this thread: each
 * socket's receiving thread in the addon sends it from the table the announcer keeps it
 * (./answer-tables.ts), at SCHED_FIFO priority 1 (reported once: `receiver` message).
 *
 * A thread dies with its process: it never outlives the speaker.
 *
 * Pieces that must sit next to the sockets (data-path probes of another node, for example) run
 * here: `L2Announcer.send` puts a frame on an interface and the `tap` option sees every frame
 * the kernel filter passed (ARP, NS, NA).
 */
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { exposedGc } from "../../lib/adapters/heap-trim.js";
import type { FramePathConfig, FromFramePath, ToFramePath } from "./frame-path-protocol.js";
import { L2Announcer } from "./l2-announcer.js";
import { openPacketSocket } from "./link-sockets.js";

const DEFAULT_COUNTERS_EVERY_MS = 250;
/** Two full collections of this thread's heap (node's --expose-gc reaches worker threads too). */
const collectGarbage = exposedGc();

if (!parentPort) throw new Error("frame-path-worker runs in a worker thread (./frame-path.ts)");
const port = parentPort;
const config = (workerData ?? {}) as FramePathConfig;
let closed = false;
const post = (m: FromFramePath): void => {
  if (!closed) port.postMessage(m);
};

/** Reports the first socket's receiving thread priority (the same for every socket). */
let receiverReported = false;
const announcer = new L2Announcer({
  openSocket: (link) => {
    const socket = openPacketSocket(link);
    const priority = socket.receiver()?.priority;
    if (priority && !receiverReported) post({ kind: "receiver", iface: link.name, priority });
    receiverReported ||= priority !== undefined;
    return socket;
  },
  ...(config.announce === undefined ? {} : { announce: config.announce }),
  ...(config.claims === undefined ? {} : { claims: config.claims }),
  onConflict: (report) => post({ kind: "conflict", report }),
  onError: (e) => {
    const cause = e.cause instanceof Error ? e.cause.message : JSON.stringify(e.cause);
    post({ kind: "error", error: { message: e.message, iface: e.iface, ip: e.ip, cause } });
  },
});

if (config.niceness !== undefined) {
  try {
    setPriority(config.niceness); // on Linux, this thread's niceness only
  } catch (e) {
    const message = `frame path keeps its CPU priority (niceness ${config.niceness} refused)`;
    post({ kind: "error", error: { message, iface: undefined, ip: undefined, cause: String(e) } });
  }
}

/** Sends the counters when they changed since the last time, at most once per interval. */
let sentVersion = -1;
const sendCounters = (always = false): void => {
  const version = announcer.countersVersion();
  if (version === sentVersion && !always) return;
  sentVersion = version;
  post({ kind: "counters", counters: announcer.counters() });
};
const countersTimer = setInterval(
  () => sendCounters(),
  config.countersEveryMs ?? DEFAULT_COUNTERS_EVERY_MS,
);

/** Stops answering at once; the thread ends once `last` is posted and its loop is empty. */
function stop(last: FromFramePath): void {
  announcer.stop();
  clearInterval(countersTimer);
  sendCounters();
  post(last);
  closed = true;
  port.close();
}

function handle(m: ToFramePath): void {
  switch (m.op) {
    case "interfaces":
      return announcer.setInterfaces(m.links);
    case "peers":
      return announcer.setPeerMacs(m.macs);
    case "owned":
      announcer.setOwned(new Map(m.owned), { takeovers: m.takeovers });
      return post({ kind: "applied", seq: m.seq });
    case "phase":
      return post({ kind: "applied", seq: m.seq, phase: announcer.phase(m.ip) ?? null });
    case "counters":
      sendCounters(true);
      return post({ kind: "applied", seq: m.seq });
    case "collect":
      return collectGarbage?.();
    case "stop":
      return stop({ kind: "applied", seq: m.seq });
  }
}

port.on("message", (m: ToFramePath) => {
  try {
    handle(m);
  } catch (e) {
    const message = `${m.op}: ${(e as Error).message}`;
    if ("seq" in m) post({ kind: "failed", seq: m.seq, message });
    else
      post({
        kind: "error",
        error: { message, iface: undefined, ip: undefined, cause: undefined },
      });
  }
});
