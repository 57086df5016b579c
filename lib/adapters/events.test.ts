import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { EventRecorder } from "./events.js";

test("at most 8 event creates are in flight; the rest follow, none lost", async () => {
  const held: ServerResponse[] = [];
  let inFlight = 0;
  let most = 0;
  let served = 0;
  const server = createServer((req, res) => {
    req.resume();
    inFlight++;
    most = Math.max(most, inFlight);
    held.push(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const recorder = new EventRecorder(kc, "test", "node1");
  const ref = { kind: "Service", apiVersion: "v1", namespace: "ns", name: "svc" };
  const all = Promise.all(
    Array.from({ length: 20 }, (_, i) => recorder.record(ref, "Normal", "Test", `event ${i}`)),
  );
  // Answer the held requests one by one, as slowly as a busy apiserver would.
  while (served < 20) {
    await new Promise((r) => setTimeout(r, 20));
    const res = held.shift();
    if (!res) continue;
    inFlight--;
    served++;
    res.writeHead(201, { "content-type": "application/json" }).end("{}");
  }
  await all;
  server.close();
  assert.equal(served, 20);
  assert.equal(most, 8);
});
