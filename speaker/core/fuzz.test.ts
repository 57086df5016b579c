/**
 * Robustness: a million random and mutated frames from a seeded PRNG. No decoder may throw, and
 * decide() must answer exactly the frames an independent oracle (testing/reply-oracle.ts) says
 * deserve an answer - a valid ARP request or probe, or Neighbor Solicitation (multicast or
 * unicast), for an IP owned on the interface, not sent by us - with exactly the oracle's bytes;
 * for ARP frames also the oracle's drop reason and address conflict. The expectations come from
 * the oracle alone: this file imports production code only to run it.
 *
 * IRONLB_FUZZ_SEED (decimal or 0x hex) and IRONLB_FUZZ_FRAMES override the seed and the number
 * of mutated frames; a failure names the seed and the frame's bytes.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { decodeArp } from "./arp.js";
import { decodeEthernet } from "./ethernet.js";
import { decodeIpv6 } from "./ipv6.js";
import {
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
import {
  ORACLE_DROP_REASONS,
  Oracle,
  expectedArpConflict,
  type ArpVerdict,
  type ExpectedReply,
  type OracleWatch,
} from "./testing/reply-oracle.js";
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

const ownedMap = new Map(OWNED.map((o) => [o.ip, new Set(o.ifaces)]));

/** Two interfaces, one with an owned map and one with a lookup and a link-local NA source. */
interface Side {
  readonly ctx: ResponderContext;
  readonly oracle: Oracle;
}
const SIDES: readonly [Side, Side] = [
  {
    ctx: { iface: "eth0", mac: MAC_ETH0, owned: ownedMap },
    oracle: new Oracle({ iface: "eth0", mac: MAC_ETH0, owned: OWNED }),
  },
  {
    ctx: { iface: "eth1", mac: MAC_ETH1, owned: (ip) => ownedMap.get(ip), ipv6Source: "fe80::1:b" },
    oracle: new Oracle({ iface: "eth1", mac: MAC_ETH1, owned: OWNED, ipv6Source: "fe80::1:b" }),
  },
];
const watch: ObserverContext = {
  ownMacs: new Set([MAC_ETH0, MAC_ETH1]),
  peerMacs: new Set([PEER_MAC]),
  watched: new Set(ownedMap.keys()),
};
const oracleWatch: OracleWatch = {
  ownMacs: [MAC_ETH0, MAC_ETH1],
  peerMacs: [PEER_MAC],
  watched: OWNED.map((o) => o.ip),
};
const KNOWN_REASONS: ReadonlySet<string> = new Set(ORACLE_DROP_REASONS);

const same = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** What is wrong with a decision the oracle expected `want` for, or undefined. */
function disagreement(
  d: Decision,
  want: ExpectedReply | undefined,
  iface: string,
): string | undefined {
  if (d.kind === "drop") {
    if (!KNOWN_REASONS.has(d.reason)) return `unknown drop reason ${d.reason}`;
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
    problem = disagreement(decision, side.oracle.expectedReply(frame), side.ctx.iface);
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
  for (const reason of ORACLE_DROP_REASONS) {
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

/** The oracle's ARP verdict in the shape of a Decision, for comparison. */
function asDecision(v: ArpVerdict, iface: string): Decision {
  if (v.kind === "reply") return { kind: "reply", iface, ...v.reply };
  return v.ip === undefined
    ? { kind: "drop", reason: v.reason }
    : { kind: "drop", reason: v.reason, ip: v.ip };
}

test("ARP frames get exactly the oracle's decision, drop reason included, and conflict", (t) => {
  const random = mulberry32((SEED ^ 0x0a59) >>> 0);
  const seeds = arpOnlyCorpus();
  const dict = dictionary();
  // The decoder's error code (`detail`) is the production's own vocabulary: not compared.
  const show = (d: Decision) => {
    if (d.kind === "reply") return { ...d, frame: toHex(d.frame) };
    const { kind, reason, ip } = d;
    return ip === undefined ? { kind, reason } : { kind, reason, ip };
  };
  const frames = Math.ceil(FRAMES / 10);
  const verdicts: Record<string, number> = {};
  for (let i = 0; i < frames; i++) {
    const frame = mutant(random, seeds, dict);
    if (frame.length < 14 || frame[12] !== 0x08 || frame[13] !== 0x06) continue;
    const side = i % 2 === 0 ? SIDES[0] : SIDES[1];
    const label = () => `IRONLB_FUZZ_SEED=${SEED}, frame ${i}: ${toHex(frame)}`;
    const want = asDecision(side.oracle.arpVerdict(frame), side.ctx.iface);
    assert.deepEqual(show(decide(frame, side.ctx)), show(want), label());
    assert.deepEqual(observe(frame, watch), expectedArpConflict(frame, oracleWatch), label());
    const key = want.kind === "reply" ? "reply" : want.reason;
    verdicts[key] = (verdicts[key] ?? 0) + 1;
  }
  t.diagnostic(`seed ${SEED}, frames ${frames}, ARP verdicts ${JSON.stringify(verdicts)}`);
  if (frames < 10_000) return;
  // Every ARP verdict was reached: the comparison could fail either way.
  for (const key of ["reply", ...ORACLE_DROP_REASONS.filter((r) => r !== "unsupportedProtocol")]) {
    assert.ok((verdicts[key] ?? 0) > 0, `an ARP frame the oracle judges ${key}`);
  }
});
