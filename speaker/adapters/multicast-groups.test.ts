import assert from "node:assert/strict";
import { test } from "node:test";
import {
  KernelMulticastGroups,
  MulticastGroupError,
  type MembershipSocket,
} from "./multicast-groups.js";

/** A socket that holds at most `capacity` memberships, like the kernel's optmem limit. */
class FakeSocket implements MembershipSocket {
  readonly groups = new Set<string>();
  closed = false;
  constructor(readonly capacity: number) {}
  addMembership(group: string, iface: string): void {
    if (iface === "nosuch0") throw Object.assign(new Error("no device"), { code: "ENODEV" });
    if (this.groups.size >= this.capacity) {
      throw Object.assign(new Error("full"), { code: "ENOBUFS" });
    }
    this.groups.add(`${group}%${iface}`);
  }
  dropMembership(group: string, iface: string): void {
    this.groups.delete(`${group}%${iface}`);
  }
  close(): void {
    this.closed = true;
  }
}

function setup(capacity = 10) {
  const sockets: FakeSocket[] = [];
  const groups = new KernelMulticastGroups(() => {
    const s = new FakeSocket(capacity);
    sockets.push(s);
    return s;
  });
  const held = () => sockets.flatMap((s) => [...s.groups]).sort();
  return { groups, sockets, held };
}

test("memberships are counted per interface and group", () => {
  const { groups, held } = setup();
  const steps: [string, "join" | "leave", string, string[]][] = [
    ["first IP", "join", "eth0", ["ff02::1:ff00:200%eth0"]],
    ["second IP, same group", "join", "eth0", ["ff02::1:ff00:200%eth0"]],
    ["same group elsewhere", "join", "eth1", ["ff02::1:ff00:200%eth0", "ff02::1:ff00:200%eth1"]],
    ["one of two left", "leave", "eth0", ["ff02::1:ff00:200%eth0", "ff02::1:ff00:200%eth1"]],
    ["both left", "leave", "eth0", ["ff02::1:ff00:200%eth1"]],
    ["never joined", "leave", "eth2", ["ff02::1:ff00:200%eth1"]],
  ];
  for (const [why, op, iface, expected] of steps) {
    groups[op](iface, "ff02::1:ff00:200");
    assert.deepEqual(held(), expected, why);
  }
});

test("a full socket overflows to a new one; close releases every socket", () => {
  const { groups, sockets, held } = setup(2);
  for (const n of [1, 2, 3, 4, 5]) groups.join("eth0", `ff02::1:ff00:${n}`);
  assert.equal(sockets.length, 3);
  assert.equal(held().length, 5);
  groups.leave("eth0", "ff02::1:ff00:1");
  groups.join("eth0", "ff02::1:ff00:6");
  assert.equal(sockets.length, 3, "room freed on the first socket is used again");
  groups.close();
  assert.ok(sockets.every((s) => s.closed));
  assert.equal(groups.size, 0);
});

test("other refusals throw a coded error and hold nothing", () => {
  const { groups } = setup();
  assert.throws(
    () => groups.join("nosuch0", "ff02::1:ff00:1"),
    (e: unknown) => e instanceof MulticastGroupError && /ENODEV/.test(e.message),
  );
  assert.equal(groups.size, 0);
  assert.throws(() => setup(0).groups.join("eth0", "ff02::1:ff00:1"), MulticastGroupError);
});
