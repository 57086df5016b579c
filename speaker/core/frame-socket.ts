/**
 * The port through which the speaker sends and receives raw Ethernet frames on one interface.
 * Adapters implement it (libpcap); tests use `FakeFrameSocket` from `./testing/`.
 */

/**
 * Receives each frame as it arrived, FCS excluded. The bytes are valid until the handler returns
 * (a socket may reuse them for the next frame): copy what must outlive the call. `answered`:
 * the socket already sent the answer to this frame from its answer table (`setAnswers`).
 */
export type FrameHandler = (frame: Uint8Array, answered?: boolean) => void;

/**
 * What a socket that answers by itself answers on its interface: plain ARP requests and Neighbor
 * Solicitations (not DAD) for `ips`, from `mac`, as the core's `decide` would.
 */
export interface AnswerTable {
  /** Our MAC on the interface, lowercase. */
  readonly mac: string;
  /** The IPv6 source of advertisements (the link-local address); else the target itself. */
  readonly ipv6Source?: string | undefined;
  /** Canonical text of the IPs answered there. */
  readonly ips: readonly string[];
}

export interface FrameSocket {
  /** Sends one complete Ethernet frame (header included, FCS excluded). */
  send(frame: Uint8Array): Promise<void> | void;
  /** Registers a handler for received frames; every handler sees every frame. */
  onFrame(handler: FrameHandler): void;
  /**
   * Sockets that answer by themselves (before the frame reaches a handler): replaces the table;
   * once this returns, no answer from the previous table leaves.
   */
  setAnswers?(table: AnswerTable): void;
  /** Stops receiving and releases the socket; idempotent. */
  close(): void;
}
