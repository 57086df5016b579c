/**
 * FrameSocket over libpcap (npm `cap`): one per interface, opened with a kernel BPF filter so the
 * process only wakes for frames it may answer or must watch, in immediate mode (no batching
 * delay), and used to send raw Ethernet frames.
 *
 * Nothing is allocated per frame beyond a view: `cap` copies each packet into our receive buffer
 * and handlers get a view of it (valid until they return, see `FrameHandler`); a frame to send is
 * copied into a send buffer that lives off the V8 heap, since `pcap_sendpacket` is synchronous
 * and a small Uint8Array lives on the heap (handing one to native code makes V8 move it out).
 */
import { createRequire } from "node:module";
import type { FrameHandler, FrameSocket } from "../core/frame-socket.js";

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  on(event: "packet", cb: (nbytes: number, truncated: boolean) => void): void;
  send(buffer: Buffer, nbytes?: number): void;
  close(): void;
  removeAllListeners(): void;
}
interface CapModule {
  Cap: new () => CapHandle;
}

const require = createRequire(import.meta.url);

export class FrameSocketError extends Error {
  readonly code = "IRONLB_ERR_FRAME_SOCKET";
}

/**
 * Every capture handle ever closed, kept reachable until the process exits. `cap` 0.2.1 stops
 * its libuv poll handle on close but never `uv_close`s it, so the handle stays linked in the
 * event loop's handle queue; once V8 collects the closed `Cap` object, its memory is freed
 * while still linked, and the next handle added or removed next to it corrupts the heap (the
 * speaker died with SIGSEGV/SIGABRT and no log line after a few capture reopens). Keeping the
 * closed objects costs a few hundred bytes per close; closes happen only when an interface
 * changes. Regression test: test/integration/pcap-close.test.ts.
 */
const closedHandles: CapHandle[] = [];

/** Larger than any frame: libpcap's snapshot length is 65535. */
const FRAME_BUFFER_SIZE = 65_536;

/**
 * ARP, and ICMPv6 Neighbor Solicitations (135) and Advertisements (136), whatever their
 * destination: a unicast NS (to our MAC and the VIP, a neighbour entry's PROBE, RFC 4861 7.3.3)
 * must pass as well as one to a solicited-node group.
 */
export const NEIGHBOR_FILTER = "arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))";

export class PcapFrameSocket implements FrameSocket {
  private cap: CapHandle | undefined;
  private readonly handlers: FrameHandler[] = [];
  private readonly buffer = Buffer.alloc(FRAME_BUFFER_SIZE);
  private readonly sendBuffer = Buffer.alloc(FRAME_BUFFER_SIZE);

  constructor(
    readonly iface: string,
    private readonly filter: string = NEIGHBOR_FILTER,
  ) {}

  /** Opens the capture; throws FrameSocketError naming the interface when libpcap refuses. */
  open(): void {
    const { Cap } = require("cap") as CapModule;
    const cap = new Cap();
    try {
      const linkType = cap.open(this.iface, this.filter, 1 << 20, this.buffer);
      if (linkType !== "ETHERNET") throw new Error(`link type ${linkType} is not Ethernet`);
    } catch (e) {
      throw new FrameSocketError(`cannot capture on ${this.iface}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const { buffer, byteOffset } = this.buffer;
    cap.on("packet", (nbytes) => {
      const frame = new Uint8Array(buffer, byteOffset, nbytes);
      for (const h of this.handlers) h(frame);
    });
    this.cap = cap;
  }

  send(frame: Uint8Array): void {
    if (!this.cap) throw new FrameSocketError(`socket on ${this.iface} is not open`);
    if (frame.byteLength > this.sendBuffer.length) {
      throw new FrameSocketError(`a ${frame.byteLength}-byte frame does not fit a send buffer`);
    }
    this.sendBuffer.set(frame);
    this.cap.send(this.sendBuffer, frame.byteLength);
  }

  onFrame(handler: FrameHandler): void {
    this.handlers.push(handler);
  }

  close(): void {
    if (!this.cap) return;
    this.cap.close();
    this.cap.removeAllListeners(); // drops our handler closure, the retained object stays small
    closedHandles.push(this.cap);
    this.cap = undefined;
  }
}
