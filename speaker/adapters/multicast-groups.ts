/**
 * IPv6 multicast group membership on an interface, held through the kernel (IPV6_JOIN_GROUP on a
 * UDP socket that never sends nor reads). Joining a solicited-node group makes the kernel add the
 * group MAC to the NIC's filter and send MLD reports, so MLD-snooping switches forward Neighbor
 * Solicitations for our IPs to this port. Both are needed: the speaker's AF_PACKET sockets are
 * not promiscuous (./packet-frame-socket.ts), so the NIC must accept the group's MAC, and a
 * switch that snoops MLD only forwards a group to ports that reported it, as MetalLB's NDP
 * responder also knows (it joins the same groups).
 *
 * Memberships are counted per (interface, group): two IPs sharing a solicited-node group (same
 * low 24 bits) join once and leave when both are gone. A socket holds a limited number of
 * memberships (its option memory, `net.core.optmem_max`); when the kernel refuses one, another
 * socket is opened.
 */
import { createSocket } from "node:dgram";
import { solicitedNodeMulticast } from "../core/ndp.js";

export interface MulticastGroups {
  /** Joins `group` (IPv6 text) on `iface`; counted, so every join needs one leave. */
  join(iface: string, group: string): void;
  leave(iface: string, group: string): void;
  /** Leaves every group. */
  close(): void;
}

/** The part of a `dgram` socket used here. */
export interface MembershipSocket {
  addMembership(group: string, iface: string): void;
  dropMembership(group: string, iface: string): void;
  close(): void;
}

export class MulticastGroupError extends Error {
  readonly code = "IRONLB_ERR_MULTICAST_GROUP";
}

const FULL = new Set(["ENOBUFS", "ENOMEM"]);

const openUdp6 = (): MembershipSocket => {
  const socket = createSocket({ type: "udp6" });
  socket.unref();
  return {
    addMembership: (group, iface) => socket.addMembership(group, `::%${iface}`),
    dropMembership: (group, iface) => socket.dropMembership(group, `::%${iface}`),
    close: () => socket.close(),
  };
};

interface Held {
  count: number;
  readonly socket: MembershipSocket;
}

export class KernelMulticastGroups implements MulticastGroups {
  readonly #open: () => MembershipSocket;
  readonly #sockets: MembershipSocket[] = [];
  readonly #held = new Map<string, Held>();

  constructor(openSocket: () => MembershipSocket = openUdp6) {
    this.#open = openSocket;
  }

  /** Throws MulticastGroupError when the kernel refuses (no such interface, IPv6 off). */
  join(iface: string, group: string): void {
    const key = `${group}%${iface}`;
    const held = this.#held.get(key);
    if (held) {
      held.count++;
      return;
    }
    this.#held.set(key, { count: 1, socket: this.#add(iface, group) });
  }

  leave(iface: string, group: string): void {
    const key = `${group}%${iface}`;
    const held = this.#held.get(key);
    if (!held || --held.count > 0) return;
    this.#held.delete(key);
    try {
      held.socket.dropMembership(group, iface);
    } catch {
      // The interface is gone, and the membership with it.
    }
  }

  close(): void {
    for (const socket of this.#sockets.splice(0)) socket.close();
    this.#held.clear();
  }

  /** How many (interface, group) memberships are held. */
  get size(): number {
    return this.#held.size;
  }

  #add(iface: string, group: string): MembershipSocket {
    for (const socket of this.#sockets) {
      if (this.#tryAdd(socket, iface, group)) return socket;
    }
    const fresh = this.#open();
    this.#sockets.push(fresh);
    if (this.#tryAdd(fresh, iface, group)) return fresh;
    throw new MulticastGroupError(`cannot join ${group} on ${iface}: a new socket is full`);
  }

  /** False when this socket holds all the memberships it can; throws on any other refusal. */
  #tryAdd(socket: MembershipSocket, iface: string, group: string): boolean {
    try {
      socket.addMembership(group, iface);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "";
      if (FULL.has(code)) return false;
      throw new MulticastGroupError(`cannot join ${group} on ${iface}: ${code || String(e)}`, {
        cause: e,
      });
    }
  }
}

/**
 * Keeps exactly the solicited-node groups of the given (IPv6, interface) pairs joined. A join the
 * kernel refuses is reported and tried again on the next `sync`.
 *
 * The kernel binds a membership to an interface index, and drops it with the device: an
 * interface deleted and created again under the same name (between two interface scans, so it
 * never looked absent) has none. `sync` is told which interfaces were renewed that way (their
 * capture was reopened) and leaves and joins all their groups again.
 */
export class SolicitedNodeMemberships {
  readonly #groups: MulticastGroups;
  readonly #onError: (ip: string, iface: string, cause: unknown) => void;
  readonly #joined = new Map<string, readonly [string, string]>();

  constructor(
    groups: MulticastGroups,
    onError: (ip: string, iface: string, cause: unknown) => void,
  ) {
    this.#groups = groups;
    this.#onError = onError;
  }

  /** `renewed`: interfaces that may be new devices; every group on them is joined afresh. */
  sync(
    wanted: Iterable<readonly [ip: string, iface: string]>,
    renewed: ReadonlySet<string> = new Set(),
  ): void {
    const next = new Map<string, readonly [string, string]>();
    for (const pair of wanted) next.set(`${pair[0]}%${pair[1]}`, pair);
    for (const [key, [ip, iface]] of this.#joined) {
      if (next.has(key) && !renewed.has(iface)) continue;
      this.#groups.leave(iface, solicitedNodeMulticast(ip).ip);
      this.#joined.delete(key);
    }
    for (const [key, [ip, iface]] of next) {
      if (this.#joined.has(key)) continue;
      try {
        this.#groups.join(iface, solicitedNodeMulticast(ip).ip);
        this.#joined.set(key, [ip, iface]);
      } catch (e) {
        this.#onError(ip, iface, e);
      }
    }
  }
}
