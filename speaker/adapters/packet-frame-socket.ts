/**
 * FrameSocket over our own AF_PACKET addon (native/frame-socket, `@ironlb/frame-socket`): one
 * per interface, with the same kernel BPF filter as the libpcap socket (the filter expression is
 * compiled by libpcap, no capture opened), polled on the event loop of the thread that opens it.
 * That is what lets the frame path run in a worker thread: npm `cap` polls on the main thread's
 * loop whatever thread opened it.
 *
 * Not promiscuous (libpcap through `cap` is): the interface delivers frames to its MAC,
 * broadcast, and the multicast groups the host joined, and the announcer joins the solicited-node
 * group of each IPv6 address it announces (./multicast-groups.ts).
 *
 * As with ./pcap-frame-socket.ts nothing is allocated per frame beyond a view: the addon copies
 * each frame into our receive buffer, and a frame to send is copied into a send buffer off the
 * V8 heap (`send` is synchronous).
 */
import { createRequire } from "node:module";
import type { FrameHandler, FrameSocket } from "../core/frame-socket.js";
import { FrameSocketError } from "./pcap-frame-socket.js";

type Handle = object;
interface FrameSocketAddon {
  open(ifname: string, filter: string, buffer: Buffer, onFrame: (length: number) => void): Handle;
  send(handle: Handle, buffer: Buffer, length: number): void;
  close(handle: Handle): void;
}

const require = createRequire(import.meta.url);
let addon: FrameSocketAddon | undefined;
const loadAddon = (): FrameSocketAddon =>
  (addon ??= require("@ironlb/frame-socket") as FrameSocketAddon);

/** Larger than any frame on a standard or jumbo Ethernet link. */
const FRAME_BUFFER_SIZE = 65_536;

export class PacketFrameSocket implements FrameSocket {
  #handle: Handle | undefined;
  readonly #handlers: FrameHandler[] = [];
  readonly #buffer = Buffer.alloc(FRAME_BUFFER_SIZE);
  readonly #sendBuffer = Buffer.alloc(FRAME_BUFFER_SIZE);

  /** `filter`: a libpcap filter expression, run in the kernel. */
  constructor(
    readonly iface: string,
    readonly filter: string,
  ) {}

  /** Opens the socket; throws FrameSocketError naming the interface when the kernel refuses. */
  open(): void {
    if (this.#handle) return;
    const { buffer, byteOffset } = this.#buffer;
    const onFrame = (length: number): void => {
      const frame = new Uint8Array(buffer, byteOffset, length);
      for (const h of this.#handlers) h(frame);
    };
    try {
      this.#handle = loadAddon().open(this.iface, this.filter, this.#buffer, onFrame);
    } catch (e) {
      throw new FrameSocketError(`cannot open ${this.iface}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  send(frame: Uint8Array): void {
    if (!this.#handle) throw new FrameSocketError(`socket on ${this.iface} is not open`);
    if (frame.byteLength > this.#sendBuffer.length) {
      throw new FrameSocketError(`a ${frame.byteLength}-byte frame does not fit a send buffer`);
    }
    this.#sendBuffer.set(frame);
    loadAddon().send(this.#handle, this.#sendBuffer, frame.byteLength);
  }

  onFrame(handler: FrameHandler): void {
    this.#handlers.push(handler);
  }

  close(): void {
    if (!this.#handle) return;
    loadAddon().close(this.#handle);
    this.#handle = undefined;
  }
}
