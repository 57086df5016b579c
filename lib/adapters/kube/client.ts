/**
 * A small Kubernetes API client: JSON in, plain objects out (no model classes, so timestamps stay
 * RFC 3339 strings), over one keep-alive agent shared by every call, each call bounded by a
 * deadline, each request named by the binary's User-Agent. A failed call rejects with an ApiError
 * carrying the HTTP status and the apiserver's Status. Watches (./watch.ts) use a second agent of
 * their own, so long-lived streams never hold the places of calls.
 */
import http from "node:http";
import https from "node:https";
import { DeadlineError } from "../deadline.js";
import { type ClusterAccess, clusterAccess, TokenFile } from "./config.js";
import { ApiError, ApiResponseError, statusOf } from "./errors.js";
import { type Query, withQuery } from "./paths.js";
import { startWatch, type WatchCallbacks, type WatchHandle } from "./watch.js";

export interface ApiClientOptions {
  /** Sent as User-Agent on every request, e.g. "ironlb-controller/0.1.0". */
  readonly userAgent: string;
  /** Connections kept open to the apiserver (requests beyond wait for one). */
  readonly maxSockets: number;
  /** Default deadline of a call. Default 30 s. */
  readonly deadlineMs?: number;
  /** For tests: the clock the token file's re-reads follow. */
  readonly now?: () => number;
}

export type PatchType = "merge" | "json" | "apply";

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
};

export interface CallOptions {
  readonly query?: Query;
  readonly deadlineMs?: number;
}

interface Request extends CallOptions {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly contentType?: string;
}

const DEFAULT_DEADLINE_MS = 30_000;

export class ApiClient {
  private readonly agent: http.Agent;
  private readonly watchAgent: http.Agent;
  private readonly tokenFile: TokenFile | undefined;
  private readonly secure: boolean;

  constructor(
    readonly access: ClusterAccess,
    private readonly opts: ApiClientOptions,
  ) {
    this.secure = access.server.startsWith("https:");
    this.agent = this.makeAgent(opts.maxSockets);
    this.watchAgent = this.makeAgent(Infinity);
    this.tokenFile = access.tokenFile ? new TokenFile(access.tokenFile) : undefined;
  }

  /** The client for a kubeconfig file, or for the Pod's in-cluster config when `file` is "". */
  static load(file: string, opts: ApiClientOptions): ApiClient {
    return new ApiClient(clusterAccess(file), opts);
  }

  private makeAgent(maxSockets: number): http.Agent {
    const keep = { keepAlive: true, maxSockets };
    if (!this.secure) return new http.Agent(keep);
    const { ca, cert, key, insecureSkipTLSVerify } = this.access;
    return new https.Agent({
      ...keep,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      rejectUnauthorized: insecureSkipTLSVerify !== true,
    });
  }

  get<T>(path: string, opts: CallOptions = {}): Promise<T> {
    return this.request<T>({ ...opts, method: "GET", path });
  }

  /** POST to a collection. */
  create<T>(path: string, body: unknown, opts: CallOptions = {}): Promise<T> {
    return this.request<T>({ ...opts, method: "POST", path, body });
  }

  /** PUT (with the body's metadata.resourceVersion, if any, as the precondition). */
  replace<T>(path: string, body: unknown, opts: CallOptions = {}): Promise<T> {
    return this.request<T>({ ...opts, method: "PUT", path, body });
  }

  /** A patch; `apply` (server-side apply) wants `fieldManager` (and maybe `force`) in `query`. */
  patch<T>(path: string, body: unknown, type: PatchType, opts: CallOptions = {}): Promise<T> {
    const contentType = PATCH_CONTENT_TYPE[type];
    return this.request<T>({ ...opts, method: "PATCH", path, body, contentType });
  }

  /** DELETE, with an optional DeleteOptions body (e.g. `preconditions`). */
  delete<T = unknown>(path: string, body?: unknown, opts: CallOptions = {}): Promise<T> {
    return this.request<T>({ ...opts, method: "DELETE", path, body });
  }

  /** Streams a watch of the collection at `path` (see ./watch.ts). */
  watch(path: string, query: Query, callbacks: WatchCallbacks): WatchHandle {
    return startWatch(
      { send: (method, url) => this.send(method, url, this.watchAgent), path, query },
      { deadlineMs: this.opts.deadlineMs ?? DEFAULT_DEADLINE_MS },
      callbacks,
    );
  }

  /** Closes the idle connections (a process that is about to exit). */
  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: "application/json",
      "User-Agent": this.opts.userAgent,
    };
    const token = this.tokenFile?.read(this.opts.now?.() ?? Date.now()) ?? this.access.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    return headers;
  }

  /** A request to `path`, not yet ended (the caller writes a body, or not). */
  private send(method: string, path: string, agent: http.Agent): http.ClientRequest {
    const url = new URL(this.access.server + path);
    const options = { method, agent, headers: this.headers() };
    return this.secure ? https.request(url, options) : http.request(url, options);
  }

  private request<T>(call: Request): Promise<T> {
    const what = `${call.method} ${call.path}`;
    const ms = call.deadlineMs ?? this.opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
    return new Promise<T>((resolve, reject) => {
      const req = this.send(call.method, withQuery(call.path, call.query), this.agent);
      const fail = (e: unknown): void => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      const timer = setTimeout(() => {
        fail(new DeadlineError(`${what}: no answer within ${ms} ms`));
        req.destroy();
      }, ms);
      req.on("error", fail);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", fail);
        res.on("end", () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString("utf8");
          const code = res.statusCode ?? 0;
          if (code < 200 || code > 299) reject(new ApiError(code, statusOf(text), what));
          else settle(resolve, reject, text, what);
        });
      });
      if (call.body === undefined) {
        req.end();
        return;
      }
      const payload = JSON.stringify(call.body);
      req.setHeader("Content-Type", call.contentType ?? "application/json");
      req.setHeader("Content-Length", Buffer.byteLength(payload));
      req.end(payload);
    });
  }
}

function settle<T>(
  resolve: (v: T) => void,
  reject: (e: Error) => void,
  text: string,
  what: string,
): void {
  if (text === "") {
    resolve(undefined as T);
    return;
  }
  try {
    resolve(JSON.parse(text) as T);
  } catch {
    reject(new ApiResponseError(`${what}: answer is not JSON: ${text.slice(0, 200)}`));
  }
}
