/**
 * The speaker's link layer on real links, judged by the kernel's own ARP and NDP: a client, two
 * speaker nodes and a squatter (a host already using some IPs) in network namespaces on one
 * bridge. The L2 announcer runs inside the node namespaces (./fixtures/l2-announcer-node.ts);
 * the client asks with `arping` and resolves with ordinary traffic, read back from `ip neigh`.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AnnouncerProcess } from "./fixtures/announcer-process.js";
import {
  NetnsLab,
  parseArping,
  removeStaleNamespaces,
  type ArpingReply,
} from "../support/netns.js";

const skip = process.getuid?.() !== 0 ? "needs root (network namespaces, libpcap)" : false;

const NET = { v4: "198.18.50", v6: "2001:db8:50:" } as const;
const host = (n: number) => ({ v4: `${NET.v4}.${n}`, v6: `${NET.v6}:${n}` });
const VIP = {
  owned: host(200),
  unowned: "198.18.50.201",
  eth1Only: "198.18.50.202",
  excludedOnly: "198.18.50.203",
  takeover: host(210),
  squatted: host(220),
  stolen: "198.18.50.230",
};

let lab: NetnsLab;
const ns = { lan: "", client: "", a: "", b: "", squatter: "" };
const mac = { a: "", b: "", squatter: "" };
let nodeA: AnnouncerProcess;
let nodeB: AnnouncerProcess;
const started: AnnouncerProcess[] = [];
/** What node A owns, kept whole: each `own` command replaces the set. */
const ownedByA: Record<string, string[] | null> = {};

function build(): void {
  ns.lan = lab.addNamespace("lan");
  lab.addBridge(ns.lan);
  const member = (role: string, n: number): [string, string] => {
    const name = lab.addNamespace(role);
    const h = host(n);
    return [name, lab.attach(name, { bridgeNs: ns.lan }, [`${h.v4}/24`, `${h.v6}/64`]).mac];
  };
  [ns.client] = member("client", 100);
  [ns.a, mac.a] = member("a", 11);
  [ns.b, mac.b] = member("b", 12);
  [ns.squatter, mac.squatter] = member("squatter", 13);
  lab.addStub(ns.a, ns.lan, "eth1", ["198.18.51.11/24"]);
  lab.addStub(ns.a, ns.lan, "docker0");
  // GARP must move an existing entry without arp_accept (which only lets GARP create entries).
  lab.sysctl(ns.client, "net.ipv4.conf.all.arp_accept", "0");
  lab.sysctl(ns.client, "net.ipv4.conf.eth0.arp_accept", "0");
}

before(async () => {
  if (skip) return;
  removeStaleNamespaces();
  lab = new NetnsLab();
  build();
  // A short reprobe cap, so an address released by the squatter is announced within 2 s.
  nodeA = await AnnouncerProcess.start(lab, ns.a, { claims: { backoffMaxMs: 2000 } });
  started.push(nodeA);
  nodeB = await AnnouncerProcess.start(lab, ns.b);
  started.push(nodeB);
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

const arping = (ip: string, count = 1, from = ns.client): ArpingReply[] =>
  parseArping(
    lab.exec(from, "arping", ["-c", String(count), "-w", "2", "-i", "eth0", ip], {
      allowFailure: true,
    }).stdout,
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 2000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The client's neighbour entry for `ip`: its MAC, or undefined while unresolved. */
function neighborMac(ip: string): string | undefined {
  const out = lab.ip(ns.client, ["-j", "neigh", "show", "to", ip, "dev", "eth0"]).stdout;
  const entries = JSON.parse(out || "[]") as { lladdr?: string }[];
  return entries[0]?.lladdr;
}

/** Makes the client's kernel resolve `ip` by sending it a datagram. */
function sendFromClient(ip: string): void {
  lab.exec(ns.client, "bash", ["-c", `echo ironlb > /dev/udp/${ip}/9`], { allowFailure: true });
}

async function ownOnA(entries: Record<string, string[] | null>, takeovers: string[] = []) {
  Object.assign(ownedByA, entries);
  return nodeA.own(ownedByA, takeovers);
}

async function disownOnA(...ips: string[]) {
  for (const ip of ips) delete ownedByA[ip];
  return nodeA.own(ownedByA);
}

const phaseOnA = async (ip: string) => (await nodeA.counters()).phases[ip];
const announcingOnA = (ip: string) =>
  waitFor(`${ip} to be announced`, async () =>
    (await phaseOnA(ip)) === "announcing" ? true : undefined,
  );

test("the node announces on eth0 and eth1, never on lo or the excluded docker0", { skip }, () => {
  assert.deepEqual(
    nodeA.interfaces.map((i) => i.name),
    ["eth0", "eth1"],
  );
});

test(
  "an owned IPv4 address answers arping with the node's MAC, after its probe",
  { skip },
  async () => {
    await ownOnA({ [VIP.owned.v4]: null });
    await announcingOnA(VIP.owned.v4);
    const replies = arping(VIP.owned.v4, 2);
    assert.deepEqual(
      replies.map((r) => [r.mac, r.ip]),
      [
        [mac.a, VIP.owned.v4],
        [mac.a, VIP.owned.v4],
      ],
    );
    const { counters } = await nodeA.counters();
    assert.equal(counters.responsesSent[VIP.owned.v4], 2);
    assert.ok(counters.probesSent >= 1, "probed before the first announcement");
  },
);

test("no answer for an IP the node does not own", { skip }, async () => {
  const before = (await nodeA.counters()).counters.drops.notOwned ?? 0;
  assert.deepEqual(arping(VIP.unowned), []);
  const after = (await nodeA.counters()).counters.drops.notOwned ?? 0;
  assert.ok(after > before, "the request reached the node and was dropped as not owned");
});

test(
  "no answer through eth0 for an IP announced on eth1 or on an excluded interface only",
  { skip },
  async () => {
    const { placed } = await ownOnA({ [VIP.eth1Only]: ["eth1"], [VIP.excludedOnly]: ["docker0"] }, [
      VIP.eth1Only,
      VIP.excludedOnly,
    ]);
    assert.deepEqual([placed[VIP.eth1Only], placed[VIP.excludedOnly]], [["eth1"], []]);
    assert.deepEqual(arping(VIP.eth1Only), []);
    assert.deepEqual(arping(VIP.excludedOnly), []);
    const { counters } = await nodeA.counters();
    assert.equal(counters.drops.notOnThisInterface, 2);
    assert.equal(counters.responsesSent[VIP.eth1Only], undefined);
  },
);

test("IPv6: the client's kernel resolves an owned address through NDP", { skip }, async () => {
  await ownOnA({ [VIP.owned.v6]: null });
  await announcingOnA(VIP.owned.v6);
  const groups = () => lab.ip(ns.a, ["-6", "maddr", "show", "dev", "eth0"]).stdout;
  assert.match(groups(), /ff02::1:ff00:200\b/, "solicited-node group joined");
  sendFromClient(VIP.owned.v6);
  assert.equal(await waitFor("NDP resolution", () => neighborMac(VIP.owned.v6)), mac.a);
  await disownOnA(VIP.owned.v6);
  assert.doesNotMatch(groups(), /ff02::1:ff00:200\b/, "group left with the address");
});

test(
  "takeover: the client's neighbour entries move to the new owner within 1 s",
  { skip },
  async (t) => {
    const ips = [VIP.takeover.v4, VIP.takeover.v6];
    await ownOnA({ [ips[0]!]: null, [ips[1]!]: null });
    await Promise.all(ips.map(announcingOnA));
    for (const ip of ips) sendFromClient(ip);
    for (const ip of ips)
      assert.equal(await waitFor(`${ip} resolved`, () => neighborMac(ip)), mac.a);
    await nodeB.setPeers([mac.a]);
    await disownOnA(...ips);
    const start = Date.now();
    await nodeB.own({ [ips[0]!]: null, [ips[1]!]: null }, ips);
    for (const ip of ips) {
      await waitFor(`${ip} at B`, () => (neighborMac(ip) === mac.b ? true : undefined), 1000);
    }
    t.diagnostic(`takeover seen by the client after ${Date.now() - start} ms`);
    assert.deepEqual(
      arping(VIP.takeover.v4).map((r) => r.mac),
      [mac.b],
    );
    assert.deepEqual(nodeB.conflicts, []);
    await nodeB.own({});
  },
);

test(
  "conflict while probing: an address another host uses is held back, then announced once free",
  { skip },
  async () => {
    const { v4, v6 } = VIP.squatted;
    lab.ip(ns.squatter, ["addr", "add", `${v4}/32`, "dev", "eth0"]);
    lab.ip(ns.squatter, ["addr", "add", `${v6}/128`, "dev", "eth0", "nodad"]);
    await ownOnA({ [v4]: null, [v6]: null });
    const c4 = await nodeA.waitForConflict(v4);
    const c6 = await nodeA.waitForConflict(v6);
    assert.deepEqual(
      [c4.mac, c4.evidence, c4.outcome, c4.iface],
      [mac.squatter, "arpReply", { phase: "probing", retryInMs: 1000 }, "eth0"],
    );
    assert.deepEqual(
      [c6.mac, c6.evidence, c6.outcome],
      [mac.squatter, "neighborAdvertisement", { phase: "probing", retryInMs: 1000 }],
    );
    await sleep(300);
    assert.deepEqual(
      arping(v4, 2).map((r) => r.mac),
      [mac.squatter, mac.squatter],
      "only the squatter answers",
    );
    const held = await nodeA.counters();
    assert.deepEqual([held.phases[v4], held.phases[v6]], ["conflicted", "conflicted"]);
    assert.equal(held.counters.gratuitousSent[v4], undefined, "never announced");
    assert.equal(held.counters.responsesSent[v4], undefined);
    assert.ok(held.counters.probesSent >= 4, "probed again while the squatter held them");
    lab.ip(ns.squatter, ["addr", "del", `${v4}/32`, "dev", "eth0"]);
    lab.ip(ns.squatter, ["addr", "del", `${v6}/128`, "dev", "eth0"]);
    const freed = Date.now();
    await waitFor(
      "announced after the squatter left",
      async () => {
        const { phases } = await nodeA.counters();
        return phases[v4] === "announcing" && phases[v6] === "announcing" ? true : undefined;
      },
      2000 + 500,
    );
    const waited = Date.now() - freed;
    assert.ok(waited <= 2300, `announced ${waited} ms after the squatter left (cap 2 s + probe)`);
    assert.deepEqual(
      arping(v4).map((r) => r.mac),
      [mac.a],
    );
  },
);

test(
  "conflict while announcing: a stranger's ARP from our IP is defended, answers go on",
  { skip },
  async () => {
    await ownOnA({ [VIP.stolen]: null }, [VIP.stolen]);
    assert.deepEqual(
      arping(VIP.stolen).map((r) => r.mac),
      [mac.a],
    );
    const claimFromSquatter = () =>
      lab.exec(
        ns.squatter,
        "arping",
        ["-c", "1", "-w", "1", "-S", VIP.stolen, "-i", "eth0", host(100).v4],
        { allowFailure: true },
      );
    claimFromSquatter();
    const conflict = await nodeA.waitForConflict(VIP.stolen);
    assert.deepEqual(
      [conflict.mac, conflict.evidence, conflict.outcome],
      [mac.squatter, "arpRequest", { phase: "announcing", defend: true }],
    );
    assert.deepEqual(
      arping(VIP.stolen).map((r) => r.mac),
      [mac.a],
      "the node still answers",
    );
    claimFromSquatter();
    await waitFor("a second conflict", () =>
      nodeA.conflicts.filter((c) => c.ip === VIP.stolen).length >= 2 ? true : undefined,
    );
    const second = nodeA.conflicts.filter((c) => c.ip === VIP.stolen)[1];
    assert.deepEqual(second?.outcome, { phase: "announcing", defend: false }, "1 defense / 10 s");
    const { counters, phases } = await nodeA.counters();
    assert.equal(phases[VIP.stolen], "announcing");
    assert.equal(counters.defensesSent[VIP.stolen], 1);
    assert.deepEqual(nodeA.errors, []);
  },
);
