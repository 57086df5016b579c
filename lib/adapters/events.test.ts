import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { EventRecorder } from "./events.js";

const EVENTS = 20;
/** Far more than 20 answers 20 ms apart need; a lost event shows as this wait running out. */
const WAIT_MS = 5_000;

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
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
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
