/**
 * Robustness: a million random and mutated frames from a seeded PRNG. No decoder may throw, and
 * decide() must answer exactly the frames an independent oracle (testing/reply-oracle.ts) says
 * deserve an answer - a valid ARP request or probe, or Neighbor Solicitation, for an IP owned on
 * the interface, not sent by us - with exactly the oracle's bytes.
 *
 * IRONLB_FUZZ_SEED (decimal or 0x hex) and IRONLB_FUZZ_FRAMES override the seed and the number
 * of mutated frames; a failure names the seed and the frame's bytes.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { decodeArp, encodeArpReplyTo, type ArpPacket } from "./arp.js";
import { decodeEthernet, isGroupMac } from "./ethernet.js";
import { decodeIpv6 } from "./ipv6.js";
import {
  DROP_REASON,
  decide,
  decideReceived,
  observe,
  observeReceived,
  receive,
  type Conflict,
  type Decision,
  type ObserverContext,
  type ResponderContext,
} from "./responder.js";
import {
  MAC_ETH0,
  MAC_ETH1,
  OWNED,
  PEER_MAC,
  arpOnlyCorpus,
  corpus,
  dictionary,
} from "./testing/fuzz-corpus.js";
import { mulberry32, mutant } from "./testing/frame-mutator.js";
import { expectedReply, type ExpectedReply, type OracleView } from "./testing/reply-oracle.js";
import { toHex } from "./testing/hex.js";

/** Seed and frame count, from the environment when set there. */
function settings(env: NodeJS.ProcessEnv): { readonly seed: number; readonly frames: number } {
  const seed = Number(env.IRONLB_FUZZ_SEED || 0x1e0b);
  const frames = Number(env.IRONLB_FUZZ_FRAMES || 1_000_000);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(
      `IRONLB_FUZZ_SEED must be an integer in 0..2^32-1: ${env.IRONLB_FUZZ_SEED}`,
    );
  }
  if (!Number.isSafeInteger(frames) || frames < 1) {
    throw new RangeError(
      `IRONLB_FUZZ_FRAMES must be a positive integer: ${env.IRONLB_FUZZ_FRAMES}`,
    );
  }
  return { seed, frames };
}
const { seed: SEED, frames: FRAMES } = settings(process.env);

const ownedMap = new Map(OWNED.map((o) => [o.text, new Set(o.ifaces)]));
const macBytes = (mac: string) => mac.split(":").map((h) => parseInt(h, 16));

/** Two interfaces, one with an owned map and one with a lookup and a link-local NA source. */
interface Side {
  readonly ctx: ResponderContext;
  readonly view: OracleView;
}
const SIDES: readonly [Side, Side] = [
  {
    ctx: { iface: "eth0", mac: MAC_ETH0, owned: ownedMap },
    view: { iface: "eth0", mac: macBytes(MAC_ETH0), owned: OWNED },
  },
  {
    ctx: { iface: "eth1", mac: MAC_ETH1, owned: (ip) => ownedMap.get(ip), ipv6Source: "fe80::1:b" },
    view: {
      iface: "eth1",
      mac: macBytes(MAC_ETH1),
      owned: OWNED,
      ipv6Source: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x0b],
    },
  },
];
const watch: ObserverContext = {
  ownMacs: new Set([MAC_ETH0, MAC_ETH1]),
  peerMacs: new Set([PEER_MAC]),
  watched: new Set(ownedMap.keys()),
};

const same = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** What is wrong with a decision the oracle expected `want` for, or undefined. */
function disagreement(
  d: Decision,
  want: ExpectedReply | undefined,
  iface: string,
): string | undefined {
  if (d.kind === "drop") {
    if (!(d.reason in DROP_REASON)) return `unknown drop reason ${d.reason}`;
    return want && `dropped (${d.reason} ${d.detail ?? ""}) a request the oracle answers`;
  }
  if (want === undefined) return `replied for ${d.ip} where the oracle does not`;
  if (d.protocol !== want.protocol || d.ip !== want.ip || d.iface !== iface) {
    return `replied ${d.protocol} ${d.ip} on ${d.iface}, oracle ${want.protocol} ${want.ip}`;
  }
  return same(d.frame, want.frame)
    ? undefined
    : `reply ${toHex(d.frame)}, oracle ${toHex(want.frame)}`;
}

/** A conflict names a watched IP and a MAC that is neither ours nor a peer's. */
const badConflict = (c: Conflict | undefined): string | undefined =>
  c &&
  (ownedMap.has(c.ip) && !watch.ownMacs.has(c.mac) && !watch.peerMacs.has(c.mac)
    ? undefined
    : `conflict ${JSON.stringify(c)}`);

interface Tally {
  frames: number;
  replies: Record<string, number>;
  drops: Record<string, number>;
}

/** Runs every decoder, decide and observe on a frame; checks them against the oracle. */
function check(frame: Uint8Array, i: number, tally: Tally): void {
  const side = i % 2 === 0 ? SIDES[0] : SIDES[1];
  let problem: string | undefined;
  try {
    decodeEthernet(frame);
    decodeIpv6(frame.subarray(14));
    decodeArp(frame);
    const received = receive(frame); // decodeNdp on every IPv6 frame
    const decision = decideReceived(received, side.ctx);
    problem = disagreement(decision, expectedReply(frame, side.view), side.ctx.iface);
    problem ??= badConflict(observeReceived(received, watch));
    const key = decision.kind === "reply" ? decision.protocol : decision.reason;
    const counts = decision.kind === "reply" ? tally.replies : tally.drops;
    counts[key] = (counts[key] ?? 0) + 1;
  } catch (error) {
    problem = `threw ${error instanceof Error ? error.stack : String(error)}`;
  }
  tally.frames++;
  if (problem !== undefined) {
    assert.fail(
      `IRONLB_FUZZ_SEED=${SEED}, frame ${i} on ${side.ctx.iface}: ${problem}\n  frame ${toHex(frame)}`,
    );
  }
}

function report(t: TestContext, tally: Tally): void {
  t.diagnostic(`seed ${SEED}, frames ${tally.frames}`);
  t.diagnostic(`replies ${JSON.stringify(tally.replies)}, drops ${JSON.stringify(tally.drops)}`);
}

const MAIN = `${FRAMES.toLocaleString("en-US")} mutated and random frames (seed ${SEED})`;
test(`${MAIN}: nothing throws, and replies are exactly the oracle's`, (t) => {
  const random = mulberry32(SEED);
  const seeds = corpus();
  const dict = dictionary();
  const tally: Tally = { frames: 0, replies: {}, drops: {} };
  for (let i = 0; i < FRAMES; i++) check(mutant(random, seeds, dict), i, tally);
  report(t, tally);
  if (FRAMES < 100_000) return;
  // The reply path and every drop reason were reached: the test could fail either way.
  for (const protocol of ["arp", "ndp"]) {
    assert.ok((tally.replies[protocol] ?? 0) > FRAMES / 100, `${protocol} replies`);
  }
  for (const reason of Object.values(DROP_REASON)) {
    assert.ok((tally.drops[reason] ?? 0) > 0, `a frame dropped for ${reason}`);
  }
});

test("every corpus frame cut at every length and extended with padding or garbage", (t) => {
  const random = mulberry32((SEED ^ 0x7a11) >>> 0);
  const tally: Tally = { frames: 0, replies: {}, drops: {} };
  let i = 0;
  for (const frame of corpus()) {
    for (let length = 0; length <= frame.length; length++) {
      check(frame.subarray(0, length), i++, tally);
    }
    for (let extra = 1; extra <= 64; extra++) {
      const longer = new Uint8Array(frame.length + extra);
      longer.set(frame);
      check(longer, i++, tally);
      for (let k = frame.length; k < longer.length; k++) longer[k] = Math.floor(random() * 256);
      check(longer, i++, tally);
    }
  }
  report(t, tally);
});

/** The ARP decision read from the decoded text, step by step as the responder's contract says. */
function arpDecisionByText(p: ArpPacket, c: ResponderContext): Decision {
  const dropped = (reason: string): Decision =>
    ({ kind: "drop", reason, ip: p.targetIp }) as Decision;
  if (p.kind !== "request" && p.kind !== "probe") return dropped("notRequest");
  if (p.ethSrc === c.mac || p.senderMac === c.mac) return dropped("fromSelf");
  if (!isGroupMac(p.ethDst) && p.ethDst !== c.mac) return dropped("notAddressedToUs");
  if (isGroupMac(p.senderMac)) return dropped("badSender");
  const ifaces = ownedMap.get(p.targetIp);
  if (!ifaces) return dropped("notOwned");
  if (!ifaces.has(c.iface)) return dropped("notOnThisInterface");
  const frame = encodeArpReplyTo(p, c.mac, p.targetIp);
  return { kind: "reply", protocol: "arp", frame, ip: p.targetIp, iface: c.iface };
}

function arpConflictByText(p: ArpPacket): Conflict | undefined {
  const evidence = {
    request: "arpRequest",
    probe: "arpProbe",
    reply: "arpReply",
    announcement: "arpAnnouncement",
  } as const;
  const ip = p.kind === "probe" ? p.targetIp : p.senderIp;
  const ours = watch.ownMacs.has(p.senderMac) || watch.peerMacs.has(p.senderMac);
  if (!ownedMap.has(ip) || ours) return undefined;
  return { ip, mac: p.senderMac, evidence: evidence[p.kind] };
}

test("ARP frames, read from their bytes, get the decision and conflict their text calls for", (t) => {
  const random = mulberry32((SEED ^ 0x0a59) >>> 0);
  const seeds = arpOnlyCorpus();
  const dict = dictionary();
  const show = (d: Decision) => (d.kind === "reply" ? { ...d, frame: toHex(d.frame) } : d);
  const frames = Math.ceil(FRAMES / 10);
  let checked = 0;
  for (let i = 0; i < frames; i++) {
    const frame = mutant(random, seeds, dict);
    const p = decodeArp(frame);
    if (!p.ok) continue;
    checked++;
    const c = i % 2 === 0 ? SIDES[0].ctx : SIDES[1].ctx;
    const label = () => `IRONLB_FUZZ_SEED=${SEED}, frame ${i}: ${toHex(frame)}`;
    const byText = arpDecisionByText(p.value, c);
    assert.deepEqual(show(decide(frame, c)), show(byText), label());
    assert.deepEqual(observe(frame, watch), arpConflictByText(p.value), label());
  }
  t.diagnostic(`seed ${SEED}, frames ${frames}, valid ARP ${checked}`);
  assert.ok(checked > frames / 4, `enough valid ARP frames (${checked})`);
});
