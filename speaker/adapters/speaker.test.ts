/**
 * The speaker's loop with fakes: in-memory list/watch sources, a status writer that writes into
 * the ServiceL2Status source as the apiserver would, a recording announcer, manual timers. No
 * root, no server; seconds.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1ConfigMap } from "@kubernetes/client-node";
import winston from "winston";
import type { ResourceRef } from "../../lib/adapters/k8s-source.js";
import { FakeKind } from "../../lib/adapters/testing/fake-kind.js";
import { IFF, type LinkInfo } from "../core/interface-choice.js";
import { Speaker } from "./speaker.js";
import { ManualTimers } from "../../lib/adapters/testing/manual-timers.js";

const NODE = "node1";
const NS = "metallb-system";
const IP = "198.18.0.200";

const kinds = ["Service", "EndpointSlice", "Node", "IPAddressPool", "L2Advertisement", "ConfigMap"];

type WorldOptions = {
  /** Claims that fail before writing anything. */
  failClaims?: number;
  /** Claims that create the record (labels only, as speaker-status.ts does) and then fail. */
  failStatusPatches?: number;
  links?: readonly LinkInfo[];
};

function world(opts: WorldOptions = {}) {
  let failClaims = opts.failClaims ?? 0;
  let failStatusPatches = opts.failStatusPatches ?? 0;
  const fakes = new Map([...kinds, "ServiceL2Status"].map((k) => [k, new FakeKind()]));
  const kind = (k: string): FakeKind => fakes.get(k) as FakeKind;
  const writes: string[] = [];
  const owned: string[][] = [];
  const events: string[] = [];
  let plans = 0;
  const record = (
    svc: { namespace: string; name: string },
    node?: string,
    interfaces: readonly string[] = ["eth0"],
  ) => ({
    metadata: { name: `l2-${svc.name}`, namespace: NS },
    status: {
      node,
      serviceName: svc.name,
      serviceNamespace: svc.namespace,
      interfaces: interfaces.map((name) => ({ name })),
    },
  });
  /** The record as created before its status is patched in: only labels name node and Service. */
  const createdOnly = (svc: { namespace: string; name: string }, node: string) => ({
    metadata: {
      name: `l2-${svc.name}`,
      namespace: NS,
      labels: {
        "metallb.io/node": node,
        "metallb.io/service-name": svc.name,
        "metallb.io/service-namespace": svc.namespace,
      },
    },
  });
  const timers = new ManualTimers();
  const speaker = new Speaker({
    kc: undefined as never,
    node: NODE,
    namespace: NS,
    exclude: [],
    log: winston.createLogger({ silent: true }),
    announcer: {
      setOwned: (o) => void owned.push([...o.keys()].sort()),
      setPeerMacs: () => undefined,
    },
    lease: { healthy: () => true },
    status: {
      claim: (svc, interfaces) => {
        writes.push(`claim ${svc.name}`);
        if (failClaims-- > 0) return Promise.reject(new Error("socket hang up"));
        if (failStatusPatches-- > 0) {
          kind("ServiceL2Status").emit("ADDED", createdOnly(svc, NODE));
          return Promise.reject(new Error("socket hang up"));
        }
        kind("ServiceL2Status").emit("ADDED", record(svc, NODE, interfaces));
        return Promise.resolve();
      },
      remove: (svc) => {
        writes.push(`remove ${svc.name}`);
        kind("ServiceL2Status").emit("DELETED", record(svc));
        return Promise.resolve();
      },
      recordConflict: () => Promise.resolve(),
    },
    events: {
      record: (_ref, _type, reason) => {
        events.push(reason);
        return Promise.resolve();
      },
    },
    onPlan: () => void plans++,
    source: (ref: ResourceRef) => kind(ref.kind).source(),
    timers,
  });
  return { speaker, kind, timers, writes, owned, events, plans: () => plans };
}

const settle = async (timers: ManualTimers, ms: number): Promise<void> => {
  for (let t = 0; t < ms; t += 10) {
    await new Promise((r) => setImmediate(r));
    timers.advance(10);
  }
  await new Promise((r) => setImmediate(r));
};

const LINK: LinkInfo = {
  name: "eth0",
  type: 1,
  flags: IFF.up | IFF.broadcast,
  operstate: "up",
  enslaved: false,
  mac: "02:00:00:00:00:01",
  ipv6LinkLocal: "fe80::1",
};

const service = (name: string, ip: string) => ({
  metadata: {
    name,
    namespace: "default",
    uid: `u-${name}`,
    annotations: { "metallb.io/ip-allocated-from-pool": "p" },
  },
  spec: { type: "LoadBalancer" },
  status: { loadBalancer: { ingress: [{ ip }] } },
});
const slice = (name: string) => ({
  metadata: {
    name: `${name}-x`,
    namespace: "default",
    labels: { "kubernetes.io/service-name": name },
  },
  endpoints: [{ addresses: ["198.19.1.2"], nodeName: NODE, conditions: { ready: true } }],
});
/** The membership object as the controller writes it (text by hand, not by the encoder). */
const members = (...nodes: string[]): V1ConfigMap => ({
  metadata: { name: "ironlb-speaker-members", namespace: NS },
  data: {
    "members.json": `{"members":[${nodes.map((n) => `{"node":"${n}","macs":[]}`).join(",")}]}`,
  },
});

async function started(opts: WorldOptions = {}) {
  const w = world(opts);
  w.kind("Node").emit("ADDED", { metadata: { name: NODE } });
  w.kind("IPAddressPool").emit("ADDED", { metadata: { name: "p", namespace: NS } });
  w.kind("L2Advertisement").emit("ADDED", { metadata: { name: "a", namespace: NS } });
  w.kind("ConfigMap").emit("ADDED", members(NODE));
  w.speaker.setLinks(opts.links ?? [LINK]);
  w.speaker.start();
  await settle(w.timers, 100);
  assert.equal(w.speaker.ready(), true);
  return w;
}

test("a Service with an endpoint here is announced, claimed once and reported once; quiet after", async () => {
  const w = await started();
  w.kind("Service").emit("ADDED", service("web", IP));
  w.kind("EndpointSlice").emit("ADDED", slice("web"));
  await settle(w.timers, 100);
  assert.deepEqual(w.owned.at(-1), [IP]);
  assert.deepEqual(w.writes, ["claim web"]);
  assert.deepEqual(w.events, ["nodeAssigned"]);
  const plansBefore = w.plans();
  await settle(w.timers, 10_000);
  assert.deepEqual(w.writes, ["claim web"], "no status churn once the record is there");
  assert.deepEqual(w.events, ["nodeAssigned"]);
  assert.equal(w.plans(), plansBefore, "no pass without a change");
  w.speaker.stop();
});

test("a status write that fails is written again by a later pass, without any new event", async () => {
  const w = await started({ failClaims: 2 });
  w.kind("Service").emit("ADDED", service("web", IP));
  w.kind("EndpointSlice").emit("ADDED", slice("web"));
  await settle(w.timers, 5_000);
  assert.deepEqual(w.writes, ["claim web", "claim web", "claim web"]);
  await settle(w.timers, 5_000);
  assert.equal(w.writes.length, 3, "no write once the record is there");
  w.speaker.stop();
});

test("a claim whose status write fails after the record was created is written again (no interfaces)", async () => {
  // Announced on no interface (all excluded, as in bench/speaker-memory-offline): the created
  // record, labels only, names this node with no interfaces; it must not pass for a written one.
  const w = await started({ failStatusPatches: 1, links: [] });
  w.kind("Service").emit("ADDED", service("web", IP));
  w.kind("EndpointSlice").emit("ADDED", slice("web"));
  await settle(w.timers, 5_000);
  assert.deepEqual(w.writes, ["claim web", "claim web"]);
  await settle(w.timers, 5_000);
  assert.equal(w.writes.length, 2, "no write once the status is there");
  w.speaker.stop();
});

test("a membership write that keeps the live set costs no pass; a new member does", async () => {
  const w = await started();
  const plans = w.plans();
  for (let i = 0; i < 5; i++) w.kind("ConfigMap").emit("MODIFIED", members(NODE));
  await settle(w.timers, 100);
  assert.equal(w.plans(), plans);
  w.kind("ConfigMap").emit("MODIFIED", members(NODE, "node2"));
  await settle(w.timers, 100);
  assert.equal(w.plans(), plans + 1);
  w.speaker.stop();
});

test("a speaker announces only once the membership names it; a deleted object changes nothing", async () => {
  const w = world();
  w.kind("Node").emit("ADDED", { metadata: { name: NODE } });
  w.kind("IPAddressPool").emit("ADDED", { metadata: { name: "p", namespace: NS } });
  w.kind("L2Advertisement").emit("ADDED", { metadata: { name: "a", namespace: NS } });
  w.kind("Service").emit("ADDED", service("web", IP));
  w.kind("EndpointSlice").emit("ADDED", slice("web"));
  w.speaker.setLinks([LINK]);
  w.speaker.start();
  await settle(w.timers, 100);
  assert.equal(w.speaker.ready(), true);
  assert.deepEqual(w.owned.at(-1) ?? [], [], "no membership object yet: nothing announced");
  w.kind("ConfigMap").emit("ADDED", members("node2"));
  await settle(w.timers, 100);
  assert.deepEqual(w.owned.at(-1) ?? [], [], "listed without this node: nothing announced");
  w.kind("ConfigMap").emit("MODIFIED", members("node2", NODE));
  await settle(w.timers, 100);
  assert.deepEqual(w.owned.at(-1), [IP]);
  w.kind("ConfigMap").emit("DELETED", members("node2", NODE));
  await settle(w.timers, 1_000);
  assert.deepEqual(w.owned.at(-1), [IP], "the last membership stays");
  w.speaker.stop();
});

test("a deleted Service is withdrawn and its record removed", async () => {
  const w = await started();
  w.kind("Service").emit("ADDED", service("web", IP));
  w.kind("EndpointSlice").emit("ADDED", slice("web"));
  await settle(w.timers, 100);
  w.kind("Service").emit("DELETED", service("web", IP));
  await settle(w.timers, 100);
  assert.deepEqual(w.owned.at(-1), []);
  assert.deepEqual(w.writes, ["claim web", "remove web"]);
  await settle(w.timers, 5_000);
  assert.deepEqual(w.writes, ["claim web", "remove web"]);
  w.speaker.stop();
});

test("a pass that leaves what this node owns as it was does not hand it to the announcer again", async () => {
  const w = await started();
  w.kind("Service").emit("ADDED", service("web", IP));
  w.kind("EndpointSlice").emit("ADDED", slice("web"));
  await settle(w.timers, 100);
  const given = w.owned.length;
  const plans = w.plans();
  const relabelled = service("web", IP);
  w.kind("Service").emit("MODIFIED", {
    ...relabelled,
    metadata: { ...relabelled.metadata, labels: { a: "b" } },
  });
  await settle(w.timers, 100);
  assert.ok(w.plans() > plans, "the change made a pass");
  assert.equal(w.owned.length, given, "same IPs on the same interfaces: not sent again");
  w.kind("Service").emit("ADDED", service("api", "198.18.0.201"));
  w.kind("EndpointSlice").emit("ADDED", slice("api"));
  await settle(w.timers, 100);
  assert.deepEqual(w.owned.at(-1), [IP, "198.18.0.201"].sort(), "a new IP is sent");
  w.speaker.stop();
});
