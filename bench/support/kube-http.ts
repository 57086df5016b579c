/**
 * A minimal Kubernetes API client for load generation: HTTP/1.1 with keep-alive over a bounded
 * pool of TLS connections. @kubernetes/client-node 1.4 builds a new https.Agent for every call
 * (a TCP + TLS handshake per request), which would make the benchmark itself the bottleneck on
 * a 2-core machine; the controller under test keeps using client-node.
 */
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export class KubeHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class KubeHttp {
  private constructor(
    private readonly server: URL,
    private readonly agent: https.Agent,
  ) {}

  static async create(kc: KubeConfig, maxSockets: number): Promise<KubeHttp> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets,
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
    });
    return new KubeHttp(new URL(cluster.server), agent);
  }

  /** Sends one request; resolves with the parsed JSON body, rejects on a non-2xx status. */
  request<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: "application/json" };
    if (payload !== undefined) {
      headers["content-type"] = contentType ?? "application/json";
      headers["content-length"] = String(Buffer.byteLength(payload));
    }
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        new URL(path, this.server),
        { method, agent: this.agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(JSON.parse(text) as T);
            else reject(new KubeHttpError(status, `${method} ${path}: ${status} ${text}`));
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** GETs a text resource (the apiserver's /metrics). */
  text(path: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const req = https.get(new URL(path, this.server), { agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const body = Buffer.concat(chunks).toString("utf8");
          if (status >= 200 && status < 300) resolve(body);
          else reject(new KubeHttpError(status, `GET ${path}: ${status}`));
        });
        res.on("error", reject);
      });
      req.on("error", reject);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at a time. */
export async function runBounded(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
