import assert from "node:assert/strict";
import { test } from "node:test";
import {
  encodeNeighborSolicitation,
  encodeUnsolicitedAdvertisement,
  solicitedNodeMulticast,
} from "../core/ndp.js";
import { FakeFrameSocket } from "../core/testing/fake-frame-socket.js";
import {
  CLIENT,
  LINKS,
  MAC0,
  MAC1,
  STRANGER,
  VIP,
  VIP6,
  announced,
  ask,
  own,
  setup,
} from "./testing/l2-announcer-bench.js";

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
