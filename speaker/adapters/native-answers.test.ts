/**
 * The addon's native answer (native/frame-socket/src/answer.c) against the core's `decide`, the
 * oracle: over requests built by the core's encoders and thousands of seeded mutations of the
 * fuzz corpus, whenever the addon answers, `decide` replies with the same bytes; and whenever
 * `decide` replies to a plain request (an ARP request that is neither a probe nor an
 * announcement, a Neighbor Solicitation that is not DAD, from a unicast Ethernet source), the
 * addon answers too.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  encodeArpProbe,
  encodeArpReply,
  encodeArpRequest,
  encodeGratuitousArp,
} from "../core/arp.js";
import type { AnswerTable } from "../core/frame-socket.js";
import {
  encodeDadSolicitation,
  encodeNeighborSolicitation,
  solicitedNodeMulticast,
} from "../core/ndp.js";
import { decide, receive, type ResponderContext } from "../core/responder.js";
import { mulberry32, mutant } from "../core/testing/frame-mutator.js";
import {
  CLIENT,
  MAC_ETH0,
  MAC_ETH1,
  OWNED,
  corpus,
  dictionary,
} from "../core/testing/fuzz-corpus.js";
import { toHex } from "../core/testing/hex.js";
import { answerFor } from "./native-answers.js";

const SEED = 0x7a11;
const MUTANTS = 4000;
const ownedMap = new Map(OWNED.map((o) => [o.ip, new Set(o.ifaces)]));

interface Side {
  readonly ctx: ResponderContext;
  readonly table: AnswerTable;
}
function side(iface: string, mac: string, ipv6Source?: string): Side {
  const ips = OWNED.filter((o) => o.ifaces.includes(iface)).map((o) => o.ip);
  const ctx: ResponderContext = { iface, mac, owned: ownedMap };
  return ipv6Source === undefined
    ? { ctx, table: { mac, ips } }
    : { ctx: { ...ctx, ipv6Source }, table: { mac, ipv6Source, ips } };
}
const SIDES = [side("eth0", MAC_ETH0), side("eth1", MAC_ETH1, "fe80::1:b")];

/** What `decide` says of a frame, and whether it is a plain request the addon must answer. */
function oracle(frame: Uint8Array, s: Side): { reply: Uint8Array | undefined; plain: boolean } {
  const d = decide(frame, s.ctx);
  if (d.kind !== "reply") return { reply: undefined, plain: false };
  const r = receive(frame);
  const unicastSource = ((frame[6] ?? 0) & 1) === 0;
  const plain =
    (r.protocol === "arp" && r.arp.kind === "request") ||
    (r.protocol === "ndp" && r.message.type === "solicitation" && !r.message.dad);
  return { reply: d.frame, plain: plain && unicastSource };
}

/** Asserts the addon agrees with the oracle on `frame`; returns whether it answered. */
function check(frame: Uint8Array, s: Side, what: string): boolean {
  const native = answerFor(frame, s.table);
  const { reply, plain } = oracle(frame, s);
  const where = `${what} on ${s.ctx.iface}: ${toHex(frame)}`;
  if (native !== null) {
    assert.ok(reply, `the addon answers where decide does not, ${where}`);
    assert.equal(toHex(native), toHex(reply), `a different answer, ${where}`);
  }
  if (plain) assert.ok(native, `no native answer to a plain request, ${where}`);
  return native !== null;
}

const REQUESTER = { mac: CLIENT, ipv4: "198.18.0.1", ipv6: "2001:db8:18::1" };

function plainRequests(ip: string): Uint8Array[] {
  if (!ip.includes(":")) {
    return [encodeArpRequest({ senderMac: REQUESTER.mac, senderIp: REQUESTER.ipv4, targetIp: ip })];
  }
  const group = solicitedNodeMulticast(ip);
  const ns = { srcMac: REQUESTER.mac, srcIp: REQUESTER.ipv6, target: ip };
  return [
    encodeNeighborSolicitation({
      ...ns,
      dstMac: group.mac,
      dstIp: group.ip,
      sourceLinkAddress: true,
    }),
    encodeNeighborSolicitation({
      ...ns,
      dstMac: group.mac,
      dstIp: group.ip,
      sourceLinkAddress: false,
    }),
  ];
}

test("the addon answers every plain ARP request and NS for an IP in its table, as decide", () => {
  for (const s of SIDES) {
    // A multicast target is invalid (RFC 4861 7.1.1): see the next test.
    for (const ip of s.table.ips.filter((a) => !a.startsWith("ff"))) {
      for (const frame of plainRequests(ip)) {
        assert.ok(check(frame, s, `request for ${ip}`), `no answer for ${ip} on ${s.ctx.iface}`);
      }
    }
  }
});

test("the addon leaves probes, announcements, DAD, replies and IPs not in its table to JS", () => {
  const [eth0] = SIDES as [Side, Side];
  const frames = [
    encodeArpProbe(CLIENT, "198.18.0.200"),
    encodeGratuitousArp(CLIENT, "198.18.0.200"),
    encodeArpReply({
      senderMac: CLIENT,
      senderIp: "198.18.0.1",
      targetMac: MAC_ETH0,
      targetIp: "198.18.0.200",
    }),
    encodeDadSolicitation(CLIENT, "2001:db8:18::200"),
    ...plainRequests("198.18.0.201"), // owned on eth1 only
    ...plainRequests("198.18.0.99"),
    ...plainRequests("2001:db8:18::201"),
    ...plainRequests("ff0e::1:200"), // in the table, but a multicast target
  ];
  for (const frame of frames) {
    assert.equal(answerFor(frame, eth0.table), null, toHex(frame));
  }
  // The same requests from our own MAC: never answered.
  const own = encodeArpRequest({
    senderMac: MAC_ETH0,
    senderIp: "198.18.0.1",
    targetIp: "198.18.0.200",
  });
  assert.equal(answerFor(own, eth0.table), null);
});

test(`${MUTANTS} seeded mutants per interface: native answers are decide's, byte for byte`, () => {
  const random = mulberry32(SEED);
  const seeds = corpus();
  const dict = dictionary();
  for (const s of SIDES) {
    let answered = 0;
    for (let i = 0; i < MUTANTS; i++) {
      const frame = mutant(random, seeds, dict);
      if (check(frame, s, `mutant ${i} (seed ${SEED})`)) answered++;
    }
    // Both outcomes occur: the comparison is not vacuous.
    assert.ok(answered > MUTANTS / 50 && answered < MUTANTS, `${answered} answered`);
  }
});

test("a table with an address or MAC that is not one is refused naming it", () => {
  const frame = plainRequests("198.18.0.200")[0] as Uint8Array;
  assert.throws(
    () => answerFor(frame, { mac: "02:00", ips: [] }),
    /mac: not a MAC address: "02:00"/,
  );
  assert.throws(() => answerFor(frame, { mac: MAC_ETH0, ips: ["198.18.0"] }), /ips: not an IP/);
  assert.throws(
    () => answerFor(frame, { mac: MAC_ETH0, ipv6Source: "198.18.0.1", ips: [] }),
    /ipv6Source: not an IPv6 address/,
  );
});
