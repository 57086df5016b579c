/**
 * The announcer and sockets that answer by themselves (./answer-tables.ts): each open interface
 * gets the IPs answerable there (announced, not probing or held), with its MAC and link-local
 * address, whenever that changes and before `setOwned` returns; a frame the socket answered is
 * counted but not answered again.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AnswerTable } from "../core/frame-socket.js";
import { LINKS, MAC0, MAC1, VIP, VIP6, ask, own, setup } from "./testing/l2-announcer-bench.js";

const IP2 = "198.18.0.201";
const last = (tables: AnswerTable[]): AnswerTable | undefined => tables.at(-1);

test("each interface's table holds what is answerable there, pushed when it changes", () => {
  const { announcer, timers, socket } = setup();
  announcer.setOwned(own([VIP, ["eth0"]], [VIP6, ["eth0", "eth1"]]), { takeovers: [VIP, VIP6] });
  assert.deepEqual(last(socket("eth0").tables), {
    mac: MAC0,
    ipv6Source: "fe80::b",
    ips: [VIP, VIP6],
  });
  assert.deepEqual(last(socket("eth1").tables), { mac: MAC1, ipv6Source: undefined, ips: [VIP6] });

  // A new IP is probed first: not in the table until it is announced.
  const pushes = socket("eth0").tables.length;
  announcer.setOwned(own([VIP, ["eth0"]], [VIP6, ["eth0", "eth1"]], [IP2, ["eth0"]]), {
    takeovers: [VIP, VIP6],
  });
  assert.equal(socket("eth0").tables.length, pushes, "unchanged: not pushed again");
  timers.advance(200);
  assert.deepEqual(last(socket("eth0").tables)?.ips, [VIP, VIP6, IP2]);

  // Dropped: out of the table as soon as setOwned returns.
  announcer.setOwned(own([VIP6, ["eth1"]]), { takeovers: [VIP6] });
  assert.deepEqual(last(socket("eth1").tables)?.ips, [VIP6]);
  assert.equal(socket("eth0").closed, true, "eth0 no longer used");
});

test("a changed link-local address is pushed with the same IPs", () => {
  const { announcer, socket } = setup();
  announcer.setOwned(own([VIP6, ["eth0"]]), { takeovers: [VIP6] });
  announcer.setInterfaces(
    LINKS.map((l) => (l.name === "eth0" ? { ...l, ipv6LinkLocal: "fe80::c" } : l)),
  );
  assert.deepEqual(last(socket("eth0").tables), { mac: MAC0, ipv6Source: "fe80::c", ips: [VIP6] });
});

test("a request the socket answered is counted, not answered again; one it did not is", () => {
  const { announcer, socket, sent } = setup();
  announcer.setOwned(own([VIP, ["eth0"]]), { takeovers: [VIP] });
  sent();
  socket("eth0").deliver(ask(VIP), true);
  assert.deepEqual(sent(), [], "answered natively: nothing sent from JS");
  socket("eth0").deliver(ask(VIP), false);
  assert.deepEqual(sent(), [`reply ${VIP} from ${MAC0}`]);
  const c = announcer.counters();
  assert.deepEqual([c.requestsReceived[VIP], c.responsesSent[VIP]], [2, 2]);
});
