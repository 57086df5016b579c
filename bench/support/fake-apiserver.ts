/**
 * An in-memory stand-in for the apiserver, enough for one speaker: lists (one page), watches that
 * stay open and carry the events `put`/`remove` make, API discovery for KubernetesObjectApi, and
 * writes (create, patch, delete) that are stored and echoed. Plain HTTP on 127.0.0.1. It lets the
 * speaker-memory-offline benchmark hold 5,000 Services in a real speaker process without a lab.
 * A watch from a resourceVersion first gets the events after it, as the apiserver sends them
 * (the last HISTORY events are kept; older is 410 Gone): a re-list under load must not lose the
 * events made between its list and its watch (a record deleted then would stay in the cache).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

type Obj = { metadata?: { name?: string; namespace?: string; resourceVersion?: string } };
type Change = { rv: number; plural: string; line: string };

/** Events kept for watches that start from an older resourceVersion. */
const HISTORY = 50_000;

const RESOURCES: Record<string, { kind: string; name: string; namespaced: boolean }[]> = {
  "/api/v1": [
    { kind: "Service", name: "services", namespaced: true },
    { kind: "Node", name: "nodes", namespaced: false },
    { kind: "Event", name: "events", namespaced: true },
    { kind: "ConfigMap", name: "configmaps", namespaced: true },
  ],
  "/apis/discovery.k8s.io/v1": [
    { kind: "EndpointSlice", name: "endpointslices", namespaced: true },
  ],
  "/apis/coordination.k8s.io/v1": [{ kind: "Lease", name: "leases", namespaced: true }],
  "/apis/events.k8s.io/v1": [{ kind: "Event", name: "events", namespaced: true }],
};

/** `/api/v1/namespaces/ns/services/x` -> collection `services`, key `ns/x`. */
function parse(path: string): { plural: string; key: string | undefined; ns: string } {
  const parts = path.split("/").filter(Boolean);
  const nsAt = parts.indexOf("namespaces");
  const ns = nsAt >= 0 && parts.length > nsAt + 2 ? (parts[nsAt + 1] ?? "") : "";
  const rest = nsAt >= 0 && parts.length > nsAt + 2 ? parts.slice(nsAt + 2) : parts.slice(2);
  const start = path.startsWith("/apis/") ? 1 : 0;
  const tail = rest.slice(nsAt >= 0 ? 0 : start);
  const plural = tail[0] ?? "";
  const name = tail[1];
  return { plural, key: name === undefined ? undefined : `${ns}/${name}`, ns };
}

export class FakeApiServer {
  private readonly server: Server;
  private readonly store = new Map<string, Map<string, Obj>>();
  private readonly watchers = new Map<string, Set<ServerResponse>>();
  private rv = 1;
  private history: Change[] = [];

  /** Bookmarks every 30 s, as the apiserver sends them: a quiet watch is not a dead one. */
  private readonly bookmarks: NodeJS.Timeout;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.bookmarks = setInterval(() => {
      const mark = { type: "BOOKMARK", object: { metadata: { resourceVersion: String(this.rv) } } };
      for (const w of [...this.watchers.values()].flatMap((set) => [...set])) {
        w.write(`${JSON.stringify(mark)}\n`);
      }
    }, 30_000);
    this.bookmarks.unref();
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): void {
    clearInterval(this.bookmarks);
    for (const w of [...this.watchers.values()].flatMap((set) => [...set])) w.end();
    this.server.closeAllConnections();
    this.server.close();
  }

  /** Adds or replaces an object of collection `plural` and tells its watchers. */
  put(plural: string, obj: Obj): void {
    const meta = { ...obj.metadata, resourceVersion: String(++this.rv) };
    const stamped = { ...obj, metadata: meta };
    const items = this.items(plural);
    const key = `${meta.namespace ?? ""}/${meta.name ?? ""}`;
    const type = items.has(key) ? "MODIFIED" : "ADDED";
    items.set(key, stamped);
    this.tell(plural, type, stamped);
  }

  remove(plural: string, key: string): void {
    const obj = this.items(plural).get(key);
    if (!obj) return;
    this.items(plural).delete(key);
    this.tell(plural, "DELETED", {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(++this.rv) },
    });
  }

  keys(plural: string): string[] {
    return [...this.items(plural).keys()];
  }

  private items(plural: string): Map<string, Obj> {
    let m = this.store.get(plural);
    if (!m) this.store.set(plural, (m = new Map<string, Obj>()));
    return m;
  }

  private tell(plural: string, type: string, obj: Obj): void {
    const line = `${JSON.stringify({ type, object: obj })}\n`;
    this.history.push({ rv: Number(obj.metadata?.resourceVersion), plural, line });
    if (this.history.length > 2 * HISTORY) this.history = this.history.slice(-HISTORY);
    for (const w of this.watchers.get(plural) ?? []) w.write(line);
  }

  /** What a watch of `plural` from `from` missed, or a 410 when that is older than the history. */
  private since(plural: string, from: number): string {
    const oldest = this.history[0]?.rv ?? this.rv + 1;
    if (from + 1 < oldest) {
      const gone = { kind: "Status", code: 410, reason: "Expired", message: "too old" };
      return `${JSON.stringify({ type: "ERROR", object: gone })}\n`;
    }
    return this.history
      .filter((c) => c.plural === plural && c.rv > from)
      .map((c) => c.line)
      .join("");
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Obj) : undefined;
    const json = (status: number, o: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(o));
    };
    const resources = RESOURCES[url.pathname];
    if (resources) {
      return json(200, {
        kind: "APIResourceList",
        groupVersion: url.pathname.replace(/^\/apis?\//, ""),
        resources: resources.map((r) => ({
          ...r,
          singularName: "",
          verbs: ["list", "watch", "get", "create", "patch", "delete"],
        })),
      });
    }
    const { plural, key, ns } = parse(url.pathname.replace(/\/status$/, ""));
    if (req.method === "GET" && key === undefined) {
      if (url.searchParams.get("watch") === "true") {
        res.writeHead(200, { "content-type": "application/json" });
        const from = Number(url.searchParams.get("resourceVersion") ?? "");
        if (Number.isInteger(from) && from > 0) res.write(this.since(plural, from));
        const set = this.watchers.get(plural) ?? new Set();
        this.watchers.set(plural, set.add(res));
        res.on("close", () => set.delete(res));
        return;
      }
      const items = [...this.items(plural).values()].filter(
        (o) => !ns || o.metadata?.namespace === ns,
      );
      return json(200, {
        kind: "List",
        apiVersion: "v1",
        metadata: { resourceVersion: String(this.rv) },
        items,
      });
    }
    const found = key === undefined ? undefined : this.items(plural).get(key);
    if (req.method === "GET")
      return found
        ? json(200, found)
        : json(404, { kind: "Status", code: 404, reason: "NotFound" });
    if (req.method === "DELETE") {
      if (key) this.remove(plural, key);
      return json(200, { kind: "Status", status: "Success" });
    }
    const metadata = { ...found?.metadata, ...body?.metadata, ...(ns ? { namespace: ns } : {}) };
    const merged: Obj = { ...found, ...body, metadata };
    metadata.name ??= `gen-${this.rv}`;
    this.put(plural, merged);
    return json(
      req.method === "POST" ? 201 : 200,
      this.items(plural).get(`${ns}/${metadata.name}`),
    );
  }
}
