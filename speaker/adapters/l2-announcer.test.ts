import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeArp, encodeArp, encodeArpRequest, encodeGratuitousArp } from "../core/arp.js";
import {
  decodeNdp,
  encodeNeighborSolicitation,
  encodeUnsolicitedAdvertisement,
  solicitedNodeMulticast,
} from "../core/ndp.js";
import { FakeFrameSocket } from "../core/testing/fake-frame-socket.js";
import {
  L2Announcer,
  type AddressConflictReport,
  type L2AnnouncerOptions,
} from "./l2-announcer.js";
import type { MulticastGroups } from "./multicast-groups.js";
import { ManualTimers } from "./testing/manual-timers.js";

const MAC0 = "02:00:00:00:00:0b";
const MAC1 = "02:00:00:00:01:0b";
const CLIENT = { mac: "02:00:00:00:00:64", ip: "198.18.0.100", ip6: "2001:db8:18::100" };
const STRANGER = "02:00:00:00:00:99";
const PEER = "02:00:00:00:00:0c";
const VIP = "198.18.0.200";
const VIP6 = "2001:db8:18::200";
const LINKS = [
  { name: "eth0", mac: MAC0, ipv6LinkLocal: "fe80::b" },
  { name: "eth1", mac: MAC1 },
];

/** One line per frame sent, short enough to compare whole sequences. */
function describe(frame: Uint8Array): string {
  const arp = decodeArp(frame);
  if (arp.ok) {
    const p = arp.value;
    if (p.kind !== "reply") return `${p.kind} ${p.targetIp} from ${p.senderMac}`;
    const gratuitous = p.targetIp === p.senderIp && p.ethDst === "ff:ff:ff:ff:ff:ff";
    return `${gratuitous ? "gratuitous reply" : "reply"} ${p.senderIp} from ${p.senderMac}`;
  }
  const ndp = decodeNdp(frame);
  if (!ndp.ok) return `undecodable ${ndp.error.code}`;
  const m = ndp.value;
  if (m.type === "solicitation") return `${m.dad ? "dad" : "ns"} ${m.target} from ${m.ethSrc}`;
  return `na${m.solicited ? " solicited" : ""} ${m.target} src ${m.srcIp} from ${m.ethSrc}`;
}

class RecordingGroups implements MulticastGroups {
  readonly joined = new Map<string, number>();
  join(iface: string, group: string): void {
    const key = `${group}%${iface}`;
    this.joined.set(key, (this.joined.get(key) ?? 0) + 1);
  }
  leave(iface: string, group: string): void {
    const key = `${group}%${iface}`;
    const n = (this.joined.get(key) ?? 0) - 1;
    if (n > 0) this.joined.set(key, n);
    else this.joined.delete(key);
  }
  close(): void {
    this.joined.clear();
  }
}

function setup(options: Partial<L2AnnouncerOptions> = {}) {
  const timers = new ManualTimers(1000);
  const sockets = new Map<string, FakeFrameSocket>();
  const groups = new RecordingGroups();
  const conflicts: AddressConflictReport[] = [];
  const errors: string[] = [];
  const announcer = new L2Announcer({
    timers,
    groups,
    openSocket: (link) => {
      const socket = new FakeFrameSocket();
      sockets.set(link.name, socket);
      return socket;
    },
    onConflict: (c) => conflicts.push(c),
    onError: (e) => errors.push(`${e.code} ${e.message}`),
    ...options,
  });
  announcer.setInterfaces(LINKS);
  const socket = (iface: string): FakeFrameSocket => {
    const s = sockets.get(iface);
    assert.ok(s, `no socket on ${iface}`);
    return s;
  };
  /** Frames sent on `iface` since the last call. */
  const sent = (iface = "eth0"): string[] => socket(iface).sent.splice(0).map(describe);
  return { announcer, timers, sockets, socket, sent, groups, conflicts, errors };
}

const own = (...entries: [string, string[]][]) => new Map(entries);
const ask = (ip: string) =>
  encodeArpRequest({ senderMac: CLIENT.mac, senderIp: CLIENT.ip, targetIp: ip });

/** An IPv4 announcement: the request form and the reply form of gratuitous ARP. */
const announced = (ip: string, mac = MAC0) => [
  `announcement ${ip} from ${mac}`,
  `gratuitous reply ${ip} from ${mac}`,
];

test("a takeover is announced at once and then every 1.1 s for 5 s, and answered", () => {
  const { announcer, timers, socket, sent } = setup();
  announcer.setOwned(own([VIP, ["eth0"]]), { takeovers: [VIP] });
  assert.deepEqual(sent(), announced(VIP));
  assert.equal(announcer.phase(VIP), "announcing");
  const times: number[] = [];
  for (let t = 100; t <= 8000; t += 100) {
    timers.advance(100);
    if (sent().length > 0) times.push(t);
  }
  assert.deepEqual(times, [1100, 2200, 3300, 4400]);
  socket("eth0").deliver(ask(VIP));
  assert.deepEqual(sent(), [`reply ${VIP} from ${MAC0}`]);
  const c = announcer.counters();
  assert.deepEqual(
    [c.requestsReceived[VIP], c.responsesSent[VIP], c.gratuitousSent[VIP]],
    [1, 1, 10],
    "gratuitous counted per frame, as MetalLB",
  );
});

test("requests are dropped by reason: not owned, owned on another interface", () => {
  const { announcer, socket, sent } = setup();
  announcer.setOwned(own([VIP, ["eth0"]], ["198.18.0.201", ["eth1"]]), {
    takeovers: [VIP, "198.18.0.201"],
  });
  sent();
  const cases: [string, string][] = [
    ["198.18.0.202", "notOwned"],
    ["198.18.0.201", "notOnThisInterface"],
  ];
  for (const [ip, reason] of cases) {
    socket("eth0").deliver(ask(ip));
    assert.deepEqual(sent(), [], ip);
    assert.equal(announcer.counters().drops[reason as "notOwned"], 1, reason);
  }
});

test("a new IP is probed first, withheld during the window, then announced", () => {
  const { announcer, timers, socket, sent } = setup();
  announcer.setOwned(own([VIP, ["eth0"]]));
  assert.deepEqual(sent(), [`probe ${VIP} from ${MAC0}`]);
  socket("eth0").deliver(ask(VIP));
  timers.advance(199);
  assert.deepEqual(sent(), [], "nothing during the probe window");
  assert.equal(announcer.counters().drops.probing, 1);
  timers.advance(1);
  assert.deepEqual(sent(), announced(VIP));
  assert.equal(announcer.counters().probesSent, 1);
});

const foreignReply = (ip: string) =>
  encodeArp({
    op: 2,
    senderMac: STRANGER,
    senderIp: ip,
    targetMac: MAC0,
    targetIp: "0.0.0.0",
    ethDst: MAC0,
  });

test("a foreign reply to the probe holds the IP back: reprobed 1 s doubling, up to the cap", () => {
  const { announcer, timers, socket, sent, conflicts } = setup({ claims: { backoffMaxMs: 8000 } });
  announcer.setOwned(own([VIP, ["eth0"]]));
  const start = timers.now();
  const probes: number[] = [];
  const other: string[] = [];
  // The squatter answers every probe at once, until 40 s; then nobody answers.
  for (let t = 0; t <= 45_000; t += 100) {
    if (t > 0) timers.advance(100);
    for (const line of sent()) {
      if (!line.startsWith("probe ")) other.push(`${t} ${line}`);
      else probes.push(timers.now() - start);
    }
    if (probes.at(-1) === t && t < 40_000) socket("eth0").deliver(foreignReply(VIP));
    if (t === 500) socket("eth0").deliver(ask(VIP));
  }
  assert.deepEqual(probes, [0, 1000, 3000, 7000, 15_000, 23_000, 31_000, 39_000]);
  assert.deepEqual(
    conflicts.map((c) => c.outcome),
    [1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000].map((retryInMs) => ({
      phase: "probing",
      retryInMs,
    })),
  );
  assert.deepEqual(conflicts[0], {
    ip: VIP,
    mac: STRANGER,
    evidence: "arpReply",
    iface: "eth0",
    outcome: { phase: "probing", retryInMs: 1000 },
  });
  assert.deepEqual(other, [], "held: never answered, never announced");
  assert.equal(announcer.counters().drops.conflicted, 1);
  assert.equal(announcer.phase(VIP), "conflicted");
  timers.advance(47_000 - 45_000);
  assert.deepEqual(sent(), [`probe ${VIP} from ${MAC0}`], "probed at 47 s, unanswered");
  timers.advance(200);
  assert.deepEqual(sent(), announced(VIP), "announced when the probe window closes");
  assert.equal(announcer.phase(VIP), "announcing");
});

test("owning a held IP again after dropping it starts with a fresh probe", () => {
  const { announcer, socket, sent } = setup();
  announcer.setOwned(own([VIP, ["eth0"]]));
  sent();
  socket("eth0").deliver(foreignReply(VIP));
  assert.equal(announcer.phase(VIP), "conflicted");
  announcer.setOwned(own());
  announcer.setOwned(own([VIP, ["eth0"]]));
  assert.deepEqual(sent(), [`probe ${VIP} from ${MAC0}`]);
});

test("while announcing, a stranger's claim is defended at most once per 10 s; answers go on", () => {
  const { announcer, timers, socket, sent, conflicts } = setup();
  announcer.setPeerMacs([PEER.toUpperCase()]);
  announcer.setOwned(own([VIP, ["eth0"]], ["198.18.0.201", ["eth0"]]), {
    takeovers: [VIP, "198.18.0.201"],
  });
  timers.advance(6000);
  sent();
  socket("eth0").deliver(encodeGratuitousArp(PEER, VIP));
  assert.equal(conflicts.length, 0, "a peer speaker's GARP is a takeover");
  assert.deepEqual(sent(), []);
  const defended: [number, boolean, string[]][] = [];
  for (const dt of [0, 1000, 4000, 4999, 1, 9999, 10_000]) {
    timers.advance(dt);
    socket("eth0").deliver(encodeGratuitousArp(STRANGER, VIP));
    const outcome = conflicts.at(-1)?.outcome;
    assert.equal(outcome?.phase, "announcing");
    defended.push([timers.now() - 7000, outcome.defend, sent()]);
  }
  assert.deepEqual(defended, [
    [0, true, announced(VIP)],
    [1000, false, []],
    [5000, false, []],
    [9999, false, []],
    [10_000, true, announced(VIP)],
    [19_999, false, []],
    [29_999, true, announced(VIP)],
  ]);
  assert.equal(conflicts[0]?.evidence, "arpAnnouncement");
  assert.equal(announcer.phase(VIP), "announcing");
  socket("eth0").deliver(ask(VIP));
  assert.deepEqual(sent(), [`reply ${VIP} from ${MAC0}`], "still answered");
  const c = announcer.counters();
  assert.deepEqual(c.defensesSent, { [VIP]: 3 });
  assert.deepEqual(c.conflicts, { [`${VIP}|announcing`]: 7 });
});

test("a refresh interval re-announces owned IPs for as long as they are owned", () => {
  const { announcer, timers, sent } = setup({ announce: { refreshMs: 30_000 } });
  announcer.setOwned(own([VIP, ["eth0"]]), { takeovers: [VIP] });
  const times: number[] = [];
  for (let t = 0; t <= 95_000; t += 100) {
    if (t > 0) timers.advance(100);
    const lines = sent();
    if (lines.length > 0) {
      assert.deepEqual(lines, announced(VIP), `at ${t}`);
      times.push(t);
    }
  }
  assert.deepEqual(times, [0, 1100, 2200, 3300, 4400, 30_000, 60_000, 90_000]);
  announcer.setOwned(own());
  timers.advance(60_000);
  assert.equal(timers.pending, 0, "nothing scheduled once not owned");
});

test("losing an IP stops everything for it at once", () => {
  const { announcer, timers, socket, sent } = setup();
  announcer.setOwned(own([VIP, ["eth0"]], ["198.18.0.201", ["eth0"]]), {
    takeovers: [VIP, "198.18.0.201"],
  });
  sent();
  announcer.setOwned(own(["198.18.0.201", ["eth0"]]));
  socket("eth0").deliver(ask(VIP));
  timers.advance(1100);
  assert.deepEqual(sent(), announced("198.18.0.201"));
  assert.equal(announcer.phase(VIP), undefined);
  announcer.stop();
  assert.equal(socket("eth0").closed, true);
  assert.equal(timers.pending, 0);
  assert.throws(() => announcer.setOwned(own()), /stopped/);
});

test("IPv6: unsolicited NA from the link-local, solicited answers, solicited-node membership", () => {
  const { announcer, socket, sent, groups } = setup();
  announcer.setOwned(own([VIP6, ["eth0", "eth1"]]), { takeovers: [VIP6] });
  const group = solicitedNodeMulticast(VIP6);
  assert.deepEqual(sent("eth0"), [`na ${VIP6} src fe80::b from ${MAC0}`]);
  assert.deepEqual(
    sent("eth1"),
    [`na ${VIP6} src ${VIP6} from ${MAC1}`],
    "no link-local: the target",
  );
  assert.deepEqual([...groups.joined.keys()], [`${group.ip}%eth0`, `${group.ip}%eth1`]);
  socket("eth0").deliver(
    encodeNeighborSolicitation({
      srcMac: CLIENT.mac,
      srcIp: CLIENT.ip6,
      dstMac: group.mac,
      dstIp: group.ip,
      target: VIP6,
      sourceLinkAddress: true,
    }),
  );
  assert.deepEqual(sent("eth0"), [`na solicited ${VIP6} src fe80::b from ${MAC0}`]);
  socket("eth0").deliver(encodeUnsolicitedAdvertisement(STRANGER, VIP6));
  assert.equal(announcer.phase(VIP6), "announcing", "a stranger's NA does not take it down");
  assert.deepEqual(sent("eth0"), [`na ${VIP6} src fe80::b from ${MAC0}`], "defended");
  assert.deepEqual(sent("eth1"), [`na ${VIP6} src ${VIP6} from ${MAC1}`], "on every interface");
  assert.equal([...groups.joined.keys()].length, 2, "groups kept");
});

test("IPv6: a DAD solicitation answered by a stranger holds the address, reprobed after 1 s", () => {
  const { announcer, timers, socket, sent, groups } = setup();
  const ip = "2001:db8:18::201";
  announcer.setOwned(own(["2001:DB8:18:0::201", ["eth0"]]));
  assert.deepEqual(sent(), [`dad ${ip} from ${MAC0}`]);
  assert.equal(announcer.phase(ip), "probing");
  socket("eth0").deliver(encodeUnsolicitedAdvertisement(STRANGER, ip));
  assert.equal(announcer.phase(ip), "conflicted");
  assert.deepEqual([...groups.joined.keys()], [], "group left while held");
  timers.advance(999);
  assert.deepEqual(sent(), []);
  timers.advance(1);
  assert.deepEqual(sent(), [`dad ${ip} from ${MAC0}`]);
  timers.advance(200);
  assert.deepEqual(sent(), [`na ${ip} src fe80::b from ${MAC0}`]);
  assert.equal(announcer.phase(ip), "announcing");
});

test("interfaces: unknown names are skipped, a changed MAC restarts the burst", () => {
  const { announcer, timers, sockets, sent } = setup();
  announcer.setOwned(own([VIP, ["eth0", "eth9"]]), { takeovers: [VIP] });
  assert.deepEqual([...sockets.keys()], ["eth0"]);
  sent();
  timers.advance(6000);
  sent();
  announcer.setInterfaces([{ name: "eth0", mac: "02:00:00:00:00:0d" }]);
  assert.deepEqual(sent(), announced(VIP, "02:00:00:00:00:0d"));
});

test("failures: an interface that cannot be opened is retried, a failed send is counted", () => {
  let failOpen = true;
  const { announcer, errors } = setup({
    openSocket: (link) => {
      if (failOpen) throw new Error(`no such device ${link.name}`);
      const s = new FakeFrameSocket();
      s.send = () => {
        throw new Error("ENETDOWN");
      };
      return s;
    },
  });
  announcer.setOwned(own([VIP, ["eth0"]]), { takeovers: [VIP] });
  assert.match(errors[0] ?? "", /IRONLB_ERR_L2_ANNOUNCER cannot open eth0: no such device eth0/);
  failOpen = false;
  announcer.setInterfaces(LINKS);
  assert.match(errors[1] ?? "", /send on eth0 failed: ENETDOWN/);
  assert.equal(announcer.counters().sendErrors, 2, "both forms of the gratuitous ARP");
  assert.equal(announcer.counters().gratuitousSent[VIP], undefined);
});

test("a link-local address that appears later becomes the source of our advertisements", () => {
  const { announcer, timers, sockets, sent } = setup();
  announcer.setInterfaces([{ name: "eth1", mac: MAC1 }]);
  announcer.setOwned(own([VIP6, ["eth1"]]), { takeovers: [VIP6] });
  const opened = sockets.get("eth1");
  assert.deepEqual(sent("eth1"), [`na ${VIP6} src ${VIP6} from ${MAC1}`]);
  announcer.setInterfaces([{ name: "eth1", mac: MAC1, ipv6LinkLocal: "fe80::1:b" }]);
  timers.advance(1100);
  assert.deepEqual(sent("eth1"), [`na ${VIP6} src fe80::1:b from ${MAC1}`]);
  assert.equal(sockets.get("eth1"), opened, "same socket, not reopened");
});

test("a link flap (carrier_changes moved) reopens the capture, which libpcap leaves dead", () => {
  const { announcer, sockets } = setup();
  announcer.setInterfaces([{ name: "eth1", mac: MAC1, carrierChanges: 2 }]);
  announcer.setOwned(own([VIP, ["eth1"]]), { takeovers: [VIP] });
  const before = sockets.get("eth1");
  announcer.setInterfaces([{ name: "eth1", mac: MAC1, carrierChanges: 2 }]);
  assert.equal(sockets.get("eth1"), before, "no flap: same socket");
  announcer.setInterfaces([{ name: "eth1", mac: MAC1, carrierChanges: 4 }]);
  assert.notEqual(sockets.get("eth1"), before, "flapped: a fresh socket");
  assert.equal(before?.closed, true);
});
