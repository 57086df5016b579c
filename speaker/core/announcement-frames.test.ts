import assert from "node:assert/strict";
import { test } from "node:test";
import { announcementFrames, probeFrame } from "./announcement-frames.js";
import { decodeArp } from "./arp.js";
import { decodeNdp } from "./ndp.js";

const MAC = "02:00:00:00:00:0b";

/** The fields a switch or neighbour cache learns from, read back with the decoders. */
function fields(frame: Uint8Array): string {
  const arp = decodeArp(frame);
  if (arp.ok) {
    const p = arp.value;
    return `arp op${p.op} ${p.ethDst} ${p.senderMac} ${p.senderIp} ${p.targetMac} ${p.targetIp}`;
  }
  const ndp = decodeNdp(frame);
  assert.ok(ndp.ok, "an NDP frame");
  const m = ndp.value;
  if (m.type === "solicitation") return `ns dad=${m.dad} ${m.srcIp} ${m.target}`;
  return `na S=${m.solicited} O=${m.override} ${m.srcIp} ${m.target} ${m.targetLinkAddress}`;
}

test("an IPv4 announcement is a request-form and a reply-form gratuitous ARP, both broadcast", () => {
  assert.deepEqual(announcementFrames({ mac: MAC }, "198.18.0.200").map(fields), [
    `arp op1 ff:ff:ff:ff:ff:ff ${MAC} 198.18.0.200 00:00:00:00:00:00 198.18.0.200`,
    `arp op2 ff:ff:ff:ff:ff:ff ${MAC} 198.18.0.200 ${MAC} 198.18.0.200`,
  ]);
});

test("an IPv6 announcement is one unsolicited NA with override, from the link-local", () => {
  const link = { mac: MAC, ipv6LinkLocal: "fe80::b" };
  assert.deepEqual(announcementFrames(link, "2001:db8:18::200").map(fields), [
    `na S=false O=true fe80::b 2001:db8:18::200 ${MAC}`,
  ]);
});

test("probes: ARP probe from 0.0.0.0, DAD solicitation from ::", () => {
  assert.equal(
    fields(probeFrame({ mac: MAC }, "198.18.0.200")),
    `arp op1 ff:ff:ff:ff:ff:ff ${MAC} 0.0.0.0 00:00:00:00:00:00 198.18.0.200`,
  );
  assert.equal(
    fields(probeFrame({ mac: MAC }, "2001:db8:18::200")),
    "ns dad=true :: 2001:db8:18::200",
  );
});
