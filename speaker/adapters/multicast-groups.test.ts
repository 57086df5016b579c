import assert from "node:assert/strict";
import { test } from "node:test";
import {
  KernelMulticastGroups,
  MulticastGroupError,
  SolicitedNodeMemberships,
  type MembershipSocket,
} from "./multicast-groups.js";
import { FakeMembershipKernel } from "./testing/fake-membership-kernel.js";

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

// Solicited-node groups written by hand (RFC 4291 2.7.1: ff02::1:ff + the low 24 bits): ::200
// in two prefixes shares ff02::1:ff00:200; 2001:db8:18::1:201 is in ff02::1:ff01:201.
const VIP_A = "2001:db8:18::200";
const VIP_B = "2001:db8:19::200";
const VIP_C = "2001:db8:18::1:201";
const GROUP_AB = "ff02::1:ff00:200";
const GROUP_C = "ff02::1:ff01:201";

function memberships(interfaces: string[]) {
  const kernel = new FakeMembershipKernel();
  for (const name of interfaces) kernel.createInterface(name);
  const refused: string[] = [];
  const pairs = new SolicitedNodeMemberships(
    new KernelMulticastGroups(() => kernel.openSocket()),
    (ip, iface) => refused.push(`${ip}%${iface}`),
  );
  const on = (...names: string[]) => names.map((n) => kernel.groupsOn(n));
  return { kernel, pairs, refused, on };
}

test("solicited-node groups follow the (IP, interface) pairs", () => {
  const { pairs, refused, on } = memberships(["eth0", "eth1"]);
  const steps: [string, [string, string][], string[][]][] = [
    ["one VIP on eth0", [[VIP_A, "eth0"]], [[GROUP_AB], []]],
    [
      "announced on eth1 too (an interface added later)",
      [
        [VIP_A, "eth0"],
        [VIP_A, "eth1"],
      ],
      [[GROUP_AB], [GROUP_AB]],
    ],
    [
      "a second VIP sharing the group, a third with its own",
      [
        [VIP_A, "eth0"],
        [VIP_B, "eth0"],
        [VIP_C, "eth0"],
        [VIP_A, "eth1"],
      ],
      [[GROUP_AB, GROUP_C].sort(), [GROUP_AB]],
    ],
    [
      "the group stays while one VIP still needs it",
      [
        [VIP_B, "eth0"],
        [VIP_C, "eth1"],
      ],
      [[GROUP_AB], [GROUP_C]],
    ],
    ["nothing owned", [], [[], []]],
  ];
  for (const [why, wanted, expected] of steps) {
    pairs.sync(wanted);
    assert.deepEqual(on("eth0", "eth1"), expected, why);
  }
  assert.deepEqual(refused, []);
});

test("an interface created again under its name is joined again when renewed", () => {
  const { kernel, pairs, refused, on } = memberships(["eth0", "eth1"]);
  const wanted: [string, string][] = [
    [VIP_A, "eth0"],
    [VIP_A, "eth1"],
    [VIP_B, "eth1"],
  ];
  pairs.sync(wanted);
  kernel.createInterface("eth1"); // a new device: new index, no groups
  pairs.sync(wanted);
  assert.deepEqual(on("eth0", "eth1"), [[GROUP_AB], []], "not renewed: the pairs look joined");
  pairs.sync(wanted, new Set(["eth1"]));
  assert.deepEqual(on("eth0", "eth1"), [[GROUP_AB], [GROUP_AB]], "renewed: joined again");
  pairs.sync(wanted, new Set(["eth0"]));
  assert.deepEqual(on("eth0", "eth1"), [[GROUP_AB], [GROUP_AB]], "renewing a live one keeps it");
  pairs.sync([]);
  assert.deepEqual(on("eth0", "eth1"), [[], []], "left on the new device");
  assert.deepEqual(refused, []);
});

test("a join the kernel refuses is reported and tried again on the next sync", () => {
  const { kernel, pairs, refused, on } = memberships(["eth0"]);
  pairs.sync([[VIP_C, "eth9"]]);
  assert.deepEqual(refused, [`${VIP_C}%eth9`]);
  kernel.createInterface("eth9");
  pairs.sync([[VIP_C, "eth9"]]);
  assert.deepEqual(on("eth9"), [[GROUP_C]]);
  assert.equal(refused.length, 1);
});
