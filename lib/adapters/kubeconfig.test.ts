import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { loadApiClient } from "./kubeconfig.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("API calls share one keep-alive connection and send IronLB's User-Agent and token", async () => {
  let connections = 0;
  const agents: string[] = [];
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    agents.push(req.headers["user-agent"] ?? "");
    tokens.push(req.headers.authorization ?? "");
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end('{"kind":"Namespace"}');
  });
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const dir = mkdtempSync(join(tmpdir(), "ironlb-kc-"));
  try {
    const { port } = server.address() as AddressInfo;
    const file = join(dir, "kubeconfig");
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "c",
            cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true },
          },
        ],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      }),
    );
    const kc = loadApiClient(file, { userAgent: "ironlb-test/9.9.9", maxSockets: 4 });
    for (let i = 0; i < 5; i++) await kc.get("/api/v1/namespaces/default");
    kc.close();
    assert.equal(connections, 1);
    assert.deepEqual(agents, Array<string>(5).fill("ironlb-test/9.9.9"));
    assert.deepEqual(tokens, Array<string>(5).fill("Bearer t"));
  } finally {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
