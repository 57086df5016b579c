/**
 * Sends raw Ethernet frames from inside a lab namespace, for tests that need frames the kernel
 * would never send (a forged ARP reply, another host's MAC). Run it in the namespace:
 *
 *   ip netns exec ironlb-client node --import tsx test/support/send-frames.ts IFACE GAP_MS HEX...
 *
 * Each HEX argument is one frame; they go out GAP_MS apart through libpcap (the speaker's own
 * PcapFrameSocket, with a filter that captures nothing), then the socket is closed.
 */
import { PcapFrameSocket } from "../../speaker/adapters/pcap-frame-socket.js";
import { fromHex } from "../../speaker/core/testing/hex.js";

const [iface = "", gap = "0", ...frames] = process.argv.slice(2);
if (iface === "" || frames.length === 0 || !/^\d+$/.test(gap)) {
  process.stderr.write("usage: send-frames.ts IFACE GAP_MS HEX [HEX...]\n");
  process.exit(2);
}
// Nothing on the lab uses the local experimental ethertype: the capture stays empty.
const socket = new PcapFrameSocket(iface, "ether proto 0x88b5");
socket.open();
for (const [i, hex] of frames.entries()) {
  if (i > 0) await new Promise((resolve) => setTimeout(resolve, Number(gap)));
  socket.send(fromHex(hex));
}
socket.close();
process.exit(0);
