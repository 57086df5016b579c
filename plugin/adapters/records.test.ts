import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CoreV1Event, V1Lease, V1Service } from "@kubernetes/client-node";
import { endpointRecords, eventRecord, serviceRecord, speakerLeaseRecord } from "./records.js";

describe("records", () => {
  test("speaker Lease: holder, renewTime (Date or text), duration from the annotation", () => {
    const lease: V1Lease = {
      metadata: { name: "speaker-node1", annotations: { "ironlb.io/lease-duration-ms": "1200" } },
      spec: {
        holderIdentity: "node1",
        leaseDurationSeconds: 2,
        renewTime: new Date("2026-12-01T20:00:00.250Z"),
      },
    };
    assert.deepEqual(speakerLeaseRecord(lease), {
      node: "node1",
      renewedAt: 1796155200250,
      durationMs: 1200,
    });
    const plain: V1Lease = {
      metadata: { name: "speaker-node2" },
      spec: {
        leaseDurationSeconds: 2,
        renewTime: "2026-12-01T20:00:01.000000Z" as unknown as Date,
      },
    };
    assert.deepEqual(speakerLeaseRecord(plain), {
      node: "node2",
      renewedAt: 1796155201000,
      durationMs: 2000,
    });
    assert.equal(speakerLeaseRecord({ metadata: { name: "ironlb-controller" } }), undefined);
  });

  test("Service: the new pool annotation wins over the old spelling, empty counts as unset", () => {
    const svc = (annotations: Record<string, string>): V1Service => ({
      metadata: { name: "web", namespace: "shop", annotations },
      spec: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
      status: {
        loadBalancer: { ingress: [{ ip: "198.18.0.200" }, { hostname: "x.example" }] },
        conditions: [
          {
            type: "Other",
            status: "True",
            reason: "X",
            message: "",
            lastTransitionTime: new Date(),
          },
          {
            type: "ironlb.io/IPAllocated",
            status: "True",
            reason: "Allocated",
            message: "m",
            lastTransitionTime: new Date(),
          },
        ],
      },
    });
    const r = serviceRecord(
      svc({ "metallb.io/address-pool": "a", "metallb.universe.tf/address-pool": "b" }),
    );
    assert.equal(r.requestedPool, "a");
    assert.deepEqual(r.ips, ["198.18.0.200"]);
    assert.equal(r.trafficPolicy, "Local");
    assert.deepEqual(r.condition, { status: "True", reason: "Allocated", message: "m" });
    assert.equal(
      serviceRecord(svc({ "metallb.io/address-pool": "", "metallb.universe.tf/address-pool": "b" }))
        .requestedPool,
      "b",
    );
  });

  test("endpoints are ready unless conditions.ready is false", () => {
    assert.deepEqual(
      endpointRecords([
        {
          addressType: "IPv4",
          endpoints: [
            { addresses: ["198.19.1.2"], nodeName: "node1", conditions: { ready: true } },
            { addresses: ["198.19.2.2"], nodeName: "node2", conditions: { ready: false } },
            { addresses: ["198.19.3.2"], nodeName: "node3" },
          ],
        },
      ]),
      [
        { ready: true, node: "node1" },
        { ready: false, node: "node2" },
        { ready: true, node: "node3" },
      ],
    );
  });

  test("with no ready endpoint, terminating pods that still serve count (as the speaker)", () => {
    const draining = (node: string, serving: boolean) => ({
      addresses: ["198.19.2.9"],
      nodeName: node,
      conditions: { ready: false, serving, terminating: true },
    });
    assert.deepEqual(
      endpointRecords([
        { addressType: "IPv4", endpoints: [draining("node2", true), draining("node3", false)] },
      ]),
      [
        { ready: true, node: "node2" },
        { ready: false, node: "node3" },
      ],
    );
    // One ready endpoint anywhere: serving-but-not-ready ones do not count.
    assert.deepEqual(
      endpointRecords([
        { addressType: "IPv4", endpoints: [draining("node2", true)] },
        {
          addressType: "IPv4",
          endpoints: [
            { addresses: ["198.19.1.2"], nodeName: "node1", conditions: { ready: true } },
          ],
        },
      ]),
      [
        { ready: false, node: "node2" },
        { ready: true, node: "node1" },
      ],
    );
  });

  test("event: lastTimestamp, else eventTime", () => {
    const e: CoreV1Event = {
      metadata: {},
      involvedObject: {},
      reason: "nodeAssigned",
      message: "m",
      eventTime: new Date("2026-12-01T20:00:00Z"),
    };
    assert.deepEqual(eventRecord(e), {
      type: "Normal",
      reason: "nodeAssigned",
      message: "m",
      count: 1,
      lastSeen: 1796155200000,
    });
  });
});
