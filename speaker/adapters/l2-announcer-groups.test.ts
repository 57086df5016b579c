/**
 * The L2 announcer keeps the solicited-node group of every owned IPv6 address joined on every
 * interface it is announced on, judged on a model of the kernel's memberships
 * (./testing/fake-membership-kernel.ts): interfaces that appear later, move, or are created again
 * under the same name.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeFrameSocket } from "../core/testing/fake-frame-socket.js";
import { L2Announcer } from "./l2-announcer.js";
import { KernelMulticastGroups } from "./multicast-groups.js";
import { FakeMembershipKernel } from "./testing/fake-membership-kernel.js";
import { ManualTimers } from "../../lib/adapters/testing/manual-timers.js";

// ff02::1:ff + the low 24 bits of the address (RFC 4291 2.7.1), written by hand.
const VIP6 = "2001:db8:18::200";
const GROUP = "ff02::1:ff00:200";
const VIP4 = "198.18.0.200";
const ETH0 = { name: "eth0", mac: "02:00:00:00:00:0b" };
const ETH1 = { name: "eth1", mac: "02:00:00:00:01:0b" };

function setup() {
  const kernel = new FakeMembershipKernel();
  for (const name of ["eth0", "eth1"]) kernel.createInterface(name);
  const errors: string[] = [];
  const announcer = new L2Announcer({
    timers: new ManualTimers(1000),
    groups: new KernelMulticastGroups(() => kernel.openSocket()),
    openSocket: () => new FakeFrameSocket(),
    onError: (e) => errors.push(e.message),
  });
  const on = () => [kernel.groupsOn("eth0"), kernel.groupsOn("eth1")];
  return { kernel, announcer, errors, on };
}

test("the group is joined on each interface of the address, as interfaces come and go", () => {
  const { kernel, announcer, errors, on } = setup();
  announcer.setInterfaces([ETH0]);
  const both = new Map([
    [VIP6, ["eth0", "eth1"]],
    [VIP4, ["eth0", "eth1"]],
  ]);
  announcer.setOwned(both, { takeovers: [VIP6, VIP4] });
  assert.deepEqual(on(), [[GROUP], []], "eth1 is not usable yet");
  announcer.setInterfaces([ETH0, ETH1]);
  assert.deepEqual(on(), [[GROUP], [GROUP]], "eth1 added later");
  kernel.createInterface("eth1"); // deleted and created again: a new MAC, no groups
  announcer.setInterfaces([ETH0, { ...ETH1, mac: "02:00:00:00:02:0b" }]);
  assert.deepEqual(on(), [[GROUP], [GROUP]], "the new eth1 joined again");
  announcer.setOwned(new Map([[VIP6, ["eth1"]]]));
  assert.deepEqual(on(), [[], [GROUP]], "left where the address is no longer announced");
  announcer.setInterfaces([ETH0]);
  assert.deepEqual(on(), [[], []], "left with the interface");
  announcer.setInterfaces([ETH0, { ...ETH1, carrierChanges: 2 }]);
  assert.deepEqual(on(), [[], [GROUP]], "back with it");
  announcer.stop();
  assert.deepEqual(on(), [[], []], "left on stop");
  assert.deepEqual(errors, []);
});
