/**
 * The port through which the speaker sends and receives raw Ethernet frames on one interface.
 * Adapters implement it (libpcap); tests use `FakeFrameSocket` from `./testing/`.
 */

/**
 * Receives each frame as it arrived, FCS excluded. The bytes are valid until the handler returns
 * (a socket may reuse them for the next frame): copy what must outlive the call.
 */
export type FrameHandler = (frame: Uint8Array) => void;

export interface FrameSocket {
  /** Sends one complete Ethernet frame (header included, FCS excluded). */
  send(frame: Uint8Array): Promise<void> | void;
  /** Registers a handler for received frames; every handler sees every frame. */
  onFrame(handler: FrameHandler): void;
  /** Stops receiving and releases the socket; idempotent. */
  close(): void;
}
