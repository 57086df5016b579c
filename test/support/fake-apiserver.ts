/**
 * Test support for lib/adapters/kube/: a local HTTP or HTTPS server standing in for the
 * apiserver (the test answers each request), and throwaway TLS material made with openssl.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export interface FakeApiserver {
  readonly url: string;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export interface TlsMaterial {
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
}

/** A self-signed certificate for 127.0.0.1 (the server's) and one for a client, via openssl. */
export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), "ironlb-tls-"));
  try {
    const cert = (name: string, subject: string, san: string[]): [Buffer, Buffer] => {
      const [crt, key] = [join(dir, `${name}.crt`), join(dir, `${name}.key`)];
      execFileSync(
        "openssl",
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
          .concat(["-nodes", "-days", "1", "-subj", subject, "-keyout", key, "-out", crt])
          .concat(san),
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      return [readFileSync(crt), readFileSync(key)];
    };
    const [serverCert, serverKey] = cert("server", "/CN=127.0.0.1", [
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ]);
    const [clientCert, clientKey] = cert("client", "/CN=ironlb-test/O=test", []);
    return { serverCert, serverKey, clientCert, clientKey };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts a server on 127.0.0.1; with `tls`, HTTPS that requires the client certificate. */
export async function startFakeApiserver(
  handler: Handler,
  tls?: TlsMaterial,
): Promise<FakeApiserver> {
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => handler(req, res, body));
  };
  const server = tls
    ? https.createServer(
        {
          cert: tls.serverCert,
          key: tls.serverKey,
          ca: tls.clientCert,
          requestCert: true,
          rejectUnauthorized: true,
        },
        onRequest,
      )
    : http.createServer(onRequest);
  const sockets = new Set<Socket>();
  let accepted = 0;
  server.on(tls ? "secureConnection" : "connection", (s: Socket) => {
    accepted++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Answers `res` with `obj` as JSON. */
export function sendJson(res: http.ServerResponse, code: number, obj: unknown): void {
  res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(obj));
}
