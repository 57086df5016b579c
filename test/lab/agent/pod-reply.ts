/**
 * What a lab pod's server answers: one line naming the pod, the client address it saw (after any
 * NAT on the way) and the node it runs on, e.g. `pod=web-5d9c-x2x7q client=198.18.0.11:40312
 * node=node2`. Tests read `client=` to tell source-preserving paths from masqueraded ones.
 * Pure; used by pod-server.ts, which runs without the rest of the repo.
 */

/** `a.b.c.d:port` for IPv4 (also when it arrived as an IPv4-mapped IPv6 address), else `[v6]:port`. */
export function describePeer(address: string, port: number): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4 !== undefined) return `${v4}:${port}`;
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface ReplyContext {
  readonly pod: string;
  readonly node: string;
}

export const replyLine = (ctx: ReplyContext, address: string, port: number): string =>
  `pod=${ctx.pod} client=${describePeer(address, port)} node=${ctx.node}\n`;

export interface PortSpec {
  readonly port: number;
  readonly protocol: "TCP" | "UDP";
}

/** Parses `80/TCP,53/UDP` (protocol defaults to TCP); throws on anything else. */
export function parsePortList(text: string): PortSpec[] {
  if (text.trim() === "") return [];
  return text.split(",").map((item) => {
    const m = /^(\d{1,5})(?:\/(TCP|UDP))?$/.exec(item.trim());
    const port = Number(m?.[1]);
    if (!m || port < 1 || port > 65535)
      throw new Error(`bad port "${item}" (want PORT[/TCP|/UDP])`);
    return { port, protocol: m[2] === "UDP" ? "UDP" : "TCP" };
  });
}
