/**
 * Compiling the receive path before traffic needs it. V8 interprets a function until it has run
 * a few thousand times; interpreted, on a CPU whose caches went cold while the speaker slept,
 * `receive` + `observeReceived` + `decideReceived` take tens of microseconds per ARP request,
 * compiled a few. A speaker hears a handful of requests a second, so it would answer slowly for
 * minutes after it starts or takes over an IP, exactly when clients re-resolve.
 *
 * `primeResponder` runs the path over synthetic frames of every kind it handles, with contexts
 * shaped like the announcer's, so V8 compiles it with the right feedback. No I/O; the decisions
 * are discarded, only their tally is returned.
 */
import {
  ARP_AT,
  encodeArpProbe,
  encodeArpReply,
  encodeArpRequest,
  encodeGratuitousArp,
} from "./arp.js";
import {
  encodeDadSolicitation,
  encodeNeighborSolicitation,
  encodeUnsolicitedAdvertisement,
  solicitedNodeMulticast,
} from "./ndp.js";
import {
  decideReceived,
  observeReceived,
  receive,
  type ObserverContext,
  type ResponderContext,
} from "./responder.js";

/**
 * Rounds over the ARP frames (8 a round). Measured: after 400 V8 had compiled every function of
 * the ARP path, after 300 not yet. The slower NDP frames go through once every `NDP_EVERY`.
 */
export const PRIME_ROUNDS = 400;
const NDP_EVERY = 8;

// Documentation addresses (RFC 5737, RFC 3849) and locally administered MACs.
const OUR_MAC = "02:00:5e:00:53:01";
const CLIENT_MAC = "02:00:5e:00:53:02";
const OWNED = ["192.0.2.10", "2001:db8::10"];
const CLIENT = { ip: "192.0.2.20", ip6: "2001:db8::20" };

function solicitation(target: string): Uint8Array {
  const group = solicitedNodeMulticast(target);
  return encodeNeighborSolicitation({
    srcMac: CLIENT_MAC,
    srcIp: CLIENT.ip6,
    dstMac: group.mac,
    dstIp: group.ip,
    target,
    sourceLinkAddress: true,
  });
}

/** Every kind of ARP frame, answered or dropped, most of them requests. */
function arpCorpus(): Uint8Array[] {
  const [v4 = ""] = OWNED;
  const ask = (targetIp: string) =>
    encodeArpRequest({ senderMac: CLIENT_MAC, senderIp: CLIENT.ip, targetIp });
  const reply = { senderMac: CLIENT_MAC, senderIp: CLIENT.ip, targetMac: OUR_MAC, targetIp: v4 };
  return [
    ask(v4),
    ask("198.51.100.0"), // retargeted each round
    ask(v4),
    ask("192.0.2.31"),
    encodeArpProbe(CLIENT_MAC, v4),
    encodeGratuitousArp(CLIENT_MAC, "192.0.2.32"),
    encodeArpReply(reply),
    new Uint8Array(20),
  ];
}

function ndpCorpus(): Uint8Array[] {
  const [, v6 = ""] = OWNED;
  return [
    solicitation(v6),
    solicitation("2001:db8::30"),
    encodeDadSolicitation(CLIENT_MAC, "2001:db8::31"),
    encodeUnsolicitedAdvertisement(CLIENT_MAC, "2001:db8::32"),
  ];
}

/**
 * Shaped like the announcer's: lookups are functions, the context is built per frame. Each
 * lookup alternates between two different functions, so that V8 does not specialise the path
 * for ours and throw the compiled code away when it meets the announcer's.
 */
function contexts(): {
  observer: (i: number) => ObserverContext;
  responder: (i: number) => ResponderContext;
} {
  const ifaces = new Set(["eth0"]);
  const table = new Map(OWNED.map((ip) => [ip, ifaces]));
  const owned = [
    (ip: string) => (OWNED.includes(ip) ? ifaces : undefined),
    (ip: string) => table.get(ip),
  ];
  const watched = [(ip: string) => OWNED.includes(ip), (ip: string) => table.has(ip)];
  const macs = { ownMacs: new Set([OUR_MAC]), peerMacs: new Set<string>() };
  const observers = watched.map((w): ObserverContext => ({ ...macs, watched: w }));
  return {
    observer: (i) => observers[i % 2] ?? { ...macs, watched: new Set() },
    responder: (i) => {
      const lookup = owned[i % 2] ?? table;
      return i % 4 < 2
        ? { iface: "eth0", mac: OUR_MAC, owned: lookup }
        : { iface: "eth0", mac: OUR_MAC, owned: lookup, ipv6Source: "fe80::1" };
    },
  };
}

/** Moves the frame's ARP target to another IP of TEST-NET-2, so the path meets new ones too. */
function retarget(frame: Uint8Array, round: number): void {
  frame.set([198, 51, 100 + ((round >> 8) & 0x0f), round & 0xff], ARP_AT.targetIp);
}

/** Runs the receive path `rounds` times over the corpus; returns how many frames it answered. */
export function primeResponder(rounds = PRIME_ROUNDS): number {
  const arp = arpCorpus();
  const both = [...arp, ...ndpCorpus()];
  const { observer, responder } = contexts();
  let replies = 0;
  for (let round = 0; round < rounds; round++) {
    const frames = round % NDP_EVERY === 0 ? both : arp;
    retarget(frames[1] ?? new Uint8Array(0), round);
    for (let i = 0; i < frames.length; i++) {
      const received = receive(frames[i] ?? new Uint8Array(0));
      observeReceived(received, observer(i + round));
      if (decideReceived(received, responder(i + round)).kind === "reply") replies++;
    }
  }
  return replies;
}
