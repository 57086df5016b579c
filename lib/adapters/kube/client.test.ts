import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  makeTlsMaterial,
  sendJson,
  startFakeApiserver,
  type Handler,
  type TlsMaterial,
} from "../../../test/support/fake-apiserver.js";
import { DeadlineError } from "../deadline.js";
import { ApiClient, type ApiClientOptions } from "./client.js";
import { kubeconfigAccess } from "./config.js";
import { ApiError, ApiResponseError } from "./errors.js";

const OPTS: ApiClientOptions = { userAgent: "ironlb-test/9.9.9", maxSockets: 4 };
let dir = "";
let tls: TlsMaterial;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "ironlb-kube-client-"));
  tls = makeTlsMaterial();
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A client of a plain-HTTP fake apiserver answering with `handler`; closed after `body`. */
async function withServer(
  handler: Handler,
  body: (client: ApiClient) => Promise<void>,
  extra: Partial<ApiClientOptions> & { token?: string; tokenFile?: string } = {},
): Promise<void> {
  const server = await startFakeApiserver(handler);
  const { token, tokenFile, ...opts } = extra;
  const client = new ApiClient(
    { server: server.url, source: "test", token, tokenFile },
    { ...OPTS, ...opts },
  );
  try {
    await body(client);
  } finally {
    client.close();
    await server.close();
  }
}

test("HTTPS with the kubeconfig's CA and client certificate: one connection, IronLB's User-Agent", async () => {
  const seen: { agent: string; peer: string; url: string }[] = [];
  const server = await startFakeApiserver((req, res) => {
    const peer = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? "");
    seen.push({ agent: req.headers["user-agent"] ?? "", peer, url: req.url ?? "" });
    const created = "2026-12-02T01:02:03Z";
    sendJson(res, 200, { kind: "Namespace", metadata: { creationTimestamp: created } });
  }, tls);
  const file = join(dir, "kubeconfig-tls");
  const b64 = (b: Buffer): string => b.toString("base64");
  writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: c",
      "  cluster:",
      `    server: ${server.url}`,
      `    certificate-authority-data: ${b64(tls.serverCert)}`,
      "users:",
      "- name: u",
      "  user:",
      `    client-certificate-data: ${b64(tls.clientCert)}`,
      `    client-key-data: ${b64(tls.clientKey)}`,
      "contexts:",
      "- {name: x, context: {cluster: c, user: u}}",
      "current-context: x",
    ].join("\n"),
  );
  const client = new ApiClient(kubeconfigAccess(file), OPTS);
  try {
    for (let i = 0; i < 5; i++) {
      const ns = await client.get<{ metadata: { creationTimestamp: unknown } }>(
        "/api/v1/namespaces/default",
      );
      // Plain JSON: the timestamp stays the text the server sent (no Date).
      assert.equal(ns.metadata.creationTimestamp, "2026-12-02T01:02:03Z");
    }
    assert.equal(server.connections(), 1, "five calls over one keep-alive connection");
    assert.deepEqual(
      seen,
      Array.from({ length: 5 }, () => ({
        agent: "ironlb-test/9.9.9",
        peer: "ironlb-test",
        url: "/api/v1/namespaces/default",
      })),
    );
  } finally {
    client.close();
    await server.close();
  }
});

test("a failed call carries the HTTP status and the apiserver's Status", async () => {
  const cases = [
    {
      code: 404,
      body: '{"kind":"Status","status":"Failure","reason":"NotFound","message":"services \\"a\\" not found","code":404}',
      reason: "NotFound",
      message: /GET \/x: HTTP 404 NotFound: services "a" not found/,
    },
    {
      code: 409,
      body: '{"kind":"Status","reason":"Conflict","message":"the object has been modified"}',
      reason: "Conflict",
      message: /HTTP 409 Conflict: the object has been modified/,
    },
    {
      code: 502,
      body: "<html>bad gateway</html>",
      reason: undefined,
      message: /HTTP 502: <html>bad gateway<\/html>/,
    },
  ];
  for (const c of cases) {
    await withServer(
      (_req, res) => res.writeHead(c.code, { "content-type": "application/json" }).end(c.body),
      async (client) => {
        const e = await client.get("/x").then(
          () => assert.fail(`HTTP ${c.code} resolved`),
          (err: unknown) => err,
        );
        assert.ok(e instanceof ApiError, `HTTP ${c.code}: an ApiError`);
        assert.equal(e.code, c.code);
        assert.equal(e.reason, c.reason);
        assert.match(e.message, c.message);
      },
    );
  }
});

test("an answer that is not JSON is refused with a clear error", async () => {
  await withServer(
    (_req, res) => res.writeHead(200).end("not json"),
    async (client) => {
      await assert.rejects(client.get("/x"), (e: unknown) => {
        assert.ok(e instanceof ApiResponseError);
        assert.match(e.message, /GET \/x: answer is not JSON: not json/);
        return true;
      });
    },
  );
});

test("a call the server never answers fails at its deadline", async () => {
  await withServer(
    () => undefined, // never answers
    async (client) => {
      const started = Date.now();
      await assert.rejects(client.get("/slow", { deadlineMs: 150 }), (e: unknown) => {
        assert.ok(e instanceof DeadlineError);
        assert.match(e.message, /GET \/slow: no answer within 150 ms/);
        return true;
      });
      const took = Date.now() - started;
      assert.ok(took >= 140 && took < 2_000, `failed after ${took} ms`);
    },
  );
});

test("writes send the verb, content type, query and JSON body asked for", async () => {
  const got: string[] = [];
  await withServer(
    (req, res, body) => {
      got.push(`${req.method} ${req.url} ${req.headers["content-type"] ?? "-"} ${body || "-"}`);
      sendJson(res, 200, {});
    },
    async (client) => {
      await client.create("/c", { a: 1 });
      await client.replace("/c/x", { b: 2 });
      await client.patch("/c/x/status", { s: 3 }, "merge");
      await client.patch("/c/x", [{ op: "remove", path: "/a" }], "json");
      const query = { fieldManager: "ironlb", force: true };
      await client.patch("/c/x", { d: 4 }, "apply", { query });
      await client.delete("/c/x", { preconditions: { resourceVersion: "7" } });
      await client.delete("/c/y");
    },
  );
  assert.deepEqual(got, [
    'POST /c application/json {"a":1}',
    'PUT /c/x application/json {"b":2}',
    'PATCH /c/x/status application/merge-patch+json {"s":3}',
    'PATCH /c/x application/json-patch+json [{"op":"remove","path":"/a"}]',
    'PATCH /c/x?fieldManager=ironlb&force=true application/apply-patch+yaml {"d":4}',
    'DELETE /c/x application/json {"preconditions":{"resourceVersion":"7"}}',
    "DELETE /c/y - -",
  ]);
});

test("a token file is read again once a minute, so a rotated token is picked up", async () => {
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "first\n");
  let now = 1_000_000;
  const auth: string[] = [];
  await withServer(
    (req, res) => {
      auth.push(req.headers.authorization ?? "");
      sendJson(res, 200, {});
    },
    async (client) => {
      await client.get("/a");
      writeFileSync(tokenFile, "second\n");
      now += 59_000;
      await client.get("/a"); // within the minute: the token read before
      now += 2_000;
      await client.get("/a");
    },
    { tokenFile, now: () => now },
  );
  assert.deepEqual(auth, ["Bearer first", "Bearer first", "Bearer second"]);
});
