import assert from "node:assert/strict";
import { test } from "node:test";
import type { IpPlan } from "../core/announcements.js";
import { encodeGratuitousArp } from "../core/arp.js";
import { elect } from "../core/election.js";
import { FakeFrameSocket } from "../core/testing/fake-frame-socket.js";
import { L2Announcer } from "./l2-announcer.js";
import type { AnnouncerLink } from "./link-sockets.js";
import { OwnerProbe } from "./owner-probe.js";
import { ManualTimers } from "../../lib/adapters/testing/manual-timers.js";

// Golden (sha256sum, core/testing/election-golden.ts): for 198.18.0.200 node1 wins, node3 is next.
const VIP = "198.18.0.200";
const NODES = ["node1", "node2", "node3"];
const OWNER_MAC = "02:00:00:00:00:0b";
const BACKUP_MAC = "02:00:00:00:00:0d";
const OK = { networkUnavailable: false, excludedByLabel: false };
const cluster = {
  trafficPolicy: "Cluster" as const,
  hasEndpoint: true,
  nodesWithEndpoint: new Set<string>(),
};

function plans(vip = VIP): Map<string, IpPlan> {
  const election = elect(vip, {
    liveSpeakers: new Set(NODES),
    nodes: new Map(NODES.map((n) => [n, OK])),
    selectedByL2Advertisement: new Set(NODES),
    services: [cluster],
  });
  return new Map([
    [vip, { ip: vip, pool: "p", unit: vip, services: ["ns/svc"], election, interfaces: [] }],
  ]);
}

const hex = (b: Uint8Array, from: number, to: number): string =>
  Buffer.from(b.subarray(from, to)).toString("hex");
const membership = { live: new Set(NODES), stopped: new Set<string>() };

/** The owner's real announcer and the backup's probe on one fake segment. */
function segment(owner = "node1", backupNode = "node3") {
  const timers = new ManualTimers(0);
  const backupSocket = new FakeFrameSocket();
  // The announcer closes its socket when it owns nothing: each open is a new one on the segment.
  const openOwnerSocket = () => {
    const socket = new FakeFrameSocket();
    FakeFrameSocket.link(socket, backupSocket);
    return socket;
  };
  const announcer = new L2Announcer({
    timers,
    openSocket: openOwnerSocket,
    claims: { probeWindowMs: 0 },
  });
  announcer.setInterfaces([{ name: "eth0", mac: OWNER_MAC, ipv6LinkLocal: "fe80::b" }]);
  let changes = 0;
  const silentSets: string[][] = [];
  const backup = new OwnerProbe({
    node: backupNode,
    intervalMs: 100,
    watch: { misses: 3, graceMs: 1000, holdMs: 1000 },
    timers,
    openSocket: () => backupSocket,
    onChange: () => changes++,
    onSilent: (owners) => silentSets.push([...owners]),
  });
  backup.setPeer(owner, [OWNER_MAC]);
  backup.setLinks([
    { name: "eth0", mac: BACKUP_MAC, ipv6LinkLocal: "fe80::d" } satisfies AnnouncerLink,
  ]);
  return { timers, owner: announcer, backup, backupSocket, silentSets, changes: () => changes };
}

test("the backup asks the owner with an ARP probe, unicast once the owner answered", () => {
  const s = segment();
  s.owner.setOwned(new Map([[VIP, ["eth0"]]]), { takeovers: [VIP] });
  s.backup.update(plans(), membership);
  s.timers.advance(250);
  const probes = s.backupSocket.sent;
  assert.equal(probes.length, 2);
  // Bytes written from RFC 826/5227: dst, src, type 0806, op 1, SHA, SPA 0.0.0.0, THA 0, TPA.
  const [first, second] = probes as [Uint8Array, Uint8Array];
  assert.equal(hex(first, 0, 14), "ffffffffffff" + "02000000000d" + "0806");
  assert.equal(
    hex(first, 20, 42),
    "0001" + "02000000000d" + "00000000" + "000000000000" + "c61200c8",
  );
  assert.equal(hex(second, 0, 6), "02000000000b", "the second goes to the MAC that answered");
  assert.equal(s.backup.update(plans(), membership).size, 0);
  s.timers.advance(3000);
  assert.equal(s.backup.update(plans(), membership).size, 0, "an answering owner is never silent");
  assert.equal(s.changes(), 0);
});

test("a silent owner is taken over after 3 missed probes; its return ends the takeover", () => {
  const s = segment();
  s.owner.setOwned(new Map([[VIP, ["eth0"]]]), { takeovers: [VIP] });
  s.backup.update(plans(), membership);
  s.timers.advance(1000);
  s.owner.setOwned(new Map()); // the owner stops answering
  const at = s.timers.now();
  while (s.changes() === 0 && s.timers.now() < at + 2000) s.timers.advance(10);
  const took = s.timers.now() - at;
  assert.ok(took >= 300 && took <= 400, `silent after ${took} ms`);
  assert.deepEqual([...s.backup.update(plans(), membership)], ["node1"]);
  s.owner.setOwned(new Map([[VIP, ["eth0"]]]), { takeovers: [VIP] }); // back: it announces
  assert.equal(s.changes(), 2);
  assert.equal(s.backup.update(plans(), membership).size, 0);
  // the owners whose Leases are read (owner-lease-poll.ts): only during the takeover
  assert.deepEqual(s.silentSets, [[], ["node1"], []]);
});

test("the owner defends against a peer announcing its IP, at most once a second", () => {
  const timers = new ManualTimers(0);
  const socket = new FakeFrameSocket();
  const owner = new OwnerProbe({
    node: "node1",
    intervalMs: 100,
    timers,
    openSocket: () => socket,
    onChange: () => undefined,
  });
  owner.setPeer("node3", [BACKUP_MAC]);
  owner.setLinks([{ name: "eth0", mac: OWNER_MAC }]);
  owner.update(plans(), membership);
  socket.deliver(encodeGratuitousArp("02:00:00:00:00:99", VIP)); // not a speaker: not ours to judge
  assert.equal(socket.sent.length, 0);
  socket.deliver(encodeGratuitousArp(BACKUP_MAC, VIP));
  socket.deliver(encodeGratuitousArp(BACKUP_MAC, VIP));
  // Two frames (request and reply form), each claiming VIP at OWNER_MAC: SPA at 28, SHA at 22.
  assert.deepEqual(
    socket.sent.map((f) => [hex(f, 20, 22), hex(f, 22, 28), hex(f, 28, 32)]),
    [
      ["0001", "02000000000b", "c61200c8"],
      ["0002", "02000000000b", "c61200c8"],
    ],
  );
  timers.advance(1000);
  socket.deliver(encodeGratuitousArp(BACKUP_MAC, VIP));
  assert.equal(socket.sent.length, 4);
  owner.stop();
  assert.ok(socket.closed);
});

test("IPv6: a Neighbor Solicitation, unicast from the link-local address once answered", () => {
  // Golden: for 2001:db8:18::200 node3 wins, node1 is next.
  const vip6 = "2001:db8:18::200";
  const s = segment("node3", "node1");
  s.owner.setOwned(new Map([[vip6, ["eth0"]]]), { takeovers: [vip6] });
  s.backup.update(plans(vip6), membership);
  s.timers.advance(250);
  const [first, second] = s.backupSocket.sent as [Uint8Array, Uint8Array];
  // ethertype 86dd, next header 58 (ICMPv6) at 20, ICMPv6 type 135 at 54, target at 62..78.
  assert.equal(hex(first, 12, 14), "86dd");
  assert.equal(first[20], 58);
  assert.equal(first[54], 135);
  assert.equal(hex(first, 62, 78), "20010db8001800000000000000000200");
  assert.equal(hex(first, 22, 38), "0".repeat(32), "first: DAD form, source ::");
  assert.equal(hex(second, 0, 6), "02000000000b", "then unicast to the owner's MAC");
  assert.equal(hex(second, 22, 38), "fe80" + "0".repeat(24) + "000d", "from our link-local");
  s.timers.advance(3000);
  assert.equal(s.backup.update(plans(vip6), membership).size, 0);
  s.owner.setOwned(new Map());
  s.timers.advance(500);
  assert.deepEqual([...s.backup.update(plans(vip6), membership)], ["node3"]);
});
