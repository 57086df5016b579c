import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_EXCLUDE,
  IFF,
  eligibleInterfaces,
  globMatcher,
  interfacesPerIp,
  judgeInterfaces,
  sameInterfacesPerIp,
  type InterfacePolicy,
  type LinkInfo,
} from "./interface-choice.js";

const UP_ETHERNET = IFF.up | IFF.broadcast | 0x1000; // 0x1003 as /sys shows a plain NIC

const link = (name: string, over: Partial<LinkInfo> = {}): LinkInfo => ({
  name,
  type: 1,
  flags: UP_ETHERNET,
  operstate: "up",
  enslaved: false,
  mac: "02:00:00:00:00:0b",
  ipv6LinkLocal: "fe80::b",
  ...over,
});

const defaults: InterfacePolicy = { exclude: DEFAULT_EXCLUDE };

const allow = (...names: string[]): InterfacePolicy => ({ ...defaults, allow: names });

test("judgeInterfaces gives each interface a verdict", () => {
  // [expected, interface, policy, why]
  const cases: [string, LinkInfo, InterfacePolicy, string][] = [
    ["eligible", link("eth0"), defaults, "plain NIC"],
    ["eligible", link("br0"), defaults, "bridge master"],
    ["eligible", link("bond0"), defaults, "bond master"],
    ["eligible", link("eth1", { operstate: "unknown" }), defaults, "no carrier reporting"],
    ["eligible", link("eth2", { ipv6LinkLocal: undefined }), defaults, "ARP needs no IPv6"],
    ["down", link("eth0", { flags: IFF.broadcast }), defaults, "admin down"],
    ["noCarrier", link("eth0", { operstate: "down" }), defaults, "up, cable out"],
    ["noCarrier", link("eth0.10", { operstate: "lowerlayerdown" }), defaults, "VLAN, NIC down"],
    ["enslaved", link("eth0", { enslaved: true }), defaults, "bridge or bond port"],
    ["notEthernet", link("lo0", { type: 772 }), defaults, "loopback by type"],
    ["notEthernet", link("wg0", { type: 65534 }), defaults, "wireguard"],
    ["noArp", link("dummy0", { flags: UP_ETHERNET | IFF.noArp }), defaults, "dummy"],
    ["noMac", link("eth3", { mac: "00:00:00:00:00:00" }), defaults, "zero MAC"],
    ["excluded", link("lo"), defaults, "lo by name"],
    ["excluded", link("docker0"), defaults, "docker bridge"],
    ["excluded", link("cni0"), defaults, "CNI bridge"],
    ["excluded", link("flannel.1"), defaults, "flannel"],
    ["excluded", link("cali1234abcd"), defaults, "calico"],
    ["excluded", link("veth9f3c2a1"), defaults, "pod veth"],
    ["excluded", link("kube-ipvs0"), defaults, "kube-proxy IPVS dummy"],
    ["eligible", link("locale0"), defaults, "a pattern matches whole names only"],
    ["eligible", link("eth1"), allow("eth1"), "allow list names it"],
    ["notAllowed", link("eth0"), allow("eth1"), "allow list names another"],
    ["eligible", link("eth0"), allow(), "empty allow list restricts nothing"],
    ["excluded", link("docker0"), allow("docker0"), "exclude wins over allow"],
    ["notAllowed", link("eth9", { enslaved: true }), allow("eth0"), "config before state"],
    ["eligible", link("veth0"), { exclude: [] }, "no exclude list"],
    ["excluded", link("ens5"), { exclude: ["ens?"] }, "? matches one character"],
    ["eligible", link("ens55"), { exclude: ["ens?"] }, "? does not match two"],
    ["eligible", link("eth0+"), { exclude: ["eth0."] }, "regex characters are literal"],
  ];
  for (const [expected, input, policy, why] of cases) {
    const [verdict] = judgeInterfaces([input], policy);
    assert.equal(verdict?.eligible ? "eligible" : verdict?.reason, expected, why);
  }
});

test("eligibleInterfaces keeps the order and the link data of eligible interfaces", () => {
  const links = [
    link("lo"),
    link("eth0"),
    link("docker0"),
    link("eth1", { mac: "02:00:00:00:00:0c" }),
  ];
  assert.deepEqual(
    eligibleInterfaces(links, defaults).map((l) => [l.name, l.mac]),
    [
      ["eth0", "02:00:00:00:00:0b"],
      ["eth1", "02:00:00:00:00:0c"],
    ],
  );
});

test("globMatcher anchors every pattern", () => {
  const match = globMatcher(["cni*", "lo"]);
  const cases: [string, boolean][] = [
    ["cni0", true],
    ["cni", true],
    ["mycni0", false],
    ["lo", true],
    ["lo1", false],
    ["", false],
  ];
  for (const [name, expected] of cases) assert.equal(match(name), expected, name);
  assert.equal(globMatcher([])("anything"), false);
});

test("interfacesPerIp places each IP on the eligible interfaces its allow list permits", () => {
  const links = [link("eth0"), link("eth1"), link("eth2", { operstate: "down" }), link("docker0")];
  const owned = new Map<string, readonly string[] | undefined>([
    ["198.18.0.200", undefined],
    ["198.18.0.201", ["eth1"]],
    ["198.18.0.202", ["eth2", "eth1"]],
    ["198.18.0.203", ["docker0"]],
    ["198.18.0.204", []],
  ]);
  assert.deepEqual(
    interfacesPerIp(owned, links, DEFAULT_EXCLUDE),
    new Map([
      ["198.18.0.200", ["eth0", "eth1"]],
      ["198.18.0.201", ["eth1"]],
      ["198.18.0.202", ["eth1"]],
      ["198.18.0.203", []],
      ["198.18.0.204", ["eth0", "eth1"]],
    ]),
  );
});

test("sameInterfacesPerIp: same IPs on the same interfaces, whatever the map order", () => {
  const a = new Map([
    ["198.18.0.1", ["eth0", "eth1"]],
    ["198.18.0.2", []],
  ]);
  const same = new Map([
    ["198.18.0.2", []],
    ["198.18.0.1", ["eth0", "eth1"]],
  ]);
  assert.equal(sameInterfacesPerIp(a, same), true);
  assert.equal(sameInterfacesPerIp(a, new Map([["198.18.0.1", ["eth0", "eth1"]]])), false);
  const moreIfaces = new Map([...a, ["198.18.0.2", ["eth0"]]]);
  assert.equal(sameInterfacesPerIp(a, moreIfaces), false, "an IP gained an interface");
  const otherIp = new Map([...a].map(([ip, n]) => [ip === "198.18.0.2" ? "198.18.0.3" : ip, n]));
  assert.equal(sameInterfacesPerIp(a, otherIp), false, "same size, another IP");
  const otherName = new Map([...a, ["198.18.0.1", ["eth0", "eth2"]]]);
  assert.equal(sameInterfacesPerIp(a, otherName), false);
  assert.equal(sameInterfacesPerIp(new Map(), new Map()), true);
});
