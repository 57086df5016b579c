/**
 * The kernel's side of IPv6 multicast membership, for tests: interfaces by name, each with an
 * index, and each socket's memberships bound to (index, group), as Linux binds them
 * (IPV6_JOIN_GROUP resolves the name once). An interface deleted and created again gets a new
 * index and no groups; the old memberships stay on the socket, on an index nobody has.
 */
import type { MembershipSocket } from "../multicast-groups.js";

const errno = (code: string, what: string): Error =>
  Object.assign(new Error(`${what}: ${code}`), { code });

export class FakeMembershipKernel {
  #nextIndex = 1;
  readonly #indexes = new Map<string, number>();
  readonly #sockets: Set<string>[] = [];

  /** Creates `name`, or replaces it by a new device under the same name. */
  createInterface(name: string): void {
    this.#indexes.set(name, this.#nextIndex++);
  }

  deleteInterface(name: string): void {
    this.#indexes.delete(name);
  }

  /** The groups the device called `name` is in now, sorted. */
  groupsOn(name: string): string[] {
    const index = this.#indexes.get(name);
    const suffix = `%${String(index)}`;
    const groups = this.#sockets.flatMap((s) => [...s].filter((k) => k.endsWith(suffix)));
    return [...new Set(groups.map((k) => k.slice(0, -suffix.length)))].sort();
  }

  openSocket(): MembershipSocket {
    const held = new Set<string>();
    this.#sockets.push(held);
    const key = (group: string, iface: string): string => {
      const index = this.#indexes.get(iface);
      if (index === undefined) throw errno("ENODEV", iface);
      return `${group}%${index}`;
    };
    return {
      addMembership: (group, iface) => {
        const k = key(group, iface);
        if (held.has(k)) throw errno("EADDRINUSE", k);
        held.add(k);
      },
      dropMembership: (group, iface) => {
        if (!held.delete(key(group, iface))) throw errno("EADDRNOTAVAIL", group);
      },
      close: () => held.clear(),
    };
  }
}
