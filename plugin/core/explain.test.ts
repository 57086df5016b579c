/**
 * The explanation for every reason the controller (condition ironlb.io/IPAllocated) and the
 * speaker (election reasons, ServiceL2Status, AddressConflict) can report. Expected sentences
 * are written here by hand, not produced by the code.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { explain, type ExplainInput } from "./explain.js";
import type {
  ClusterSnapshot,
  EndpointRecord,
  EventRecord,
  PoolRecord,
  ServiceRecord,
  SpeakerLeaseRecord,
} from "./model.js";

const NOW = Date.parse("2026-12-01T20:00:00Z");

const pool = (name: string, used: number, free: number, labels = {}): PoolRecord => ({
  name,
  addresses: ["198.18.0.200-198.18.0.250"],
  autoAssign: true,
  labels,
  usage: { IPv4: { used, free }, IPv6: { used: 0, free: 0 } },
  problems: [],
});

/** node's speaker Lease, renewed `agoMs` before NOW, lasting 1.2 s. */
const lease = (node: string, agoMs: number): SpeakerLeaseRecord => ({
  node,
  renewedAt: NOW - agoMs,
  durationMs: 1200,
});

const base: ClusterSnapshot = {
  namespace: "metallb-system",
  now: NOW,
  pools: [pool("web-pool", 51, 0), pool("lab", 3, 48, { zone: "a" })],
  advertisements: [{ name: "all" }],
  services: [],
  l2Statuses: [],
  leases: ["node1", "node2", "node3"].map((node) => lease(node, 200)),
  nodes: ["node1", "node2", "node3"].map((name) => ({
    name,
    labels: { "kubernetes.io/hostname": name },
    networkUnavailable: false,
  })),
};

const svc = (over: Partial<ServiceRecord> = {}): ServiceRecord => ({
  namespace: "shop",
  name: "web",
  type: "LoadBalancer",
  loadBalancerClass: undefined,
  ips: ["198.18.0.201"],
  pool: "lab",
  requestedPool: undefined,
  trafficPolicy: "Cluster",
  condition: { status: "True", reason: "Allocated", message: 'IPs 198.18.0.201 from pool "lab"' },
  ...over,
});

const pending = (reason: string, message: string, over: Partial<ServiceRecord> = {}) =>
  svc({ ips: [], pool: undefined, condition: { status: "False", reason, message }, ...over });

const ready = (...nodes: string[]): EndpointRecord[] =>
  nodes.map((node) => ({ ready: true, node }));

interface Case {
  readonly name: string;
  readonly service: ServiceRecord;
  readonly snapshot?: Partial<ClusterSnapshot>;
  readonly endpoints?: Record<string, EndpointRecord[]>;
  readonly events?: EventRecord[];
  readonly lbClass?: string;
  readonly healthy: boolean;
  /** [reason, text] of each finding, in order. */
  readonly findings: [string, string][];
  readonly details?: string[];
  readonly next?: string;
  readonly nodes?: string[];
}

const conflict = (agoMs: number): EventRecord => ({
  type: "Warning",
  reason: "AddressConflict",
  message: "IP 198.18.0.201 is also claimed by MAC 02:00:00:00:00:99 on eth0",
  count: 1,
  lastSeen: NOW - agoMs,
});

const announcedBy2 = { l2Statuses: [{ service: "shop/web", node: "node2", interfaces: ["eth0"] }] };
const allNodesMay = ["node1: may announce it", "node2: may announce it", "node3: may announce it"];

const cases: Case[] = [
  {
    name: "healthy: allocated and announced",
    service: svc(),
    snapshot: announcedBy2,
    endpoints: { "shop/web": ready("node1") },
    healthy: true,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      ["announced", "announced by node node2 on eth0"],
    ],
    nodes: allNodesMay,
  },
  {
    name: "not a LoadBalancer Service",
    service: svc({ type: "ClusterIP", ips: [], condition: undefined }),
    healthy: false,
    findings: [
      [
        "NotLoadBalancer",
        "not a LoadBalancer Service (type ClusterIP): IronLB only gives IPs to type LoadBalancer",
      ],
    ],
    next: `kubectl patch service web -n shop -p '{"spec":{"type":"LoadBalancer"}}'`,
  },
  {
    name: "loadBalancerClass of another controller",
    service: svc({ loadBalancerClass: "cloud.example/lb", ips: [], condition: undefined }),
    healthy: false,
    findings: [
      [
        "OtherClass",
        'loadBalancerClass "cloud.example/lb" belongs to another controller (this IronLB handles Services without a class)',
      ],
    ],
  },
  {
    name: "no class while IronLB runs with one",
    service: svc({ ips: [], condition: undefined }),
    lbClass: "ironlb",
    healthy: false,
    findings: [
      ["OtherClass", 'it has no loadBalancerClass, and this IronLB handles only class "ironlb"'],
    ],
  },
  {
    name: "pending, never seen by the controller",
    service: svc({ ips: [], pool: undefined, condition: undefined }),
    healthy: false,
    findings: [["NotSeen", "pending: the controller has not seen it (is the controller running?)"]],
    next: "kubectl get pods -n metallb-system -l app.kubernetes.io/component=controller",
  },
  {
    name: "NoMatchingPool: the annotated pool does not exist",
    service: pending("NoMatchingPool", 'metallb.io/address-pool "gone": the pool does not exist', {
      requestedPool: "gone",
    }),
    healthy: false,
    findings: [
      [
        "NoMatchingPool",
        'no pool may serve this Service: metallb.io/address-pool "gone": the pool does not exist',
      ],
    ],
    details: ["pool gone does not exist"],
    next: "kubectl get ipaddresspool -n metallb-system",
  },
  {
    name: "PoolExhausted: the pool's usage is shown",
    service: pending("PoolExhausted", 'no free IPv4 address in pool "web-pool"', {
      requestedPool: "web-pool",
    }),
    healthy: false,
    findings: [
      [
        "PoolExhausted",
        'no free address in the pools this Service may use: no free IPv4 address in pool "web-pool"',
      ],
    ],
    details: ["pool web-pool is exhausted: 51 of 51 used"],
    next: "kubectl edit ipaddresspool web-pool -n metallb-system   # add addresses",
  },
  {
    name: "PoolExhausted without a pool annotation: dual-stack pool full for one family",
    service: pending("PoolExhausted", 'no free IPv6 address in pool "dual"'),
    snapshot: {
      pools: [
        {
          ...pool("dual", 2, 8),
          usage: { IPv4: { used: 2, free: 8 }, IPv6: { used: 4, free: 0 } },
        },
      ],
    },
    healthy: false,
    findings: [
      [
        "PoolExhausted",
        'no free address in the pools this Service may use: no free IPv6 address in pool "dual"',
      ],
    ],
    details: ["pool dual has no free IPv6 address: IPv4 2 of 10 used, IPv6 4 of 4 used"],
    next: "kubectl ironlb pools -n metallb-system",
  },
  {
    name: "SharingConflict",
    service: pending(
      "SharingConflict",
      'metallb.io/loadBalancerIPs "198.18.0.201": 198.18.0.201 is held by shop/db with another sharing key',
    ),
    healthy: false,
    findings: [
      [
        "SharingConflict",
        'the IP it wants is held by a Service it may not share with (allow-shared-ip key, ports or externalTrafficPolicy differ): metallb.io/loadBalancerIPs "198.18.0.201": 198.18.0.201 is held by shop/db with another sharing key',
      ],
    ],
    next: "kubectl get service web -n shop -o yaml",
  },
  {
    name: "RequestedIPUnavailable",
    service: pending(
      "RequestedIPUnavailable",
      'spec.loadBalancerIP "10.9.9.9": not in any pool this Service may use',
    ),
    healthy: false,
    findings: [
      [
        "RequestedIPUnavailable",
        'the IP it asks for cannot be given: spec.loadBalancerIP "10.9.9.9": not in any pool this Service may use',
      ],
    ],
  },
  {
    name: "a reason this plugin does not know",
    service: pending("SomethingNew", "a message"),
    healthy: false,
    findings: [["SomethingNew", "no IP (SomethingNew): a message"]],
    next: "kubectl describe service web -n shop",
  },
  {
    name: "NotAdvertised: no L2Advertisement selects the pool",
    service: svc(),
    snapshot: { advertisements: [{ name: "other", ipAddressPools: ["web-pool"] }] },
    endpoints: { "shop/web": ready("node1") },
    healthy: false,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      [
        "NotAdvertised",
        "no L2Advertisement selects pool lab: the IP is assigned but no node answers ARP/NDP for it",
      ],
    ],
    next: "kubectl get l2advertisement -n metallb-system -o yaml",
  },
  {
    name: "a pool that is not in the controller's namespace: nobody announces it",
    service: svc({ pool: "elsewhere" }),
    endpoints: { "shop/web": ready("node1") },
    healthy: false,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool elsewhere"],
      [
        "UnknownPool",
        'its pool "elsewhere" is no IPAddressPool in metallb-system: no speaker announces it (another controller\'s pool, or give --controller-namespace)',
      ],
    ],
    next: "kubectl get ipaddresspool -A",
  },
  {
    name: "noReadyEndpoint",
    service: svc(),
    endpoints: { "shop/web": [{ ready: false, node: "node1" }] },
    healthy: false,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      ["noReadyEndpoint", "no ready endpoint: no ready pod backs it, so no node announces it"],
    ],
    next: "kubectl get endpointslices -n shop -l kubernetes.io/service-name=web",
  },
  {
    name: "shared IP: the other Service's ready endpoint counts (one unit)",
    service: svc(),
    snapshot: {
      ...announcedBy2,
      services: [svc({ name: "web-udp" })],
    },
    endpoints: { "shop/web": [], "shop/web-udp": ready("node3") },
    healthy: true,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      ["announced", "announced by node node2 on eth0"],
    ],
  },
  {
    name: "no node may announce it: notLive, networkUnavailable, excludedByLabel",
    service: svc(),
    snapshot: {
      leases: [lease("node1", 42_000), lease("node2", 100), lease("node3", 100)],
      nodes: [
        { name: "node1", labels: {}, networkUnavailable: false },
        { name: "node2", labels: {}, networkUnavailable: true },
        {
          name: "node3",
          labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" },
          networkUnavailable: false,
        },
      ],
    },
    endpoints: { "shop/web": ready("node1") },
    healthy: false,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      ["noCandidates", "no node may announce it"],
    ],
    details: [
      "node1: speaker not live (Lease last renewed 42s ago)",
      "node2: Node condition NetworkUnavailable is True",
      "node3: labelled node.kubernetes.io/exclude-from-external-load-balancers",
    ],
    next: "kubectl get pods -n metallb-system -l app.kubernetes.io/component=speaker -o wide",
  },
  {
    name: "no node may announce it: notSelectedByL2Advertisement (nodeSelectors)",
    service: svc(),
    snapshot: {
      advertisements: [
        {
          name: "zone-b",
          ipAddressPoolSelectors: [{ matchLabels: { zone: "a" } }],
          nodeSelectors: [{ matchLabels: { zone: "b" } }],
        },
      ],
      leases: [lease("node1", 100)],
      nodes: [{ name: "node1", labels: { zone: "a" }, networkUnavailable: false }],
    },
    endpoints: { "shop/web": ready("node1") },
    healthy: false,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      ["noCandidates", "no node may announce it"],
    ],
    details: ["node1: no L2Advertisement of pool lab selects this node"],
    next: "kubectl get l2advertisement -n metallb-system -o yaml",
  },
  {
    name: "a node with no speaker Lease at all",
    service: svc(),
    snapshot: {
      leases: [],
      nodes: [{ name: "node9", labels: {}, networkUnavailable: false }],
    },
    endpoints: { "shop/web": ready("node9") },
    healthy: false,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      ["noCandidates", "no node may announce it"],
    ],
    details: ["node9: no speaker Lease (speaker-node9): no speaker runs there"],
  },
  {
    name: "externalTrafficPolicy Local: the only ready pod is on a dead node",
    service: svc({ trafficPolicy: "Local" }),
    snapshot: {
      leases: [lease("node1", 100), lease("node2", 100), lease("node3", 5_000)],
    },
    endpoints: { "shop/web": ready("node3") },
    healthy: false,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      [
        "noLocalEndpoint",
        "externalTrafficPolicy Local and no ready pod on a live node that may announce it",
      ],
    ],
    details: [
      "node1: no ready pod of the Service here (externalTrafficPolicy Local)",
      "node2: no ready pod of the Service here (externalTrafficPolicy Local)",
      "node3: speaker not live (Lease last renewed 5s ago)",
    ],
    next: "kubectl get endpointslices -n shop -l kubernetes.io/service-name=web -o wide",
  },
  {
    name: "externalTrafficPolicy Local with a pod on a live node: only that node may",
    service: svc({ trafficPolicy: "Local" }),
    snapshot: { l2Statuses: [{ service: "shop/web", node: "node3", interfaces: ["eth0"] }] },
    endpoints: { "shop/web": ready("node3") },
    healthy: true,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      ["announced", "announced by node node3 on eth0"],
    ],
    nodes: [
      "node1: no ready pod of the Service here (externalTrafficPolicy Local)",
      "node2: no ready pod of the Service here (externalTrafficPolicy Local)",
      "node3: may announce it",
    ],
  },
  {
    name: "nobody reports announcing it",
    service: svc(),
    endpoints: { "shop/web": ready("node1") },
    healthy: false,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      [
        "notAnnounced",
        "no speaker reports announcing it (no ServiceL2Status), though node1, node2, node3 may",
      ],
    ],
    next: "kubectl get servicel2statuses -n metallb-system",
  },
  {
    name: "the recorded announcer is not live any more",
    service: svc(),
    snapshot: {
      ...announcedBy2,
      leases: [lease("node1", 100), lease("node2", 9_000)],
    },
    endpoints: { "shop/web": ready("node1") },
    healthy: false,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      [
        "announcerNotEligible",
        "ServiceL2Status names node node2, which may not announce it (notLive); a takeover by node1 should follow",
      ],
    ],
  },
  {
    name: "a recent AddressConflict is a problem",
    service: svc(),
    snapshot: announcedBy2,
    endpoints: { "shop/web": ready("node1") },
    events: [conflict(60_000)],
    healthy: false,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      ["announced", "announced by node node2 on eth0"],
      [
        "AddressConflict",
        "another machine claims its IP: IP 198.18.0.201 is also claimed by MAC 02:00:00:00:00:99 on eth0",
      ],
    ],
    next: "kubectl get events -n shop --field-selector involvedObject.name=web,reason=AddressConflict",
  },
  {
    name: "an AddressConflict from an hour ago is history only",
    service: svc(),
    snapshot: announcedBy2,
    endpoints: { "shop/web": ready("node1") },
    events: [conflict(3_600_000)],
    healthy: true,
    findings: [
      ["Allocated", "IP 198.18.0.201 from pool lab"],
      ["announced", "announced by node node2 on eth0"],
    ],
  },
];

function inputOf(c: Case): ExplainInput {
  return {
    snapshot: { ...base, ...c.snapshot },
    service: c.service,
    lbClass: c.lbClass ?? "",
    endpoints: new Map(Object.entries(c.endpoints ?? {})),
    events: c.events ?? [],
  };
}

describe("explain", () => {
  for (const c of cases) {
    test(c.name, () => {
      const e = explain(inputOf(c));
      assert.deepEqual(
        e.findings.map((f) => [f.reason, f.text]),
        c.findings,
      );
      assert.equal(e.healthy, c.healthy);
      const last = e.findings.at(-1);
      if (c.details) assert.deepEqual(last?.details, c.details);
      if (c.next) assert.equal(last?.next, c.next);
      if (c.nodes)
        assert.deepEqual(
          e.nodes.map((n) => n.text),
          c.nodes,
        );
    });
  }

  test("every problem names the command to run next", () => {
    for (const c of cases) {
      for (const f of explain(inputOf(c)).findings) {
        if (f.severity === "problem") assert.ok(f.next, `${c.name}: ${f.reason} has no next`);
      }
    }
  });

  test("events are listed newest first, in plain words, with their age", () => {
    const e = explain({
      ...inputOf(cases[0] as Case),
      events: [
        {
          type: "Normal",
          reason: "IPAllocated",
          message: "Assigned IP",
          count: 1,
          lastSeen: NOW - 120_000,
        },
        {
          type: "Normal",
          reason: "nodeAssigned",
          message: 'announcing from node "node2"',
          count: 1,
          lastSeen: NOW - 5_000,
        },
        {
          type: "Warning",
          reason: "ClearAssignment",
          message: "cleared",
          count: 1,
          lastSeen: NOW - 90_000,
        },
        {
          type: "Warning",
          reason: "NotAdvertised",
          message: "no adv",
          count: 3,
          lastSeen: NOW - 100_000,
        },
        {
          type: "Warning",
          reason: "AllocationFailed",
          message: "full",
          count: 1,
          lastSeen: NOW - 110_000,
        },
      ],
    });
    assert.deepEqual(
      e.events.map((ev) => [ev.ageMs, ev.reason, ev.meaning]),
      [
        [5_000, "nodeAssigned", "a node started announcing it"],
        [90_000, "ClearAssignment", "the controller took its IP away"],
        [
          100_000,
          "NotAdvertised",
          "its pool has no L2Advertisement or BGPAdvertisement: nobody announces the IP",
        ],
        [110_000, "AllocationFailed", "the controller could not assign an IP"],
        [120_000, "IPAllocated", "the controller assigned its IP"],
      ],
    );
  });
});
