/**
 * The answer tables of the announcer's sockets that answer by themselves (`FrameSocket.setAnswers`,
 * ./packet-frame-socket.ts): for each open interface, the IPs that `AddressClaims.answerable`
 * answers there, with the link's MAC and link-local address. `sync` pushes a table only when it
 * changed (or the socket is new), and is called before a change to the claims or the links
 * counts as applied, so the native answer never outlives an IP the core stopped answering.
 */
import type { AnswerTable, FrameSocket } from "../core/frame-socket.js";
import { L2AnnouncerError, type AnnouncerLink, type LinkSockets } from "./link-sockets.js";

interface Pushed {
  readonly socket: FrameSocket;
  readonly key: string;
}

export class AnswerTables {
  readonly #pushed = new Map<string, Pushed>();
  readonly #onError: (err: L2AnnouncerError) => void;

  constructor(onError: (err: L2AnnouncerError) => void) {
    this.#onError = onError;
  }

  /** `answerable`: each (IP, interface) answered now, as the announcer's placements give them. */
  sync(
    sockets: LinkSockets,
    answerable: Iterable<readonly [string, unknown, AnnouncerLink]>,
  ): void {
    const ips = new Map<string, string[]>();
    for (const [ip, , link] of answerable) {
      const list = ips.get(link.name);
      if (list) list.push(ip);
      else ips.set(link.name, [ip]);
    }
    for (const iface of this.#pushed.keys()) {
      if (!sockets.get(iface)) this.#pushed.delete(iface);
    }
    for (const iface of sockets.names()) {
      const open = sockets.get(iface);
      if (open?.socket.setAnswers) this.#push(iface, open.socket, open.link, ips.get(iface) ?? []);
    }
  }

  #push(iface: string, socket: FrameSocket, link: AnnouncerLink, ips: string[]): void {
    const table: AnswerTable = { mac: link.mac, ipv6Source: link.ipv6LinkLocal, ips };
    const key = `${link.mac} ${link.ipv6LinkLocal ?? "-"} ${ips.join(" ")}`;
    const last = this.#pushed.get(iface);
    if (last?.socket === socket && last.key === key) return;
    try {
      socket.setAnswers?.(table);
      this.#pushed.set(iface, { socket, key });
    } catch (e) {
      this.#pushed.delete(iface);
      const message = `cannot set the answers on ${iface}: ${(e as Error).message}`;
      this.#onError(new L2AnnouncerError(message, { iface, cause: e }));
    }
  }
}
