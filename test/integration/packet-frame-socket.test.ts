/**
 * Our AF_PACKET addon (native/frame-socket) through PacketFrameSocket, on a real link: two
 * namespaces on one bridge, each running ./fixtures/frame-socket-node.ts. Frames are sent by
 * libpcap (test/support/send-frames.ts, independent of the addon) or by the peer's socket, and
 * compared byte for byte. Ethertypes 0x88b5/0x88b6 (IEEE local experimental): nothing else on
 * the link uses them. The socket's receiving thread answers ARP requests and Neighbor
 * Solicitations of its table by itself: checked against the core's `decide` (the oracle).
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { encodeArpRequest } from "../../speaker/core/arp.js";
import { decide } from "../../speaker/core/responder.js";
import { encodeNeighborSolicitation } from "../../speaker/core/ndp.js";
import type { ReceiverInfo } from "../../speaker/adapters/native-answers.js";
import { NetnsLab, removeStaleNamespaces, stopChild } from "../support/netns.js";

const skip = process.getuid?.() !== 0 ? "needs root (network namespaces, AF_PACKET)" : false;

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..");
const BROADCAST = "ffffffffffff";
const SOURCE = "020000000a01";
const PAYLOAD = "00112233445566778899aabbccddeeff".repeat(3);
/** A broadcast frame from SOURCE with `ethertype` (hex) and the fixed payload. */
const frame = (ethertype: string, tag = "00"): string =>
  `${BROADCAST}${SOURCE}${ethertype}${tag}${PAYLOAD}`;

let lab: NetnsLab;
const ns = { lan: "", a: "", b: "" };
const mac = { a: "", b: "" };
const started: Node[] = [];

before(() => {
  if (skip) return;
  removeStaleNamespaces();
  lab = new NetnsLab();
  ns.lan = lab.addNamespace("lan");
  lab.addBridge(ns.lan);
  ns.a = lab.addNamespace("a");
  ns.b = lab.addNamespace("b");
  mac.a = lab.attach(ns.a, { bridgeNs: ns.lan }, []).mac;
  mac.b = lab.attach(ns.b, { bridgeNs: ns.lan }, []).mac;
});

after(async () => {
  if (skip) return;
  try {
    await Promise.all(started.map((n) => n.stop()));
  } finally {
    await lab.cleanup();
  }
  assert.deepEqual(lab.existing(), [], "every namespace of this run is gone");
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface FixtureEvent {
  readonly event: string;
  readonly id?: number;
  readonly hex?: string;
  readonly answered?: boolean;
  readonly receiver?: ReceiverInfo;
}

/** A running fixture: the frames it received (hex, with arrival time) and its commands. */
class Node {
  readonly frames: { hex: string; at: number; answered: boolean }[] = [];
  readonly #waiting = new Map<number, (receiver?: ReceiverInfo) => void>();
  #id = 1;

  constructor(readonly child: ChildProcess) {}

  static async start(netns: string, options: Record<string, unknown>): Promise<Node> {
    const script = join(here, "fixtures", "frame-socket-node.ts");
    const args = ["--import", "tsx", script, JSON.stringify({ iface: "eth0", ...options })];
    const node = new Node(lab.spawn(netns, process.execPath, args, repoRoot));
    started.push(node);
    const stderr: string[] = [];
    node.child.stderr?.on("data", (c: Buffer) => stderr.push(c.toString()));
    await new Promise<void>((resolve, reject) => {
      node.child.once("exit", (code) =>
        reject(new Error(`fixture exited ${code}: ${stderr.join("")}`)),
      );
      createInterface({ input: node.child.stdout! }).on("line", (line) => {
        const e = JSON.parse(line) as FixtureEvent;
        if (e.event === "ready") resolve();
        else if (e.event === "error") reject(new Error(`fixture: ${line}`));
        else if (e.event === "frame") {
          node.frames.push({ hex: e.hex ?? "", at: performance.now(), answered: !!e.answered });
        } else if (e.event === "ok") node.#waiting.get(e.id ?? 0)?.(e.receiver);
      });
    });
    return node;
  }

  command(op: string, extra: Record<string, unknown> = {}): Promise<ReceiverInfo | undefined> {
    const id = this.#id++;
    const answered = new Promise<ReceiverInfo | undefined>((r) => this.#waiting.set(id, r));
    this.child.stdin?.write(`${JSON.stringify({ id, op, ...extra })}\n`);
    return answered;
  }

  async stop(): Promise<void> {
    this.child.stdin?.end();
    await stopChild(this.child, 2000);
  }
}

/** Sends frames from `netns` through libpcap, `gapMs` apart. */
/** Sends `frames` from `netns`, from a process pinned to `cpu` when given (taskset). */
function sendWithPcap(netns: string, frames: string[], gapMs = 20, cpu?: number): void {
  const script = join(repoRoot, "test", "support", "send-frames.ts");
  const send = [process.execPath, "--import", "tsx", script, "eth0", String(gapMs), ...frames];
  if (cpu === undefined) lab.exec(netns, send[0] ?? "", send.slice(1));
  else lab.exec(netns, "taskset", ["-c", String(cpu), ...send]);
}

test(
  "a frame sent on the link is received whole; the kernel filter drops others",
  { skip },
  async () => {
    const b = await Node.start(ns.b, { filter: "ether proto 0x88b5" });
    try {
      sendWithPcap(ns.a, [frame("88b6", "01"), frame("88b5", "02"), frame("0800", "03")]);
      await sleep(300);
      assert.deepEqual(
        b.frames.map((f) => f.hex),
        [frame("88b5", "02")],
      );
    } finally {
      await b.stop();
    }
  },
);

test("a frame sent by the socket arrives on the peer as sent", { skip }, async () => {
  const a = await Node.start(ns.a, { filter: "ether proto 0x88b5" });
  const b = await Node.start(ns.b, { filter: "ether proto 0x88b6" });
  try {
    await b.command("send", { hex: frame("88b5", "04") });
    await sleep(300);
    assert.deepEqual(
      a.frames.map((f) => f.hex),
      [frame("88b5", "04")],
    );
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test("nothing is delivered after close", { skip }, async () => {
  const b = await Node.start(ns.b, { filter: "ether proto 0x88b5" });
  try {
    sendWithPcap(ns.a, [frame("88b5", "05")]);
    await sleep(200);
    await b.command("close");
    sendWithPcap(ns.a, [frame("88b5", "06"), frame("88b5", "07")]);
    await sleep(300);
    assert.deepEqual(
      b.frames.map((f) => f.hex),
      [frame("88b5", "05")],
    );
  } finally {
    await b.stop();
  }
});

test(
  "opened in a worker thread, frames are handled there while the main thread is busy",
  { skip },
  async () => {
    const a = await Node.start(ns.a, { filter: "ether proto 0x88b6" });
    const b = await Node.start(ns.b, { filter: "ether proto 0x88b5", worker: true, echo: true });
    try {
      await b.command("block", { ms: 2000 });
      await sleep(100); // b's main thread is now in its busy loop
      const sentAt = performance.now();
      await a.command("send", { hex: frame("88b5", "08") });
      while (a.frames.length === 0 && performance.now() - sentAt < 3000) await sleep(5);
      const echo = a.frames[0];
      assert.ok(echo, "the echo arrived");
      const expected = `${BROADCAST}020000000b0188b608${PAYLOAD}`;
      assert.equal(echo.hex, expected);
      const waited = echo.at - sentAt;
      assert.ok(waited < 1000, `echoed after ${Math.round(waited)} ms: waited for the main thread`);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  },
);

const V4 = "198.18.53.200";
const V6 = "2001:db8:53::200";
const ASKER = { v4: "198.18.53.100", v6: "2001:db8:53::100" };
const hex = (f: Uint8Array): string => Buffer.from(f).toString("hex");

/** Requests from a (its real MAC) to b: ARP broadcast, NS unicast to b's MAC (no group joined). */
function requests(ip4: string, ip6: string): { arp: Uint8Array; ns: Uint8Array } {
  const arp = encodeArpRequest({ senderMac: mac.a, senderIp: ASKER.v4, targetIp: ip4 });
  const ns = encodeNeighborSolicitation({
    srcMac: mac.a,
    srcIp: ASKER.v6,
    dstMac: mac.b,
    dstIp: ip6,
    target: ip6,
    sourceLinkAddress: true,
  });
  return { arp, ns };
}

/** What the core answers for `frame` on b with `ips` owned: the reply's hex, or undefined. */
function oracleReply(frame: Uint8Array, ips: readonly string[]): string | undefined {
  const owned = new Map(ips.map((ip) => [ip, new Set(["eth0"])]));
  const d = decide(frame, { iface: "eth0", mac: mac.b, owned });
  return d.kind === "reply" ? hex(d.frame) : undefined;
}

test(
  "one lane per CPU, each pinned to its CPU: a request sent from any CPU is answered once and reaches JS once",
  { skip },
  async () => {
    const a = await Node.start(ns.a, { filter: `ether src ${mac.b} and arp` });
    const b = await Node.start(ns.b, { filter: `not ether src ${mac.b} and (arp or icmp6)` });
    try {
      const online = cpus().length; // the kernel's online CPUs, as sysconf(_SC_NPROCESSORS_ONLN)
      const lanes = Math.min(online, 32);
      const receiver = await b.command("receiver");
      assert.deepEqual(
        [receiver?.lanes, receiver?.pinned],
        [lanes, lanes > 1 ? lanes : 0],
        "a socket per online CPU (at most 32), each thread pinned to its own",
      );
      await b.command("answers", { table: { mac: mac.b, ips: [V4, V6] } });
      const { arp } = requests(V4, V6);
      for (let cpu = 0; cpu < lanes; cpu++) sendWithPcap(ns.a, [hex(arp)], 20, cpu);
      await sleep(300);
      const reply = oracleReply(arp, [V4, V6]);
      assert.deepEqual(
        a.frames.map((f) => f.hex),
        Array.from({ length: lanes }, () => reply),
        "one answer per request, whichever CPU sent it",
      );
      const heard = b.frames.filter((f) => f.hex === hex(arp));
      assert.deepEqual(
        heard.map((f) => f.answered),
        Array.from({ length: lanes }, () => true),
        "each request reaches JS once (a fanout group delivers to one lane), flagged answered",
      );
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  },
);

test(
  "the receiving thread answers each request of its table once, at once; a removed IP and a closed socket get none",
  { skip },
  async () => {
    const neighbor = "(arp or (icmp6 and ip6[40] == 136))";
    // a hears only b's answers; b hears everything but its own frames (the speaker's filter).
    const a = await Node.start(ns.a, { filter: `ether src ${mac.b} and ${neighbor}` });
    const b = await Node.start(ns.b, { filter: `not ether src ${mac.b} and (arp or icmp6)` });
    try {
      const receiver = await b.command("receiver");
      assert.equal(receiver?.priority, "fifo", "as root the thread gets SCHED_FIFO");
      await b.command("answers", { table: { mac: mac.b, ips: [V4, V6] } });
      const owned = requests(V4, V6);
      const unowned = requests("198.18.53.201", "2001:db8:53::201");
      const asked = [owned.arp, owned.ns, unowned.arp, unowned.ns].map(hex);
      sendWithPcap(ns.a, asked);
      await sleep(300);
      const expected = [owned.arp, owned.ns].map((f) => oracleReply(f, [V4, V6]));
      assert.ok(expected.every((r) => r !== undefined) && !oracleReply(unowned.arp, [V4, V6]));
      assert.deepEqual(
        a.frames.map((f) => f.hex),
        expected,
        "one answer per owned request, as decide's, none for the others",
      );
      const heard = b.frames.filter((f) => asked.includes(f.hex));
      assert.deepEqual(
        heard.map((f) => [asked.indexOf(f.hex), f.answered]),
        [
          [0, true],
          [1, true],
          [2, false],
          [3, false],
        ],
        "every frame still reaches JS, flagged answered or not",
      );

      a.frames.length = 0;
      await b.command("answers", { table: { mac: mac.b, ips: [V6] } });
      sendWithPcap(ns.a, [hex(owned.arp), hex(owned.ns)]);
      await sleep(300);
      assert.deepEqual(
        a.frames.map((f) => f.hex),
        [expected[1]],
        "the removed IPv4 is not answered",
      );

      a.frames.length = 0;
      const before = b.frames.length;
      await b.command("close");
      sendWithPcap(ns.a, [hex(owned.ns)]);
      await sleep(300);
      assert.deepEqual(a.frames, [], "no answer after close: the thread is gone");
      assert.equal(b.frames.length, before, "no frame after close");
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  },
);
