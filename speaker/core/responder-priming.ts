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
import { encodeArpProbe, encodeArpReply, encodeArpRequest, encodeGratuitousArp } from "./arp.js";
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

/** Enough calls for V8 to compile the path (measured: ~3000 frames; more changes nothing). */
export const PRIME_ROUNDS = 400;

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

/** Every kind of frame the path meets, answered or dropped, most of them ARP requests. */
function corpus(): Uint8Array[] {
  const [v4 = "", v6 = ""] = OWNED;
  const ask = (targetIp: string) =>
    encodeArpRequest({ senderMac: CLIENT_MAC, senderIp: CLIENT.ip, targetIp });
  return [
    ask(v4),
    ask("192.0.2.30"),
    ask(v4),
    ask("192.0.2.31"),
    encodeArpProbe(CLIENT_MAC, v4),
    encodeGratuitousArp(CLIENT_MAC, "192.0.2.32"),
    encodeArpReply({
      senderMac: CLIENT_MAC,
      senderIp: CLIENT.ip,
      targetMac: OUR_MAC,
      targetIp: v4,
    }),
    solicitation(v6),
    solicitation("2001:db8::30"),
    encodeDadSolicitation(CLIENT_MAC, "2001:db8::31"),
    encodeUnsolicitedAdvertisement(CLIENT_MAC, "2001:db8::32"),
    new Uint8Array(20),
  ];
}

/** Runs the receive path `rounds` times over the corpus; returns how many frames it answered. */
export function primeResponder(rounds = PRIME_ROUNDS): number {
  const frames = corpus();
  const ifaces = new Set(["eth0"]);
  const owned = (ip: string) => (OWNED.includes(ip) ? ifaces : undefined);
  const observer: ObserverContext = {
    ownMacs: new Set([OUR_MAC]),
    peerMacs: new Set(),
    watched: (ip) => OWNED.includes(ip),
  };
  let replies = 0;
  for (let round = 0; round < rounds; round++) {
    for (const [i, frame] of frames.entries()) {
      const received = receive(frame);
      observeReceived(received, observer);
      const ctx: ResponderContext =
        i % 2 === 0
          ? { iface: "eth0", mac: OUR_MAC, owned }
          : { iface: "eth0", mac: OUR_MAC, owned, ipv6Source: "fe80::1" };
      if (decideReceived(received, ctx).kind === "reply") replies++;
    }
  }
  return replies;
}
