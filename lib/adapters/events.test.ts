import assert from "node:assert/strict";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { ManualTimers } from "../../test/support/manual-timers.js";
import { EventRecorder } from "./events.js";
import { ApiClient } from "./kube/client.js";

const EVENTS = 20;
/** Far more than 20 answers 20 ms apart need; a lost event shows as this wait running out. */
const WAIT_MS = 5_000;

/** Starts `server` on a free port; a client of it over plain HTTP. */
async function kubeConfigFor(server: Server): Promise<ApiClient> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const access = { server: `http://127.0.0.1:${port}`, source: "test" };
  return new ApiClient(access, { userAgent: "ironlb-test", maxSockets: 16 });
}

test("at most 8 event creates are in flight; the rest follow, none lost", async () => {
  const held: ServerResponse[] = [];
  const received: string[] = [];
  let inFlight = 0;
  let most = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      received.push((JSON.parse(body) as { message: string }).message);
      inFlight++;
      most = Math.max(most, inFlight);
      held.push(res);
    });
  });
  const kc = await kubeConfigFor(server);
  try {
    const recorder = new EventRecorder(kc, "test", "node1");
    const ref = { kind: "Service", apiVersion: "v1", namespace: "ns", name: "svc" };
    let settled = false;
    const all = Promise.all(
      Array.from({ length: EVENTS }, (_, i) =>
        recorder.record(ref, "Normal", "Test", `event ${i}`),
      ),
    ).finally(() => (settled = true));
    // Answer the held requests one by one, as slowly as a busy apiserver would, until every
    // record() call has resolved or the wait runs out.
    const deadline = Date.now() + WAIT_MS;
    while (!settled && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      const res = held.shift();
      if (!res) continue;
      inFlight--;
      res.writeHead(201, { "content-type": "application/json" }).end("{}");
    }
    assert.ok(settled, `every record() resolved within ${WAIT_MS} ms`);
    await all;
    const want = Array.from({ length: EVENTS }, (_, i) => `event ${i}`);
    assert.deepEqual([...received].sort(), want.sort(), "the apiserver got every event once");
    assert.equal(most, 8, "8 creates in flight at most, and the limit was reached");
  } finally {
    for (const res of held.splice(0)) res.destroy();
    server.closeAllConnections();
    server.close();
  }
});

test("aggregated: one Event per object and reason per window, repeats patch its count", async () => {
  const requests: { method: string; url: string; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      const body = JSON.parse(text || "{}") as Record<string, unknown>;
      requests.push({ method: req.method ?? "", url: req.url ?? "", body });
      const name = `svc.${requests.length}`;
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ metadata: { name, namespace: "ns" } }));
    });
  });
  const kc = await kubeConfigFor(server);
  const timers = new ManualTimers();
  let now = Date.parse("2026-12-01T10:00:00Z");
  const recorder = new EventRecorder(kc, "test", "node1", {
    aggregateWindowMs: 60_000,
    flushMs: 1_000,
    timers,
    now: () => new Date(now),
  });
  const ref = { kind: "Service", apiVersion: "v1", namespace: "ns", name: "svc", uid: "u1" };
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
  };
  try {
    await recorder.record(ref, "Warning", "AllocationFailed", "no IP 1");
    for (const m of ["no IP 2", "no IP 3", "no IP 4"]) {
      await recorder.record(ref, "Warning", "AllocationFailed", m);
    }
    await recorder.record(ref, "Normal", "IPAllocated", "got one");
    timers.advance(1_000);
    await settle();
    now += 61_000;
    await recorder.record(ref, "Warning", "AllocationFailed", "no IP 5");
    await settle();
    const seen = requests.map((r) => [r.method, r.url, r.body.reason ?? "", r.body.count]);
    assert.deepEqual(seen, [
      ["POST", "/api/v1/namespaces/ns/events", "AllocationFailed", 1],
      ["POST", "/api/v1/namespaces/ns/events", "IPAllocated", 1],
      ["PATCH", "/api/v1/namespaces/ns/events/svc.1", "", 4],
      ["POST", "/api/v1/namespaces/ns/events", "AllocationFailed", 1],
    ]);
    assert.equal(requests[2]?.body.message, "no IP 4");
  } finally {
    server.close();
  }
});

test("aggregated: a deleted object's series are forgotten at once; other objects' stay", async () => {
  const creates: string[] = [];
  const kc = {
    create: (_path: string, body: { involvedObject: { name: string }; reason: string }) => {
      creates.push(`${body.involvedObject.name} ${body.reason}`);
      return Promise.resolve({ metadata: { name: `ev.${creates.length}` } });
    },
    patch: () => Promise.resolve(undefined),
  } as unknown as ApiClient;
  const timers = new ManualTimers();
  const recorder = new EventRecorder(kc, "test", "node1", { aggregateWindowMs: 600_000, timers });
  const ref = (name: string) => ({ kind: "Service", apiVersion: "v1", namespace: "ns", name });
  await recorder.record(ref("a"), "Normal", "IPAllocated", "one");
  await recorder.record(ref("b"), "Normal", "IPAllocated", "one");
  recorder.forget("ns", "a");
  recorder.forget("ns", "never-seen");
  await recorder.record(ref("a"), "Normal", "IPAllocated", "two");
  await recorder.record(ref("b"), "Normal", "IPAllocated", "two");
  assert.deepEqual(creates, ["a IPAllocated", "b IPAllocated", "a IPAllocated"]);
});
