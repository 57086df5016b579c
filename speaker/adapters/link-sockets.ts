/**
 * The open FrameSockets of the L2 announcer, one per interface it announces on: opened when an
 * interface is first wanted, closed when no longer wanted, reopened when its MAC changed. An open
 * that fails is reported and tried again on the next `sync`.
 */
import type { FrameSocket } from "../core/frame-socket.js";
import { PacketFrameSocket } from "./packet-frame-socket.js";
import { NEIGHBOR_FILTER } from "./pcap-frame-socket.js";

/** An interface the announcer may use. */
export interface AnnouncerLink {
  readonly name: string;
  /** Lowercase MAC: the source of everything sent and the address announced. */
  readonly mac: string;
  /** The interface's IPv6 link-local address, the source of our advertisements. */
  readonly ipv6LinkLocal?: string | undefined;
  /** Bumped by every link flap; a capture that lived through one is reopened. */
  readonly carrierChanges?: number | undefined;
}

export class L2AnnouncerError extends Error {
  readonly code = "IRONLB_ERR_L2_ANNOUNCER";
  readonly iface: string | undefined;
  readonly ip: string | undefined;

  constructor(message: string, where: { iface?: string; ip?: string; cause?: unknown }) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.iface = where.iface;
    this.ip = where.ip;
  }
}

/** Our neighbor traffic, minus what we sent ourselves (a packet socket sees outgoing frames too). */
export const neighborFilterFor = (mac: string): string =>
  `(${NEIGHBOR_FILTER}) and not ether src ${mac}`;

/** The default: an AF_PACKET socket on the interface (our addon), filtered in the kernel. */
export function openPacketSocket(link: AnnouncerLink): PacketFrameSocket {
  const socket = new PacketFrameSocket(link.name, neighborFilterFor(link.mac));
  socket.open();
  return socket;
}

export interface OpenLink {
  /** Updated in place when only the link-local address changed. */
  link: AnnouncerLink;
  readonly socket: FrameSocket;
}

export interface LinkSocketsOptions {
  readonly open: (link: AnnouncerLink) => FrameSocket;
  /** `answered`: the socket already sent the answer (`FrameSocket.setAnswers`). */
  readonly onFrame: (from: OpenLink, frame: Uint8Array, answered: boolean) => void;
  readonly onError: (err: L2AnnouncerError, during: "open" | "send") => void;
}

export class LinkSockets {
  readonly #options: LinkSocketsOptions;
  readonly #open = new Map<string, OpenLink>();

  constructor(options: LinkSocketsOptions) {
    this.#options = options;
  }

  get(iface: string): OpenLink | undefined {
    return this.#open.get(iface);
  }

  /** The names of the open interfaces. */
  names(): IterableIterator<string> {
    return this.#open.keys();
  }

  /**
   * Opens and closes sockets to match `wanted` (a changed MAC or a link flap reopens: a flap
   * leaves a libpcap capture dead); returns the interfaces (re)opened now.
   */
  sync(wanted: ReadonlyMap<string, AnnouncerLink>): Set<string> {
    for (const [name, open] of this.#open) {
      const link = wanted.get(name);
      const same = link?.mac === open.link.mac && link.carrierChanges === open.link.carrierChanges;
      if (link && same) open.link = link;
      else this.#close(name, open);
    }
    const opened = new Set<string>();
    for (const [name, link] of wanted) {
      if (!this.#open.has(name) && this.#tryOpen(link)) opened.add(name);
    }
    return opened;
  }

  /** Sends on the interface; false (and reported) when the socket refuses. */
  send(iface: string, frame: Uint8Array, ip: string): boolean {
    const open = this.#open.get(iface);
    if (!open) return false;
    try {
      const pending = open.socket.send(frame);
      if (pending) pending.catch((e: unknown) => this.#sendFailed(iface, ip, e));
      return true;
    } catch (e) {
      this.#sendFailed(iface, ip, e);
      return false;
    }
  }

  closeAll(): void {
    for (const [name, open] of this.#open) this.#close(name, open);
  }

  #tryOpen(link: AnnouncerLink): boolean {
    try {
      const socket = this.#options.open(link);
      const open: OpenLink = { link, socket };
      socket.onFrame((frame, answered) => {
        if (this.#open.get(link.name) === open)
          this.#options.onFrame(open, frame, answered === true);
      });
      this.#open.set(link.name, open);
      return true;
    } catch (e) {
      const message = `cannot open ${link.name}: ${(e as Error).message}`;
      const err = new L2AnnouncerError(message, { iface: link.name, cause: e });
      this.#options.onError(err, "open");
      return false;
    }
  }

  #close(name: string, open: OpenLink): void {
    this.#open.delete(name);
    open.socket.close();
  }

  #sendFailed(iface: string, ip: string, e: unknown): void {
    const message = `send on ${iface} failed: ${(e as Error).message}`;
    this.#options.onError(new L2AnnouncerError(message, { iface, ip, cause: e }), "send");
  }
}
