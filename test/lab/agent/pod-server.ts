/**
 * A lab pod's "container": answers every TCP port over HTTP and every UDP port with one datagram,
 * on IPv4 and IPv6, with the line from pod-reply.ts. Started by the agent inside the pod's
 * network namespace (`ip netns exec ironlb-pod-... node pod-server.js ...`) from JavaScript the
 * agent emits once, so each pod costs a bare Node process rather than a TypeScript loader.
 * Reports readiness by writing `ready` to fd 3 when every port listens.
 *
 *   pod-server.js --pod NAME --node NODE --ports 80/TCP,53/UDP
 */
import { createSocket, type Socket } from "node:dgram";
import { closeSync, writeSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { parseArgs } from "node:util";
import { parsePortList, replyLine, type PortSpec, type ReplyContext } from "./pod-reply.js";

function serveTcp(ctx: ReplyContext, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const body = replyLine(ctx, req.socket.remoteAddress ?? "?", req.socket.remotePort ?? 0);
    res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host: "::", ipv6Only: false }, () => resolve(server));
  });
}

function serveUdp(ctx: ReplyContext, port: number): Promise<Socket> {
  const socket = createSocket({ type: "udp6", ipv6Only: false });
  socket.on("message", (_msg, peer) => {
    socket.send(replyLine(ctx, peer.address, peer.port), peer.port, peer.address);
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, "::", () => resolve(socket));
  });
}

function reportReady(): void {
  try {
    writeSync(3, "ready\n");
    closeSync(3);
  } catch {
    // started without a readiness pipe (by hand): nothing to report to
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { pod: { type: "string" }, node: { type: "string" }, ports: { type: "string" } },
  });
  const ctx: ReplyContext = { pod: values.pod ?? "unknown", node: values.node ?? "unknown" };
  const ports: PortSpec[] = parsePortList(values.ports ?? "");
  const open = await Promise.all(
    ports.map((p) => (p.protocol === "TCP" ? serveTcp(ctx, p.port) : serveUdp(ctx, p.port))),
  );
  process.stderr.write(`pod-server ${ctx.pod}: serving ${values.ports ?? "no ports"}\n`);
  reportReady();
  const stop = (): void => {
    for (const s of open) s.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`pod-server: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
