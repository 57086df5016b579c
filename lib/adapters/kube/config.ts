/**
 * Where the apiserver is and how to authenticate: from a kubeconfig file (its current context)
 * or from the Pod's in-cluster ServiceAccount files. Read once, when the binary starts; only a
 * token file is read again (see TokenFile), since projected ServiceAccount tokens rotate.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { KubeConfigError } from "./errors.js";

export interface ClusterAccess {
  /** e.g. "https://10.0.0.1:6443" (no trailing slash). */
  readonly server: string;
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  readonly insecureSkipTLSVerify?: boolean | undefined;
  /** A fixed bearer token. */
  readonly token?: string | undefined;
  /** A file holding the bearer token, re-read as it rotates. */
  readonly tokenFile?: string | undefined;
  /** Where this came from, for error messages. */
  readonly source: string;
}

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

type Fields = Record<string, unknown>;

const isFields = (v: unknown): v is Fields => typeof v === "object" && v !== null;

/** The entry called `name` of a kubeconfig list (`clusters`, `users`, `contexts`). */
function entry(doc: Fields, list: string, name: string, file: string): Fields {
  const items = doc[list];
  const found = Array.isArray(items)
    ? (items as unknown[]).find((i) => isFields(i) && i.name === name)
    : undefined;
  if (!isFields(found)) throw new KubeConfigError(`${file}: ${list}: no entry named "${name}"`);
  const inner = found[list.slice(0, -1)]; // "clusters" -> "cluster"
  if (!isFields(inner)) throw new KubeConfigError(`${file}: ${list}["${name}"]: no fields`);
  return inner;
}

const text = (fields: Fields, key: string): string | undefined => {
  const v = fields[key];
  return typeof v === "string" && v !== "" ? v : undefined;
};

/** `<key>-data` (base64) or `<key>` (a path, relative to the kubeconfig's directory). */
function material(fields: Fields, key: string, file: string, where: string): Buffer | undefined {
  const data = text(fields, `${key}-data`);
  if (data) return Buffer.from(data, "base64");
  const path = text(fields, key);
  if (!path) return undefined;
  const full = isAbsolute(path) ? path : join(dirname(file), path);
  try {
    return readFileSync(full);
  } catch (e) {
    throw new KubeConfigError(`${file}: ${where}.${key}: cannot read ${full}`, { cause: e });
  }
}

/** The current context's cluster and user of the kubeconfig `file`. */
export function kubeconfigAccess(file: string): ClusterAccess {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new KubeConfigError(`${file}: not a readable kubeconfig`, { cause: e });
  }
  if (!isFields(doc)) throw new KubeConfigError(`${file}: not a kubeconfig (no fields)`);
  const current = text(doc, "current-context");
  if (!current) throw new KubeConfigError(`${file}: current-context: missing`);
  const context = entry(doc, "contexts", current, file);
  const clusterName = text(context, "cluster");
  const userName = text(context, "user");
  if (!clusterName) throw new KubeConfigError(`${file}: contexts["${current}"].cluster: missing`);
  const cluster = entry(doc, "clusters", clusterName, file);
  const server = text(cluster, "server");
  if (!server) throw new KubeConfigError(`${file}: clusters["${clusterName}"].server: missing`);
  if (!/^https?:\/\//.test(server)) {
    throw new KubeConfigError(`${file}: clusters["${clusterName}"].server: not a URL: ${server}`);
  }
  return {
    server: server.replace(/\/+$/, ""),
    ca: material(cluster, "certificate-authority", file, `clusters["${clusterName}"]`),
    insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"] === true,
    ...userAccess(doc, userName, file),
    source: file,
  };
}

/** The credentials of the kubeconfig's user `name` (none when the context names no user). */
function userAccess(doc: Fields, name: string | undefined, file: string): Partial<ClusterAccess> {
  if (!name) return {};
  const user = entry(doc, "users", name, file);
  const where = `users["${name}"]`;
  for (const unsupported of ["exec", "auth-provider", "username"]) {
    if (user[unsupported] !== undefined) {
      throw new KubeConfigError(`${file}: ${where}.${unsupported}: not supported by IronLB`);
    }
  }
  const tokenFile = text(user, "tokenFile");
  return {
    cert: material(user, "client-certificate", file, where),
    key: material(user, "client-key", file, where),
    token: text(user, "token"),
    tokenFile: tokenFile && !isAbsolute(tokenFile) ? join(dirname(file), tokenFile) : tokenFile,
  };
}

/** The Pod's own access: KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount's files. */
export function inClusterAccess(
  env: NodeJS.ProcessEnv = process.env,
  dir = SERVICE_ACCOUNT_DIR,
): ClusterAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubeConfigError(
      "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set " +
        "(or give --kubeconfig)",
    );
  }
  const caFile = join(dir, "ca.crt");
  let ca: Buffer;
  try {
    ca = readFileSync(caFile);
  } catch (e) {
    throw new KubeConfigError(`in-cluster config: cannot read ${caFile}`, { cause: e });
  }
  const tokenFile = join(dir, "token");
  new TokenFile(tokenFile).read(0); // fails now, naming the file, if there is no token
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return { server: `https://${hostPart}:${port}`, ca, tokenFile, source: "in-cluster config" };
}

/** A kubeconfig file when one is named, else the in-cluster config. */
export function clusterAccess(file: string): ClusterAccess {
  return file ? kubeconfigAccess(file) : inClusterAccess();
}

/** How often a token file is read again (kubelet rotates projected tokens well before expiry). */
export const TOKEN_REREAD_MS = 60_000;

/** A bearer token file, read again when the last read is older than TOKEN_REREAD_MS. */
export class TokenFile {
  private token = "";
  private readAt = -Infinity;

  constructor(private readonly file: string) {}

  read(nowMs: number): string {
    if (nowMs - this.readAt < TOKEN_REREAD_MS) return this.token;
    let token: string;
    try {
      token = readFileSync(this.file, "utf8").trim();
    } catch (e) {
      // A rotation in progress: keep the token we have, if any.
      if (this.token) return this.token;
      throw new KubeConfigError(`token file ${this.file}: cannot read`, { cause: e });
    }
    if (!token) throw new KubeConfigError(`token file ${this.file}: empty`);
    this.token = token;
    this.readAt = nowMs;
    return token;
  }
}
