/**
 * The answer table of our AF_PACKET addon (native/frame-socket, src/answer.c) as the bytes it
 * takes, and `answerFor`, the addon's answer to one frame (its tests compare it with the core's
 * `decide`).
 */
import { createRequire } from "node:module";
import { ipToBytes, parseIp } from "../../lib/core/ip.js";
import type { AnswerTable } from "../core/frame-socket.js";
import { parseMac } from "../core/ethernet.js";

export type Handle = object;

/** "fifo": SCHED_FIFO priority 1; "nice": niceness -10 (SCHED_FIFO refused); "none": neither. */
export type ReceiverPriority = "fifo" | "nice" | "none";

/** The threads that receive for a socket: their scheduling, answers sent, frames not handed over. */
export interface ReceiverInfo {
  readonly priority: ReceiverPriority;
  readonly answers: number;
  readonly dropped: number;
  /** Sockets (one per online CPU, at most 32, in one PACKET_FANOUT_CPU group) and their threads. */
  readonly lanes: number;
  /** Threads pinned to their CPU (0 with one lane). */
  readonly pinned: number;
}

type TableArgs = [mac: Buffer, ipv6Source: Buffer | null, v4: Buffer, v6: Buffer];

export interface FrameSocketAddon {
  open(
    ifname: string,
    filter: string,
    buffer: Buffer,
    onFrame: (length: number, answered: boolean) => void,
  ): Handle;
  send(handle: Handle, buffer: Buffer, length: number): void;
  setAnswers(handle: Handle, ...table: TableArgs): void;
  answerFor(frame: Buffer, ...table: TableArgs): Buffer | null;
  receiver(handle: Handle): ReceiverInfo;
  close(handle: Handle): void;
}

const require = createRequire(import.meta.url);
let addon: FrameSocketAddon | undefined;
export const loadAddon = (): FrameSocketAddon =>
  (addon ??= require("@ironlb/frame-socket") as FrameSocketAddon);

function ipv6Source(text: string | undefined): Buffer | null {
  if (text === undefined) return null;
  const ip = parseIp(text);
  if (ip?.family !== "IPv6") throw new TypeError(`ipv6Source: not an IPv6 address: "${text}"`);
  return Buffer.from(ipToBytes(ip));
}

/** The table as the addon takes it; a MAC or an address that is not one throws naming it. */
export function tableArgs(table: AnswerTable): TableArgs {
  const mac = parseMac(table.mac);
  if (!mac) throw new TypeError(`mac: not a MAC address: "${table.mac}"`);
  const v4: Uint8Array[] = [];
  const v6: Uint8Array[] = [];
  for (const text of table.ips) {
    const ip = parseIp(text);
    if (!ip) throw new TypeError(`ips: not an IP address: "${text}"`);
    (ip.family === "IPv4" ? v4 : v6).push(ipToBytes(ip));
  }
  return [Buffer.from(mac), ipv6Source(table.ipv6Source), Buffer.concat(v4), Buffer.concat(v6)];
}

/** The reply the addon's receiving thread sends for `frame` with `table`, or null. */
export const answerFor = (frame: Uint8Array, table: AnswerTable): Uint8Array | null =>
  loadAddon().answerFor(Buffer.from(frame), ...tableArgs(table));
