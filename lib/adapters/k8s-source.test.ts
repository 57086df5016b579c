import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { sendJson, startFakeApiserver } from "../../test/support/fake-apiserver.js";
import { k8sSource } from "./k8s-source.js";
import { ApiClient } from "./kube/client.js";
import { Reflector } from "./reflector.js";

const svc = (name: string, rv: string): KubernetesObject => ({
  metadata: { name, namespace: "ns", resourceVersion: rv },
});
const ref = { apiVersion: "v1", kind: "Service", path: "/api/v1/services" };
const quiet = { info: () => undefined, warn: () => undefined };

test("a list follows `continue` over pages, keeps the selector, and takes the last version", async () => {
  const pages: Record<string, object> = {
    "": {
      metadata: { resourceVersion: "5", continue: "p2" },
      items: [svc("a", "1"), svc("b", "2")],
    },
    p2: {
      metadata: { resourceVersion: "5", continue: "p3" },
      items: [svc("c", "3"), svc("d", "4")],
    },
    p3: { metadata: { resourceVersion: "5" }, items: [svc("e", "5")] },
  };
  const urls: string[] = [];
  const server = await startFakeApiserver((req, res) => {
    urls.push(req.url ?? "");
    const token = new URL(req.url ?? "", "http://x").searchParams.get("continue") ?? "";
    sendJson(res, 200, pages[token]);
  });
  const client = new ApiClient(
    { server: server.url, source: "test" },
    {
      userAgent: "t",
      maxSockets: 1,
    },
  );
  try {
    const source = k8sSource(client, { ...ref, labelSelector: "app=x" }, 2);
    const listed = await source.list();
    assert.deepEqual(
      listed.items.map((i) => [i.metadata?.name, i.kind, i.apiVersion]),
      ["a", "b", "c", "d", "e"].map((n) => [n, "Service", "v1"]),
    );
    assert.equal(listed.resourceVersion, "5");
    assert.deepEqual(urls, [
      "/api/v1/services?labelSelector=app%3Dx&limit=2",
      "/api/v1/services?labelSelector=app%3Dx&limit=2&continue=p2",
      "/api/v1/services?labelSelector=app%3Dx&limit=2&continue=p3",
    ]);
  } finally {
    client.close();
    await server.close();
  }
});

test("a reflector over HTTP: 410 Gone on the watch makes it list again, then it follows the watch", async () => {
  const gone = { kind: "Status", status: "Failure", reason: "Expired", code: 410 };
  let lists = 0;
  const watches: string[] = [];
  const open: ServerResponse[] = [];
  const server = await startFakeApiserver((req, res) => {
    const url = new URL(req.url ?? "", "http://x");
    if (url.searchParams.get("watch") !== "true") {
      lists++;
      const items = lists === 1 ? [svc("a", "1")] : [svc("a", "1"), svc("b", "7")];
      sendJson(res, 200, { metadata: { resourceVersion: lists === 1 ? "1" : "7" }, items });
      return;
    }
    watches.push(url.searchParams.get("resourceVersion") ?? "");
    res.writeHead(200, { "content-type": "application/json" });
    if (watches.length === 1) {
      res.end(`${JSON.stringify({ type: "ERROR", object: gone })}\n`);
      return;
    }
    open.push(res);
    res.write(`${JSON.stringify({ type: "ADDED", object: svc("c", "8") })}\n`);
  });
  const client = new ApiClient(
    { server: server.url, source: "test" },
    {
      userAgent: "t",
      maxSockets: 1,
    },
  );
  const seen: string[] = [];
  const reflector = new Reflector<KubernetesObject>({
    name: "services",
    source: k8sSource(client, ref),
    log: quiet,
    delay: () => Promise.resolve(),
    handler: { onEvent: (type, o) => seen.push(`${type} ${o.metadata?.name}`) },
  });
  try {
    reflector.start();
    for (let i = 0; i < 200 && !seen.includes("ADDED c"); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(seen, ["ADDED a", "ADDED b", "ADDED c"]);
    assert.equal(lists, 2, "listed again after 410");
    assert.deepEqual(watches, ["1", "7"], "each watch from its list's version");
    assert.deepEqual(
      reflector
        .items()
        .map((o) => o.metadata?.name)
        .sort(),
      ["a", "b", "c"],
    );
  } finally {
    reflector.stop();
    for (const res of open) res.end();
    client.close();
    await server.close();
  }
});
