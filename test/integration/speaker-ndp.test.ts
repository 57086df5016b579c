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
 * announcer runs in the node namespace (./fixtures/l2-announcer-node.ts); tcpdump in the client
 * namespace shows what went over the wire.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, test } from "node:test";
import { AnnouncerProcess } from "./fixtures/announcer-process.js";
import { NetnsLab, removeStaleNamespaces, stopChild } from "../support/netns.js";

const skip = process.getuid?.() !== 0 ? "needs root (network namespaces, libpcap)" : false;

const PREFIX = "2001:db8:52:";
const CLIENT_IP = `${PREFIX}:100`;
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
  lab.attach(ns.client, { bridgeNs: ns.lan }, [`${CLIENT_IP}/64`]);
  ns.node = lab.addNamespace("node");
  nodeMac = lab.attach(ns.node, { bridgeNs: ns.lan }, [`${PREFIX}:11/64`]).mac;
  lab.addStub(ns.node, ns.lan, "eth1");
  // Probe soon after a use of a STALE entry (default 5 s), and never fall back to multicast:
  // only a unicast solicitation answered can make the entry REACHABLE again.
  const neighSettings: [string, string][] = [
    ["delay_first_probe_time", "1"],
    ["ucast_solicit", "3"],
    ["mcast_resolicit", "0"],
    ["retrans_time_ms", "500"],
  ];
  for (const [key, value] of neighSettings) {
    lab.sysctl(ns.client, `net.ipv6.neigh.eth0.${key}`, value);
  }
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

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 3000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Neighbor {
  readonly lladdr?: string;
  readonly state?: string[];
}

/** The client's neighbour entry for `ip` on eth0. */
function neighbor(ip: string): Neighbor | undefined {
  const out = lab.ip(ns.client, ["-j", "neigh", "show", "to", ip, "dev", "eth0"]).stdout;
  return (JSON.parse(out || "[]") as Neighbor[])[0];
}

/** A datagram from the client: uses the neighbour entry, confirms nothing (no reply comes). */
function sendFromClient(ip: string): void {
  lab.exec(ns.client, "bash", ["-c", `echo ironlb > /dev/udp/${ip}/9`], { allowFailure: true });
}

// `tcpdump -n -e -vv` lines: Ethernet destination, IPv6 source and destination, target.
const UNICAST_NS =
  /^\S+ \S+ > ([0-9a-f:]{17}), .* (\S+) > (\S+): \[icmp6 sum ok\] ICMP6, neighbor solicitation, length \d+, who has (\S+)/;
const SOLICITED_NA =
  /^\S+ ([0-9a-f:]{17}) > [0-9a-f:]{17}, .* \S+ > (\S+): \[icmp6 sum ok\] ICMP6, neighbor advertisement, length \d+, tgt is (\S+), Flags \[solicited, override\]/;

/** tcpdump in the client namespace: NS and NA only, link-layer headers, one line each. */
function capture(): { child: ChildProcess; lines: string[] } {
  const filter = "icmp6 and (ip6[40] == 135 or ip6[40] == 136)";
  const child = lab.spawn(ns.client, "tcpdump", ["-i", "eth0", "-n", "-e", "-l", "-vv", filter]);
  const lines: string[] = [];
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  return { child, lines };
}

/** Whether `iface` in the node namespace is in `group`, by `ip maddr` (IPv6 group and MAC). */
function isJoined(iface: string, group: { ip: string; mac: string }): boolean {
  const shown = lab.ip(ns.node, ["maddr", "show", "dev", iface]).stdout;
  return shown.includes(`inet6 ${group.ip}\n`) && shown.includes(`link  ${group.mac}\n`);
}

function assertJoined(iface: string, group: { ip: string; mac: string }, joined: boolean): void {
  assert.equal(
    isJoined(iface, group),
    joined,
    `${group.ip} ${joined ? "joined" : "left"} on ${iface}`,
  );
}

test(
  "a unicast NS from a PROBE entry is answered: the entry goes back to REACHABLE, not FAILED",
  { skip },
  async (t) => {
    await node.own({ [VIP.probed]: ["eth0"] });
    await waitFor("announcing", async () =>
      (await node.counters()).phases[VIP.probed] === "announcing" ? true : undefined,
    );
    sendFromClient(VIP.probed);
    assert.equal(
      await waitFor("first resolution", () => neighbor(VIP.probed)?.lladdr),
      nodeMac,
      "resolved through the multicast solicitation",
    );
    // Let the gratuitous advertisements (every 1.1 s for 5 s) end: none may confirm the entry.
    await sleep(5500);
    const tcpdump = capture();
    await sleep(300); // tcpdump is listening
    const answeredBefore = (await node.counters()).counters.responsesSent[VIP.probed] ?? 0;
    lab.ip(ns.client, [
      "-6",
      "neigh",
      "change",
      VIP.probed,
      "dev",
      "eth0",
      "lladdr",
      nodeMac,
      "nud",
      "stale",
    ]);
    sendFromClient(VIP.probed); // STALE -> DELAY, then PROBE after 1 s: unicast NS
    const states: string[] = [];
    const final = await waitFor(
      "REACHABLE or FAILED",
      () => {
        const state = neighbor(VIP.probed)?.state?.join(",") ?? "none";
        if (states.at(-1) !== state) states.push(state);
        return state === "REACHABLE" || state === "FAILED" ? state : undefined;
      },
      5000,
    );
    await sleep(200);
    await stopChild(tcpdump.child);
    t.diagnostic(`client states: ${states.join(" -> ")}`);
    assert.equal(final, "REACHABLE", `client states: ${states.join(" -> ")}`);
    // The kernel's own probe: to the cached MAC, the VIP as IPv6 destination.
    const probe = tcpdump.lines
      .map((l) => UNICAST_NS.exec(l))
      .find((m) => m?.[1] === nodeMac && m[3] === VIP.probed && m[4] === VIP.probed);
    assert.ok(probe, `a unicast NS to ${nodeMac} for ${VIP.probed}:\n${tcpdump.lines.join("\n")}`);
    const solicitor = probe[2] ?? "";
    const answer = tcpdump.lines
      .map((l) => SOLICITED_NA.exec(l))
      .find((m) => m?.[1] === nodeMac && m[2] === solicitor && m[3] === VIP.probed);
    assert.ok(answer, `a unicast NA with S and O set from ${nodeMac} to ${solicitor}`);
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
    await waitFor(
      "the group on the new eth1",
      () => (isJoined("eth1", GROUP.moved) ? true : undefined),
      7000,
    );
    assertJoined("eth0", GROUP.moved, true);
    await node.own({});
    assertJoined("eth1", GROUP.moved, false);
  },
);
