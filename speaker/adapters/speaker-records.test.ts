import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  V1Endpoint,
  V1EndpointSlice,
  V1Lease,
  V1Node,
  V1Service,
} from "@kubernetes/client-node";
import type { IPAddressPool, L2Advertisement, ServiceL2Status } from "../../lib/api/metallb.js";
import { slimSpeakerLease, speakerLease } from "../../lib/api/speaker-lease.js";
import { clusterView } from "./cluster-view.js";
import {
  slimAdvertisement,
  slimEndpointSlice,
  slimL2Status,
  slimNode,
  slimPool,
  slimService,
} from "./speaker-records.js";
import { readStatusRecord } from "./speaker-status.js";

const MANAGED = [{ manager: "kubectl", operation: "Apply", fieldsV1: { "f:spec": {} } }];
const LAST_APPLIED = { "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(2_000) };
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: "ns",
  uid: `uid-${name}`,
  resourceVersion: "7",
  managedFields: MANAGED,
  ...extra,
});

const service = (
  name: string,
  spec: V1Service["spec"],
  ips: string[],
  pool?: string,
): V1Service => ({
  metadata: meta(name, {
    annotations: {
      ...LAST_APPLIED,
      ...(pool ? { "metallb.io/ip-allocated-from-pool": pool } : {}),
    },
  }),
  spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { app: name }, ...spec },
  status: { loadBalancer: { ingress: ips.map((ip) => ({ ip, ipMode: "VIP" })) } },
});
const SERVICES: V1Service[] = [
  service("cluster", { type: "LoadBalancer" }, ["198.18.0.200"], "p"),
  service(
    "local",
    { type: "LoadBalancer", externalTrafficPolicy: "Local" },
    ["198.18.0.201", "2001:db8:18::201"],
    "p",
  ),
  service("foreign", { type: "LoadBalancer" }, ["198.18.0.202"]),
  service("pending", { type: "LoadBalancer" }, [], "p"),
  service("plain", { type: "ClusterIP" }, []),
];

const ep = (
  nodeName: string | undefined,
  conditions: V1Endpoint["conditions"],
  i: number,
): V1Endpoint => ({
  addresses: [`198.19.1.${i}`],
  targetRef: { kind: "Pod", name: `pod-${i}`, namespace: "ns" },
  ...(conditions ? { conditions } : {}),
  ...(nodeName === undefined ? {} : { nodeName }),
});
const slice = (svc: string, endpoints: V1Endpoint[]): V1EndpointSlice => ({
  addressType: "IPv4",
  metadata: meta(`${svc}-abc`, { labels: { "kubernetes.io/service-name": svc, other: "x" } }),
  endpoints,
  ports: [{ port: 8080 }],
});
const READY = { ready: true, serving: true, terminating: false };
const DRAINING = { ready: false, serving: true, terminating: true };
const SLICES: V1EndpointSlice[] = [
  slice("cluster", [ep("node1", READY, 1), ep("node1", READY, 2), ep("node2", DRAINING, 3)]),
  slice("local", [ep("node2", DRAINING, 4), ep(undefined, {}, 5), ep("node3", undefined, 6)]),
  slice("local", [ep("node1", { ready: false, serving: false }, 7)]),
];

const NODES: V1Node[] = ["node1", "node2", "node3"].map((name, i) => ({
  metadata: { ...meta(name), labels: { zone: `z${i}` } },
  status: {
    conditions: [
      { type: "Ready", status: "True" },
      { type: "NetworkUnavailable", status: i === 2 ? "True" : "False" },
    ],
    addresses: [{ type: "InternalIP", address: `198.18.0.1${i}` }],
  },
}));
const POOLS: IPAddressPool[] = [
  { metadata: meta("p", { labels: { tier: "a" } }), spec: { addresses: ["198.18.0.200/29"] } },
];
const ADVERTISEMENTS: L2Advertisement[] = [
  {
    metadata: meta("adv"),
    spec: { ipAddressPoolSelectors: [{ matchLabels: { tier: "a" } }], interfaces: ["eth0"] },
  },
];

test("the slim records give the cluster view the whole objects give", () => {
  const live = new Set(["node1", "node2"]);
  const full = clusterView({
    services: SERVICES,
    slices: SLICES,
    nodes: NODES,
    pools: POOLS,
    advertisements: ADVERTISEMENTS,
    liveSpeakers: live,
  });
  const slim = clusterView({
    services: SERVICES.map(slimService),
    slices: SLICES.map(slimEndpointSlice),
    nodes: NODES.map(slimNode),
    pools: POOLS.map(slimPool),
    advertisements: ADVERTISEMENTS.map(slimAdvertisement),
    liveSpeakers: live,
  });
  assert.deepEqual(slim, full);
});

test("slim records drop what nobody reads", () => {
  const text = (o: unknown): string => JSON.stringify(o);
  for (const s of SERVICES) {
    const kept = slimService(s);
    assert.equal(kept.metadata?.uid, s.metadata?.uid, "uid (events name it)");
    assert.equal(kept.metadata?.resourceVersion, "7", "resourceVersion (re-list compares it)");
    assert.ok(!text(kept).includes("managedFields") && !text(kept).includes("last-applied"));
    assert.equal(kept.spec?.ports, undefined);
  }
  const [first] = SLICES.map(slimEndpointSlice);
  assert.equal(first?.endpoints.length, 2, "node1 ready twice is one entry, node2 draining one");
  assert.ok(!text(first).includes("198.19.1.") && !text(first).includes("pod-"));
});

test("Leases and ServiceL2Status records read the same slimmed", () => {
  const lease: V1Lease = {
    metadata: meta("speaker-node1", {
      annotations: {
        "ironlb.io/lease-duration-ms": "1200",
        "ironlb.io/macs": "02:00:00:00:00:01",
        x: "y",
      },
    }),
    spec: { holderIdentity: "node1", leaseDurationSeconds: 2, renewTime: new Date(5_000) },
  };
  assert.deepEqual(speakerLease(slimSpeakerLease(lease)), {
    ...{ holder: "node1", renewTime: "1970-01-01T00:00:05.000Z", durationMs: 1200 },
    macs: ["02:00:00:00:00:01"],
  });
  assert.equal(slimSpeakerLease(lease).metadata?.managedFields, undefined);
  const statuses: ServiceL2Status[] = [
    {
      metadata: meta("s1", {
        labels: {
          "metallb.io/node": "node1",
          "metallb.io/service-name": "a",
          "metallb.io/service-namespace": "ns",
        },
      }),
    },
    {
      metadata: meta("s2"),
      status: {
        node: "node2",
        serviceName: "b",
        serviceNamespace: "ns",
        interfaces: [{ name: "eth0" }],
      },
    },
  ];
  for (const s of statuses)
    assert.deepEqual(readStatusRecord(slimL2Status(s)), readStatusRecord(s));
  // A record created before its status was written: the labels name it, and it says so.
  assert.deepEqual(readStatusRecord(statuses[0]!), {
    service: "ns/a",
    node: "node1",
    interfaces: [],
    unwritten: true,
  });
  assert.deepEqual(readStatusRecord(statuses[1]!), {
    service: "ns/b",
    node: "node2",
    interfaces: ["eth0"],
  });
});
