/**
 * The node, addresses and seed frames the responder fuzz tests start from: two interfaces with
 * their own MACs, IPs owned on one or both, and valid and invalid frames of every kind the
 * responder sees. The seed frames are made with the production encoders: they are inputs only.
 * What the responder owes each frame comes from the oracle (./reply-oracle.ts), which reads the
 * owned table with its own parser.
 */
import {
  encodeArp,
  encodeArpProbe,
  encodeArpReply,
  encodeArpRequest,
  encodeGratuitousArp,
} from "../arp.js";
import { macToBytes } from "../ethernet.js";
import {
  encodeDadSolicitation,
  encodeNeighborSolicitation,
  encodeUnsolicitedAdvertisement,
  solicitedNodeMulticast,
} from "../ndp.js";
import type { Dictionary } from "./frame-mutator.js";
import { appendOption, reseal } from "./frame-mutator.js";
import { ipBytes } from "./oracle-bytes.js";
import type { OwnedAddress } from "./reply-oracle.js";

export const MAC_ETH0 = "02:00:00:00:00:0b";
export const MAC_ETH1 = "02:00:00:00:01:0b";
export const PEER_MAC = "02:00:00:00:00:0c";
export const CLIENT = "02:00:00:00:00:64";

const v6 = (...groups: number[]): number[] => groups.flatMap((g) => [g >> 8, g & 0xff]);

export const OWNED: readonly OwnedAddress[] = [
  { ip: "198.18.0.200", ifaces: ["eth0"] },
  { ip: "198.18.0.201", ifaces: ["eth1"] },
  { ip: "198.18.0.202", ifaces: ["eth0", "eth1"] },
  { ip: "2001:db8:18::200", ifaces: ["eth0"] },
  { ip: "2001:db8:18::201", ifaces: ["eth1"] },
  { ip: "2001:db8:0:1::1:200", ifaces: ["eth0", "eth1"] },
  // A misconfigured multicast IP: RFC 4861 7.1.1 discards solicitations for it all the same.
  { ip: "ff0e::1:200", ifaces: ["eth0", "eth1"] },
];

/** Owned addresses, their neighbours, and the special ones: zero, loopback, multicast, mapped. */
export function dictionary(): Dictionary {
  const owned = (size: number) =>
    OWNED.map((o) => Uint8Array.from(ipBytes(o.ip))).filter((b) => b.length === size);
  const macs = [MAC_ETH0, MAC_ETH1, PEER_MAC, CLIENT, "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"];
  const groups = [
    "01:00:5e:00:00:01",
    "33:33:00:00:00:01",
    "33:33:ff:00:02:00",
    "03:00:00:00:00:00",
  ];
  return {
    macs: [...macs, ...groups].map(macToBytes),
    ipv4: [
      ...owned(4),
      ...[
        [198, 18, 0, 100],
        [198, 18, 0, 9],
        [0, 0, 0, 0],
        [127, 0, 0, 1],
        [224, 0, 0, 1],
        [255, 255, 255, 255],
      ].map((b) => Uint8Array.from(b)),
    ],
    ipv6: [
      ...owned(16),
      ...[
        v6(0x2001, 0xdb8, 0x18, 0, 0, 0, 0, 0x9),
        v6(0, 0, 0, 0, 0, 0, 0, 0),
        v6(0, 0, 0, 0, 0, 0, 0, 1),
        v6(0xff02, 0, 0, 0, 0, 0, 0, 1),
        v6(0xff02, 0, 0, 0, 0, 1, 0xff00, 0x200),
        v6(0xfe80, 0, 0, 0, 0, 0, 0, 0x64),
        v6(0, 0, 0, 0, 0, 0xffff, 0xc612, 0xc8),
      ].map((b) => Uint8Array.from(b)),
    ],
  };
}

const CLIENT_IP = "198.18.0.100";
const CLIENT_IP6 = "2001:db8:18::100";

function solicit(target: string, o: { srcMac?: string; srcIp?: string; link?: boolean } = {}) {
  const group = solicitedNodeMulticast(target);
  return encodeNeighborSolicitation({
    srcMac: o.srcMac ?? CLIENT,
    srcIp: o.srcIp ?? CLIENT_IP6,
    dstMac: group.mac,
    dstIp: group.ip,
    target,
    sourceLinkAddress: o.link ?? true,
  });
}

function withOption(frame: Uint8Array, option: number[]): Uint8Array {
  const out = appendOption(frame, option);
  reseal(out);
  return out;
}

function arpCorpus(): Uint8Array[] {
  const ask = (targetIp: string, senderMac = CLIENT) =>
    encodeArpRequest({ senderMac, senderIp: CLIENT_IP, targetIp });
  const unicast = (ethDst: string, targetIp: string, ethSrc = CLIENT) =>
    encodeArp({
      op: 1,
      senderMac: CLIENT,
      senderIp: CLIENT_IP,
      targetMac: ethDst,
      targetIp,
      ethDst,
      ethSrc,
    });
  return [
    ask("198.18.0.200"),
    ask("198.18.0.201"),
    ask("198.18.0.202"),
    ask("198.18.0.9"),
    ask("198.18.0.200", MAC_ETH0),
    encodeArpProbe(CLIENT, "198.18.0.200"),
    encodeArpProbe(CLIENT, "198.18.0.201"),
    encodeGratuitousArp(CLIENT, "198.18.0.200"),
    encodeArpReply({
      senderMac: CLIENT,
      senderIp: "198.18.0.200",
      targetMac: MAC_ETH0,
      targetIp: "198.18.0.1",
    }),
    unicast(MAC_ETH0, "198.18.0.200"),
    unicast(MAC_ETH1, "198.18.0.201"),
    unicast(PEER_MAC, "198.18.0.202"),
    unicast("ff:ff:ff:ff:ff:ff", "198.18.0.202", PEER_MAC),
  ];
}

function ndpCorpus(): Uint8Array[] {
  // Unicast (NUD, RFC 4861 7.3.1): to our MAC and to the target address itself.
  const nudTo = (target: string, dstMac: string, link = false) =>
    encodeNeighborSolicitation({
      srcMac: CLIENT,
      srcIp: CLIENT_IP6,
      dstMac,
      dstIp: target,
      target,
      sourceLinkAddress: link,
    });
  const mac = Array.from(macToBytes(CLIENT));
  return [
    solicit("2001:db8:18::200"),
    solicit("2001:db8:18::201"),
    solicit("2001:db8:0:1::1:200"),
    solicit("2001:db8:18::9"),
    solicit("ff0e::1:200"),
    solicit("2001:db8:18::200", { srcMac: MAC_ETH0 }),
    solicit("2001:db8:18::200", { srcIp: "fe80::64", link: false }),
    nudTo("2001:db8:18::200", MAC_ETH0),
    nudTo("2001:db8:18::201", MAC_ETH1),
    nudTo("2001:db8:0:1::1:200", MAC_ETH1, true),
    nudTo("2001:db8:18::200", PEER_MAC),
    encodeDadSolicitation(CLIENT, "2001:db8:18::200"),
    encodeDadSolicitation(CLIENT, "2001:db8:0:1::1:200"),
    withOption(encodeDadSolicitation(CLIENT, "2001:db8:18::201"), [14, 1, 1, 2, 3, 4, 5, 6]),
    withOption(solicit("2001:db8:18::200"), [14, 1, 1, 2, 3, 4, 5, 6]),
    withOption(solicit("2001:db8:18::201", { link: false }), [
      1,
      2,
      ...mac,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    ]),
    encodeUnsolicitedAdvertisement(CLIENT, "2001:db8:18::200"),
  ];
}

/** Seed frames: ARP and NDP, answerable or not, for each interface. */
export const corpus = (): Uint8Array[] => [...arpCorpus(), ...ndpCorpus()];
export const arpOnlyCorpus = arpCorpus;
