/**
 * An in-memory `FrameSocket`: records what is sent, lets a test deliver frames as if from the
 * wire, and can join other fakes on a shared segment where every send reaches every other member.
 * Like a socket that answers by itself, it takes answer tables (`setAnswers`): it keeps them, and
 * a test says with `deliver` whether a frame counts as answered.
 */
import type { AnswerTable, FrameHandler, FrameSocket } from "../frame-socket.js";

export class FakeFrameSocket implements FrameSocket {
  /** Copies of every frame sent, in order. */
  readonly sent: Uint8Array[] = [];
  /** Every answer table set, in order. */
  readonly tables: AnswerTable[] = [];
  #handlers: FrameHandler[] = [];
  #segment: Set<FakeFrameSocket> | undefined;
  #closed = false;

  /** Puts the sockets on one segment: a frame sent by one is delivered to all the others. */
  static link(...sockets: FakeFrameSocket[]): void {
    const segment = new Set(sockets);
    for (const socket of sockets) socket.#segment = segment;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(frame: Uint8Array): void {
    if (this.#closed) throw new Error("send on a closed FakeFrameSocket");
    this.sent.push(frame.slice());
    for (const other of this.#segment ?? []) {
      if (other !== this) other.deliver(frame);
    }
  }

  onFrame(handler: FrameHandler): void {
    if (!this.#closed) this.#handlers.push(handler);
  }

  setAnswers(table: AnswerTable): void {
    if (this.#closed) throw new Error("setAnswers on a closed FakeFrameSocket");
    this.tables.push({ ...table, ips: [...table.ips] });
  }

  /** Hands a copy of `frame` to every handler, as if it arrived; ignored once closed. */
  deliver(frame: Uint8Array, answered = false): void {
    for (const handler of this.#closed ? [] : this.#handlers) handler(frame.slice(), answered);
  }

  close(): void {
    this.#closed = true;
    this.#handlers = [];
    this.#segment?.delete(this);
  }
}
