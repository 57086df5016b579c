/**
 * Our AF_PACKET addon (native/frame-socket) through PacketFrameSocket, on a real link: two
 * namespaces on one bridge, each running ./fixtures/frame-socket-node.ts. Frames are sent by
 * libpcap (test/support/send-frames.ts, independent of the addon) or by the peer's socket, and
 * compared byte for byte. Ethertypes 0x88b5/0x88b6 (IEEE local experimental): nothing else on
 * the link uses them.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
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
const started: Node[] = [];

before(() => {
  if (skip) return;
  removeStaleNamespaces();
  lab = new NetnsLab();
  ns.lan = lab.addNamespace("lan");
  lab.addBridge(ns.lan);
  ns.a = lab.addNamespace("a");
  ns.b = lab.addNamespace("b");
  lab.attach(ns.a, { bridgeNs: ns.lan }, []);
  lab.attach(ns.b, { bridgeNs: ns.lan }, []);
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

/** A running fixture: the frames it received (hex, with arrival time) and its commands. */
class Node {
  readonly frames: { hex: string; at: number }[] = [];
  readonly #waiting = new Map<number, () => void>();
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
        const e = JSON.parse(line) as { event: string; id?: number; hex?: string };
        if (e.event === "ready") resolve();
        else if (e.event === "error") reject(new Error(`fixture: ${line}`));
        else if (e.event === "frame") node.frames.push({ hex: e.hex ?? "", at: performance.now() });
        else if (e.event === "ok") node.#waiting.get(e.id ?? 0)?.();
      });
    });
    return node;
  }

  command(op: string, extra: Record<string, unknown> = {}): Promise<void> {
    const id = this.#id++;
    const answered = new Promise<void>((resolve) => this.#waiting.set(id, resolve));
    this.child.stdin?.write(`${JSON.stringify({ id, op, ...extra })}\n`);
    return answered;
  }

  async stop(): Promise<void> {
    this.child.stdin?.end();
    await stopChild(this.child, 2000);
  }
}

/** Sends frames from `netns` through libpcap, `gapMs` apart. */
function sendWithPcap(netns: string, frames: string[], gapMs = 20): void {
  const script = join(repoRoot, "test", "support", "send-frames.ts");
  lab.exec(netns, process.execPath, ["--import", "tsx", script, "eth0", String(gapMs), ...frames]);
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
