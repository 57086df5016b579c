/**
 * The monitoring endpoint every IronLB binary serves (MetalLB's port 7472): Prometheus metrics on
 * /metrics, liveness on /healthz, readiness on /readyz.
 */
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface Probes {
  /** Liveness: the process is not wedged. */
  healthy(): boolean;
  /** Readiness: synced and serving; the string says why not. */
  ready(): true | string;
}

export class MonitoringServer {
  private server: Server | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly probes: Probes,
  ) {}

  async start(host: string, port: number): Promise<void> {
    const server = createServer((req, res) => {
      void this.handle(req.url ?? "/").then(
        ({ status, type, body }) => {
          res.writeHead(status, { "content-type": type });
          res.end(body);
        },
        (e: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(e instanceof Error ? e.message : "error");
        },
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen on ${host}:${port}: ${e.code ?? e.message}`, { cause: e })),
      );
      server.listen(port, host, () => resolve());
    });
  }

  private async handle(url: string): Promise<{ status: number; type: string; body: string }> {
    const path = url.split("?")[0];
    if (path === "/metrics") {
      return { status: 200, type: this.registry.contentType, body: await this.registry.metrics() };
    }
    if (path === "/healthz") {
      const ok = this.probes.healthy();
      return { status: ok ? 200 : 503, type: "text/plain", body: ok ? "ok\n" : "unhealthy\n" };
    }
    if (path === "/readyz") {
      const ready = this.probes.ready();
      return ready === true
        ? { status: 200, type: "text/plain", body: "ok\n" }
        : { status: 503, type: "text/plain", body: `not ready: ${ready}\n` };
    }
    return { status: 404, type: "text/plain", body: "not found\n" };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
