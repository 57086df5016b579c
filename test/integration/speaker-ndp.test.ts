/**
 * NDP beyond first resolution, judged by the client's own kernel: a neighbour entry for an IPv6
 * VIP that goes STALE, then DELAY, then PROBE is confirmed by a unicast Neighbor Solicitation
 * (RFC 4861 7.3.3: to the cached MAC, the VIP as IPv6 destination, not the solicited-node
 * group). A responder that answers only multicast solicitations lets the entry go FAILED, and
 * the client loses the VIP until it resolves again (MetalLB issue 2920). Also: the
 * solicited-node group of the VIP is joined on every interface it is announced on, and left
 * where it no longer is.
 *
 * A client and a speaker node (eth0 on the bridge, eth1 a stub) in network namespaces; the L2
 * announcer runs in the node namespace (./fixtures/l2-announcer-node.ts).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AnnouncerProcess } from "./fixtures/announcer-process.js";
import {
  FAST_UNICAST_PROBE,
  forceUnicastProbe,
  neighborEntry,
  setNeighborSettings,
} from "../support/neighbor-probe.js";
import { NetnsLab, removeStaleNamespaces } from "../support/netns.js";
import { eventually } from "../support/processes.js";

const skip = process.getuid?.() !== 0 ? "needs root (network namespaces, libpcap)" : false;

const PREFIX = "2001:db8:52:";
const VIP = { probed: `${PREFIX}:200`, moved: `${PREFIX}:1:201` };
// Solicited-node groups (RFC 4291 2.7.1): ff02::1:ff + the low 24 bits; MAC 33:33 + low 32 bits.
const GROUP = {
  probed: { ip: "ff02::1:ff00:200", mac: "33:33:ff:00:02:00" },
  moved: { ip: "ff02::1:ff01:201", mac: "33:33:ff:01:02:01" },
};

let lab: NetnsLab;
const ns = { lan: "", client: "", node: "" };
let nodeMac = "";
let node: AnnouncerProcess;

before(async () => {
  if (skip) return;
  removeStaleNamespaces();
  lab = new NetnsLab();
  ns.lan = lab.addNamespace("lan");
  lab.addBridge(ns.lan);
  ns.client = lab.addNamespace("client");
  lab.attach(ns.client, { bridgeNs: ns.lan }, [`${PREFIX}:100/64`]);
  ns.node = lab.addNamespace("node");
  nodeMac = lab.attach(ns.node, { bridgeNs: ns.lan }, [`${PREFIX}:11/64`]).mac;
  lab.addStub(ns.node, ns.lan, "eth1");
  setNeighborSettings(ns.client, "eth0", FAST_UNICAST_PROBE);
  node = await AnnouncerProcess.start(lab, ns.node);
});

after(async () => {
  if (skip) return;
  try {
    await node?.stop();
  } finally {
    await lab.cleanup();
  }
  assert.deepEqual(lab.existing(), [], "every namespace of this run is gone");
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `iface` in the node namespace is in `group`, by `ip maddr` (IPv6 group and MAC). */
function isJoined(iface: string, group: { ip: string; mac: string }): boolean {
  const shown = lab.ip(ns.node, ["maddr", "show", "dev", iface]).stdout;
  return shown.includes(`inet6 ${group.ip}\n`) && shown.includes(`link  ${group.mac}\n`);
}

function assertJoined(iface: string, group: { ip: string; mac: string }, joined: boolean): void {
  const what = `${group.ip} ${joined ? "joined" : "left"} on ${iface}`;
  assert.equal(isJoined(iface, group), joined, what);
}

test(
  "a unicast NS from a PROBE entry is answered: the entry goes back to REACHABLE, not FAILED",
  { skip },
  async (t) => {
    await node.own({ [VIP.probed]: ["eth0"] });
    await eventually(
      "announcing",
      async () => (await node.counters()).phases[VIP.probed] === "announcing",
    );
    lab.exec(ns.client, "bash", ["-c", `echo ironlb > /dev/udp/${VIP.probed}/9 || true`]);
    const resolved = () => neighborEntry(ns.client, "eth0", VIP.probed)?.lladdr !== undefined;
    await eventually("first resolution", resolved, 3000);
    const first = neighborEntry(ns.client, "eth0", VIP.probed)?.lladdr;
    assert.equal(first, nodeMac, "resolved through the multicast solicitation");
    // Let the gratuitous advertisements (every 1.1 s for 5 s) end: none may confirm the entry.
    await sleep(5500);
    const answeredBefore = (await node.counters()).counters.responsesSent[VIP.probed] ?? 0;
    const probe = await forceUnicastProbe(ns.client, "eth0", { ip: VIP.probed, mac: nodeMac });
    t.diagnostic(`client states: ${probe.states.join(" -> ")}`);
    const seen = probe.capture.join("\n");
    assert.equal(probe.final, "REACHABLE", `client states: ${probe.states.join(" -> ")}`);
    assert.ok(probe.solicitor, `a unicast NS to ${nodeMac} for ${VIP.probed}:\n${seen}`);
    assert.ok(probe.answered, `a unicast NA with S and O set to ${probe.solicitor}:\n${seen}`);
    const answeredAfter = (await node.counters()).counters.responsesSent[VIP.probed] ?? 0;
    assert.ok(answeredAfter > answeredBefore, "the announcer counted the answer");
  },
);

test(
  "the solicited-node group is joined on every interface the VIP is announced on, and left",
  { skip },
  async () => {
    await node.own({ [VIP.probed]: ["eth0"], [VIP.moved]: ["eth0", "eth1"] });
    for (const iface of ["eth0", "eth1"]) assertJoined(iface, GROUP.moved, true);
    assertJoined("eth1", GROUP.probed, false);
    await node.own({ [VIP.probed]: ["eth0"], [VIP.moved]: ["eth1"] });
    assertJoined("eth0", GROUP.moved, false);
    assertJoined("eth1", GROUP.moved, true);
    assertJoined("eth0", GROUP.probed, true);
    await node.own({});
    for (const iface of ["eth0", "eth1"]) {
      assertJoined(iface, GROUP.moved, false);
      assertJoined(iface, GROUP.probed, false);
    }
  },
);

test(
  "an interface deleted and created again between two scans is joined again",
  { skip },
  async () => {
    await node.own({ [VIP.moved]: ["eth0", "eth1"] });
    assertJoined("eth1", GROUP.moved, true);
    lab.ip(ns.node, ["link", "del", "eth1"]);
    lab.addStub(ns.node, ns.lan, "eth1"); // a new device: new ifindex and MAC, no memberships
    assertJoined("eth1", GROUP.moved, false);
    // The fixture's interface watcher scans every 5 s; it reopens the capture on the new MAC.
    await eventually("the group on the new eth1", () => isJoined("eth1", GROUP.moved), 7000);
    assertJoined("eth0", GROUP.moved, true);
    await node.own({});
    assertJoined("eth1", GROUP.moved, false);
  },
);
