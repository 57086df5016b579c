import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Pod, V1PodStatus } from "@kubernetes/client-node";
import {
  runningStatus,
  servedPorts,
  servesUntil,
  showsRunning,
  wantsScheduling,
} from "./pod-plan.js";

const pod = (
  spec: Partial<NonNullable<V1Pod["spec"]>> = {},
  extra: Partial<V1Pod> = {},
): V1Pod => ({
  metadata: { name: "web-1", namespace: "t", uid: "u1" },
  spec: { containers: [{ name: "web", image: "lab/web" }], ...spec },
  ...extra,
});

test("wantsScheduling: unbound pods of the default scheduler that are not ending", () => {
  const cases: { name: string; pod: V1Pod; want: boolean }[] = [
    { name: "plain pod", pod: pod(), want: true },
    {
      name: "explicit default scheduler",
      pod: pod({ schedulerName: "default-scheduler" }),
      want: true,
    },
    { name: "bound", pod: pod({ nodeName: "node1" }), want: false },
    { name: "another scheduler", pod: pod({ schedulerName: "volcano" }), want: false },
    {
      name: "being deleted",
      pod: pod({}, { metadata: { name: "x", deletionTimestamp: new Date(0) } }),
      want: false,
    },
    { name: "finished", pod: pod({}, { status: { phase: "Succeeded" } }), want: false },
  ];
  for (const c of cases) assert.equal(wantsScheduling(c.pod), c.want, c.name);
});

test("servedPorts: every TCP/UDP containerPort of every container, once, sorted", () => {
  const p = pod({
    containers: [
      { name: "a", ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: "UDP" }] },
      {
        name: "b",
        ports: [
          { containerPort: 80, protocol: "TCP" },
          { containerPort: 8080 },
          { containerPort: 53, protocol: "TCP" },
          { containerPort: 9000, protocol: "SCTP" },
        ],
      },
    ],
  });
  assert.deepEqual(servedPorts(p), [
    { port: 53, protocol: "TCP" },
    { port: 53, protocol: "UDP" },
    { port: 80, protocol: "TCP" },
    { port: 8080, protocol: "TCP" },
  ]);
  assert.deepEqual(servedPorts(pod()), []);
});

test("runningStatus reports Running, Ready and the addresses, IPv4 first", () => {
  const startedAt = new Date("2026-01-02T03:04:05Z");
  const status = runningStatus({
    pod: pod({ nodeName: "node2" }),
    podIPs: ["198.19.2.7", "2001:db8:19:2::7"],
    hostIPs: ["198.18.0.12", "2001:db8:18::12"],
    startedAt,
    hash: "abc",
  });
  assert.equal(status.phase, "Running");
  assert.equal(status.podIP, "198.19.2.7");
  assert.deepEqual(status.podIPs, [{ ip: "198.19.2.7" }, { ip: "2001:db8:19:2::7" }]);
  assert.equal(status.hostIP, "198.18.0.12");
  assert.deepEqual(status.hostIPs, [{ ip: "198.18.0.12" }, { ip: "2001:db8:18::12" }]);
  for (const type of ["Ready", "ContainersReady", "PodScheduled", "Initialized"]) {
    const c = status.conditions?.find((x) => x.type === type);
    assert.equal(c?.status, "True", type);
  }
  assert.deepEqual(
    status.containerStatuses?.map((c) => [c.name, c.ready, c.started, c.containerID]),
    [["web", true, true, "lab://abc/web"]],
  );
  assert.equal(status.startTime, startedAt);
});

test("runningStatus keeps the transition time of conditions that were already True", () => {
  const then = new Date("2026-01-01T00:00:00Z");
  const p = pod(
    { nodeName: "node1" },
    {
      status: { conditions: [{ type: "PodScheduled", status: "True", lastTransitionTime: then }] },
    },
  );
  const now = new Date("2026-01-02T00:00:00Z");
  const status = runningStatus({
    pod: p,
    podIPs: ["198.19.1.2"],
    hostIPs: [],
    startedAt: now,
    hash: "h",
  });
  const scheduled = status.conditions?.find((c) => c.type === "PodScheduled");
  const ready = status.conditions?.find((c) => c.type === "Ready");
  assert.equal(scheduled?.lastTransitionTime, then);
  assert.equal(ready?.lastTransitionTime, now);
});

test("showsRunning is true only for Running + Ready with exactly these pod IPs", () => {
  const ready = [{ type: "Ready", status: "True" }];
  const cases: { name: string; status: V1PodStatus; want: boolean }[] = [
    {
      name: "as reported",
      status: { phase: "Running", conditions: ready, podIPs: [{ ip: "198.19.1.2" }] },
      want: true,
    },
    { name: "pending", status: { phase: "Pending" }, want: false },
    {
      name: "not ready",
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: "False" }],
        podIPs: [{ ip: "198.19.1.2" }],
      },
      want: false,
    },
    {
      name: "another IP",
      status: { phase: "Running", conditions: ready, podIPs: [{ ip: "198.19.1.3" }] },
      want: false,
    },
  ];
  for (const c of cases) {
    assert.equal(showsRunning(pod({}, { status: c.status }), ["198.19.1.2"]), c.want, c.name);
  }
});

test("servesUntil: a preStop sleep keeps a deleted pod serving, within its grace period", () => {
  // Deleted at 12:00:00 with a grace period of 30 s: deletionTimestamp 12:00:30.
  const deleted = (grace: number | undefined, sleeps: (number | undefined)[]): V1Pod =>
    pod(
      {
        containers: sleeps.map((seconds, i) => ({
          name: `c${i}`,
          ...(seconds === undefined ? {} : { lifecycle: { preStop: { sleep: { seconds } } } }),
        })),
      },
      {
        metadata: {
          name: "web-1",
          deletionTimestamp: new Date(Date.parse("2026-01-01T12:00:00Z") + (grace ?? 0) * 1000),
          ...(grace === undefined ? {} : { deletionGracePeriodSeconds: grace }),
        },
      },
    );
  const cases: [string, V1Pod, string | undefined][] = [
    ["preStop sleep 20 s of 30", deleted(30, [20]), "2026-01-01T12:00:20.000Z"],
    ["the longest hook of two containers", deleted(30, [5, 12]), "2026-01-01T12:00:12.000Z"],
    ["a hook longer than the grace period is cut", deleted(10, [60]), "2026-01-01T12:00:10.000Z"],
    ["no hook: stops at once", deleted(30, [undefined]), undefined],
    ["grace period 0 (forced): stops at once", deleted(0, [20]), undefined],
    ["grace period unknown: stops at once", deleted(undefined, [20]), undefined],
    [
      "not being deleted",
      pod({ containers: [{ name: "c", lifecycle: { preStop: { sleep: { seconds: 5 } } } }] }),
      undefined,
    ],
  ];
  for (const [name, p, want] of cases) assert.equal(servesUntil(p)?.toISOString(), want, name);
});
