/**
 * The speaker's frame path on real links (speaker/adapters/frame-path.ts): ARP is answered by a
 * thread of its own, so answers keep coming while the speaker's main thread is busy; it never
 * outlives the speaker; a withdrawal is in force when acknowledged; a frame path that dies is
 * started again. A client and a node in network namespaces on one bridge; the node runs
 * ./fixtures/l2-announcer-node.ts (the frame path, as the speaker runs it), the client asks with
 * `arping` and `ndisc6`; `tcpdump` there counts the answers.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AnnouncerProcess } from "./fixtures/announcer-process.js";
import { NetnsLab, parseArping, removeStaleNamespaces } from "../support/netns.js";

const skip = process.getuid?.() !== 0 ? "needs root (network namespaces, libpcap)" : false;

const VIP = "198.18.52.200";
const VIP6 = "2001:db8:52::200";
let lab: NetnsLab;
const ns = { lan: "", client: "", node: "" };
let nodeMac = "";
const started: AnnouncerProcess[] = [];

before(() => {
  if (skip) return;
  removeStaleNamespaces();
  lab = new NetnsLab();
  ns.lan = lab.addNamespace("lan");
  lab.addBridge(ns.lan);
  ns.client = lab.addNamespace("client");
  ns.node = lab.addNamespace("node");
  lab.attach(ns.client, { bridgeNs: ns.lan }, ["198.18.52.100/24", "2001:db8:52::100/64"]);
  nodeMac = lab.attach(ns.node, { bridgeNs: ns.lan }, ["198.18.52.11/24"]).mac;
});

after(async () => {
  if (skip) return;
  try {
    await Promise.all(started.map((node) => node.stop()));
  } finally {
    await lab.cleanup();
  }
  assert.deepEqual(lab.existing(), [], "every namespace of this run is gone");
});

/** `count` requests, `intervalS` apart, each waited for at most `intervalS`. */
const arping = (count: number, intervalS = "0.2") =>
  parseArping(
    lab.exec(ns.client, "arping", ["-c", String(count), "-W", intervalS, "-i", "eth0", VIP], {
      allowFailure: true,
    }).stdout,
  ).filter((r) => r.ip === VIP);

async function startNode(): Promise<AnnouncerProcess> {
  const node = await AnnouncerProcess.start(lab, ns.node, { claims: { probeWindowMs: 0 } });
  started.push(node);
  await node.own({ [VIP]: ["eth0"] });
  return node;
}

test("ARP is answered on time while the speaker's own thread is busy", { skip }, async () => {
  const node = await startNode();
  try {
    assert.equal(arping(3).length, 3, "answered when idle");
    await node.block(2500);
    const replies = arping(8); // 1.6 s, all inside the block
    assert.equal(replies.length, 8, "every request answered during the block");
    for (const r of replies) assert.equal(r.mac, nodeMac);
    const slowest = Math.max(...replies.map((r) => r.micros));
    assert.ok(slowest < 50_000, `slowest answer ${slowest} us: waited for the busy thread`);
  } finally {
    await node.stop();
  }
});

test(
  "a withdrawal is in force once acknowledged, and nothing answers after a stop",
  { skip },
  async () => {
    const node = await startNode();
    try {
      assert.equal(arping(2).length, 2);
      await node.own({});
      assert.deepEqual(arping(3), [], "not answered after the acknowledged withdrawal");
      await node.own({ [VIP]: ["eth0"] });
      assert.equal(arping(2).length, 2, "answered again");
    } finally {
      await node.stop();
    }
    assert.deepEqual(arping(3), [], "nothing answers after the speaker stopped");
  },
);

test("the frame path dies with the speaker, even by SIGKILL", { skip }, async () => {
  const node = await startNode();
  const { threadId } = await node.counters();
  assert.ok(threadId !== undefined, "a frame path thread answers");
  assert.equal(arping(2).length, 2);
  await node.kill();
  assert.deepEqual(arping(3), [], "nothing answers for the dead speaker's IP");
});

test("a frame path that dies is started again and answers what was owned", { skip }, async () => {
  const node = await startNode();
  try {
    const { threadId } = await node.counters();
    assert.ok(threadId !== undefined);
    await node.abortFramePath();
    const deadline = Date.now() + 5000;
    let replies = arping(1);
    while (replies.length === 0 && Date.now() < deadline) replies = arping(1);
    assert.equal(replies[0]?.mac, nodeMac, "answered again by a new frame path");
    const restarted = (await node.counters()).threadId;
    assert.ok(restarted !== undefined && restarted !== threadId, "a new thread");
    assert.ok(
      node.errors.some((e) => e.includes("frame path exited")),
      "the exit was reported",
    );
  } finally {
    await node.stop();
  }
});

/** Runs `ask` with tcpdump on the client, then returns the lines tcpdump printed for `filter`. */
async function capture(filter: string[], ask: () => void): Promise<string[]> {
  const args = ["-i", "eth0", "-n", "-l", "-e", ...filter];
  const dump = lab.spawn(ns.client, "tcpdump", args);
  const lines: string[] = [];
  dump.stdout?.on("data", (c: Buffer) => lines.push(...c.toString().split("\n").filter(Boolean)));
  await new Promise<void>((resolve, reject) => {
    dump.stderr?.on("data", (c: Buffer) => {
      if (c.toString().includes("listening on")) resolve();
    });
    dump.once("exit", (code) => reject(new Error(`tcpdump exited ${code}`)));
  });
  ask();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const exited = new Promise((resolve) => dump.once("exit", resolve));
  dump.kill("SIGINT");
  await exited;
  return lines;
}

test(
  "each ARP request and NS gets exactly one answer: the native one, none from JS",
  { skip },
  async () => {
    const node = await AnnouncerProcess.start(lab, ns.node, { claims: { probeWindowMs: 0 } });
    started.push(node);
    try {
      await node.own({ [VIP]: ["eth0"], [VIP6]: ["eth0"] });
      const lines = await capture(["ether", "src", nodeMac, "and", "(arp or icmp6)"], () => {
        assert.equal(arping(4).length, 4, "every ARP request answered");
        for (let i = 0; i < 4; i++) {
          const ask = ["-1", "-r", "1", "-w", "500", "-n", VIP6, "eth0"];
          lab.exec(ns.client, "ndisc6", ask, { allowFailure: true });
        }
      });
      // Answers are unicast to the asker; announcements (broadcast, all-nodes) are left out.
      const unicast = lines.filter((l) => !/> (ff:ff:ff:ff:ff:ff|33:33:)/.test(l));
      const arpReplies = unicast.filter((l) => l.includes(`Reply ${VIP} is-at`));
      const advertisements = unicast.filter((l) => l.includes(`advertisement, tgt is ${VIP6}`));
      assert.equal(arpReplies.length, 4, `one ARP reply per request:\n${lines.join("\n")}`);
      assert.equal(advertisements.length, 4, `one NA per NS:\n${lines.join("\n")}`);
      const { counters } = await node.counters();
      assert.deepEqual(
        [VIP, VIP6].flatMap((ip) => [counters.requestsReceived[ip], counters.responsesSent[ip]]),
        [4, 4, 4, 4],
        "the native answers are counted in JS",
      );
      assert.deepEqual(node.priorities, ["fifo"], "reported once: SCHED_FIFO as root");
    } finally {
      await node.stop();
    }
  },
);
