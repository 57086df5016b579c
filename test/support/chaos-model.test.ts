import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkAnswers,
  duplicateViolations,
  mustAnswer,
  moveViolations,
  outsidePoolViolations,
  pendingViolations,
  type AnnouncementScope,
  type PoolSnapshot,
  type SvcSnapshot,
} from "./chaos-model.js";
import { parseNeighborAdvertisements } from "./netns.js";

const svc = (key: string, over: Partial<SvcSnapshot> = {}): SvcSnapshot => ({
  uid: key,
  key,
  ips: [],
  pool: "a",
  poolRequest: undefined,
  requested: [],
  sharingKey: undefined,
  ports: ["80/TCP"],
  local: false,
  families: ["IPv4"],
  ...over,
});
const poolA: PoolSnapshot = {
  name: "a",
  addresses: ["198.18.0.160-198.18.0.161"],
  autoAssign: true,
};
const poolB: PoolSnapshot = { name: "b", addresses: ["198.18.0.170/32"], autoAssign: false };
const IP = "198.18.0.160";

test("duplicates: a valid sharing group passes, every way of breaking it is caught", () => {
  const shared = (key: string, over: Partial<SvcSnapshot>) =>
    svc(key, { ips: [IP], sharingKey: "k", ...over });
  assert.deepEqual(duplicateViolations([shared("x", {}), shared("y", { ports: ["81/TCP"] })]), []);
  const broken: [string, Partial<SvcSnapshot>][] = [
    ["other key", { sharingKey: "j", ports: ["81/TCP"] }],
    ["no key", { sharingKey: undefined, ports: ["81/TCP"] }],
    ["same port", {}],
    ["other policy", { ports: ["81/TCP"], local: true }],
  ];
  for (const [why, over] of broken) {
    assert.equal(duplicateViolations([shared("x", {}), shared("y", over)]).length, 1, why);
  }
});

test("outside pool: an IP not in the recorded pool is caught", () => {
  const pools = new Map([["a", poolA]]);
  assert.deepEqual(outsidePoolViolations([svc("x", { ips: [IP] })], pools), []);
  assert.equal(outsidePoolViolations([svc("x", { ips: ["198.18.0.170"] })], pools).length, 1);
  assert.equal(outsidePoolViolations([svc("x", { ips: [IP], pool: "gone" })], pools).length, 1);
});

test("moves: allowed only for IPs a pool edit dropped, and then owed an event", () => {
  const before = [svc("x", { ips: [IP] }), svc("y", { ips: ["198.18.0.161"] }), svc("z")];
  const after = [
    svc("x", { ips: ["198.18.0.162"] }),
    svc("y", { ips: [] }),
    svc("z", { ips: [IP] }),
  ];
  assert.deepEqual(moveViolations(before, after, new Set([IP])), {
    violations: ["y moved from 198.18.0.161 to nothing with no pool edit demanding it"],
    demandedMoves: ["x"],
  });
  assert.deepEqual(moveViolations(before, before, new Set()), {
    violations: [],
    demandedMoves: [],
  });
});

test("pending: justified by a held request, a request outside pools or a full pool, else caught", () => {
  const pools = [poolA, poolB];
  const holder = svc("h", { ips: [IP] });
  const cases: [string, SvcSnapshot[], number][] = [
    [
      "requested IP held by a Service it may not share with",
      [holder, svc("x", { requested: [IP] })],
      0,
    ],
    ["requested IP in no pool", [svc("x", { requested: ["198.18.0.199"] })], 0],
    ["requested IP free", [svc("x", { requested: [IP] })], 1],
    [
      "requested IP held by a sharing partner",
      [
        svc("h", { ips: [IP], sharingKey: "k" }),
        svc("x", { requested: [IP], sharingKey: "k", ports: ["81/TCP"] }),
      ],
      1,
    ],
    ["auto-assign pool has room", [holder, svc("x")], 1],
    ["auto-assign pool full", [holder, svc("g", { ips: ["198.18.0.161"] }), svc("x")], 0],
    ["named pool (no auto-assign) has room", [svc("x", { poolRequest: "b" })], 1],
    [
      "named pool full",
      [svc("g", { ips: ["198.18.0.170"], pool: "b" }), svc("x", { poolRequest: "b" })],
      0,
    ],
    ["dual-stack with no IPv6 anywhere", [svc("x", { families: ["IPv4", "IPv6"] })], 0],
  ];
  for (const [why, services, expected] of cases) {
    assert.equal(pendingViolations(services, pools).length, expected, why);
  }
});

test("announced IPs: every IP of a Service with an endpoint; Local ones need one on an advertised node", () => {
  const cluster = svc("c", { ips: ["198.18.0.160", "2001:db8:18::160"] });
  const local = svc("l", { ips: ["198.18.0.161"], local: true });
  const shared = svc("s", { ips: ["198.18.0.160"], sharingKey: "k" });
  const all = new Set(["node1", "node2", "node3"]);
  const published = new Set(["c", "l", "s"]);
  const cases: [string, AnnouncementScope, string[]][] = [
    [
      "pods everywhere",
      { advertised: all, endpoints: all, published },
      ["198.18.0.160", "198.18.0.161", "2001:db8:18::160"],
    ],
    [
      "Local pod only off the advertised nodes",
      {
        advertised: new Set(["node1", "node2"]),
        endpoints: new Set(["node3"]),
        published,
      },
      ["198.18.0.160", "2001:db8:18::160"],
    ],
    [
      "slices not written yet for c and l (kube-controller-manager behind)",
      { advertised: all, endpoints: all, published: new Set(["s"]) },
      ["198.18.0.160"],
    ],
    ["no pod at all", { advertised: all, endpoints: new Set(), published }, []],
    ["no advertised node", { advertised: new Set(), endpoints: all, published }, []],
  ];
  for (const [name, scope, want] of cases) {
    assert.deepEqual(mustAnswer([cluster, local, shared], scope), want, name);
  }
});

test("answers: silent, doubly answered and foreign-answered IPs are each reported", () => {
  const nodes = new Set(["02:00:00:00:00:0b", "02:00:00:00:00:0c"]);
  const answers = new Map<string, ReadonlySet<string>>([
    ["198.18.0.160", new Set(["02:00:00:00:00:0b"])],
    ["2001:db8:18::160", new Set(["02:00:00:00:00:0c"])],
    ["198.18.0.161", new Set()],
    ["2001:db8:18::161", new Set(["02:00:00:00:00:0b", "02:00:00:00:00:0c"])],
    ["198.18.0.162", new Set(["02:00:00:00:00:99"])],
  ]);
  assert.deepEqual(checkAnswers(answers, nodes), {
    silent: ["198.18.0.161"],
    many: ["2001:db8:18::161: 02:00:00:00:00:0b 02:00:00:00:00:0c"],
    foreign: ["198.18.0.162: 02:00:00:00:00:99"],
  });
  const good = new Map([...answers].filter(([ip]) => ip.endsWith("160")));
  assert.deepEqual(checkAnswers(good, nodes), { silent: [], many: [], foreign: [] });
});

test("tcpdump lines: the MACs that advertised each target; solicitations and others ignored", () => {
  // Captured in the lab's client namespace (tcpdump -l -n -e -i eth0 icmp6), a second answer
  // for ::160 added by changing the source MAC.
  const text = `20:59:01.477103 02:5e:a5:26:8d:6e > 33:33:ff:00:01:60, ethertype IPv6 (0x86dd), length 86: fe80::5e:a5ff:fe26:8d6e > ff02::1:ff00:160: ICMP6, neighbor solicitation, who has 2001:db8:18::160, length 32
20:59:01.477542 ca:1f:76:96:bd:63 > 02:5e:a5:26:8d:6e, ethertype IPv6 (0x86dd), length 86: fe80::c81f:76ff:fe96:bd63 > fe80::5e:a5ff:fe26:8d6e: ICMP6, neighbor advertisement, tgt is 2001:db8:18::160, length 32
20:59:01.477600 CA:1F:76:96:BD:64 > 02:5e:a5:26:8d:6e, ethertype IPv6 (0x86dd), length 86: 2001:db8:18::160 > fe80::5e:a5ff:fe26:8d6e: ICMP6, neighbor advertisement, tgt is 2001:db8:18::160, length 32
20:57:40.827776 ca:1f:76:96:bd:63 > 02:5e:a5:26:8d:6e, ethertype IPv6 (0x86dd), length 86: fe80::c81f:76ff:fe96:bd63 > 2001:db8:18::100: ICMP6, neighbor advertisement, tgt is 2001:db8:18::150, length 32
20:57:40.827845 ca:1f:76:96:bd:63 > 02:5e:a5:26:8d:6e, ethertype IPv6 (0x86dd), length 206: fe80::c81f:76ff:fe96:bd63 > 2001:db8:18::100: ICMP6, redirect, 2001:db8:18::150 to 2001:db8:18::150, length 152
`;
  assert.deepEqual(
    parseNeighborAdvertisements(text),
    new Map([
      ["2001:db8:18::160", new Set(["ca:1f:76:96:bd:63", "ca:1f:76:96:bd:64"])],
      ["2001:db8:18::150", new Set(["ca:1f:76:96:bd:63"])],
    ]),
  );
  assert.deepEqual(parseNeighborAdvertisements("listening on eth0\n"), new Map());
});
