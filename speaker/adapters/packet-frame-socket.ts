/**
 * FrameSocket over our own AF_PACKET addon (native/frame-socket, `@ironlb/frame-socket`): one
 * per interface, with the same kernel BPF filter as the libpcap socket (the filter expression is
 * compiled by libpcap, no capture opened). The addon's own threads receive, one per online CPU
 * (sockets in a PACKET_FANOUT_CPU group, each thread pinned to its CPU): each answers the
 * plain ARP requests and Neighbor Solicitations of the table set by `setAnswers` at once (the
 * bytes the core's `decide` would send: ./native-answers.ts), then hands every frame to the event
 * loop of the thread that opened the socket, with whether it was answered. They run at
 * SCHED_FIFO priority 1, else niceness -10 (`receiver().priority`). The JS side can thus run in
 * a worker thread (npm `cap` polls on the main thread's loop whatever thread opened it), and the
 * common answer waits for neither loop.
 *
 * Not promiscuous (libpcap through `cap` is): the interface delivers frames to its MAC,
 * broadcast, and the multicast groups the host joined, and the announcer joins the solicited-node
 * group of each IPv6 address it announces (./multicast-groups.ts).
 *
 * As with ./pcap-frame-socket.ts nothing is allocated per frame beyond a view: the addon copies
 * each frame from its threads' queues into our receive buffer, and a frame to send is copied into a send buffer off the
 * V8 heap (`send` is synchronous).
 */
import type { AnswerTable, FrameHandler, FrameSocket } from "../core/frame-socket.js";
import { loadAddon, tableArgs, type Handle, type ReceiverInfo } from "./native-answers.js";
import { FrameSocketError } from "./pcap-frame-socket.js";

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
    const onFrame = (length: number, answered: boolean): void => {
      const frame = new Uint8Array(buffer, byteOffset, length);
      for (const h of this.#handlers) h(frame, answered);
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

  /** Answered by the receiving thread from now on; throws naming a bad MAC or address. */
  setAnswers(table: AnswerTable): void {
    if (!this.#handle) throw new FrameSocketError(`socket on ${this.iface} is not open`);
    loadAddon().setAnswers(this.#handle, ...tableArgs(table));
  }

  /** The receiving thread's priority and counts; undefined when closed. */
  receiver(): ReceiverInfo | undefined {
    return this.#handle && loadAddon().receiver(this.#handle);
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
