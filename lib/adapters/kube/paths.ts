/** URL paths of the Kubernetes API. */

export interface ResourceLocation {
  /** "" for the core group (served under /api). */
  readonly group: string;
  readonly version: string;
  /** Lower-case plural, e.g. "services", "leases", "servicel2statuses". */
  readonly plural: string;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  /** e.g. "status". */
  readonly subresource?: string | undefined;
}

const segment = (s: string): string => encodeURIComponent(s);

/** e.g. `/apis/metallb.io/v1beta1/namespaces/ns/servicel2statuses/x/status`. */
export function resourcePath(at: ResourceLocation): string {
  let path = at.group === "" ? `/api/${at.version}` : `/apis/${at.group}/${at.version}`;
  if (at.namespace !== undefined) path += `/namespaces/${segment(at.namespace)}`;
  path += `/${at.plural}`;
  if (at.name !== undefined) path += `/${segment(at.name)}`;
  if (at.subresource !== undefined) path += `/${at.subresource}`;
  return path;
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** `path` with `query` appended (undefined values left out). */
export function withQuery(path: string, query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** RFC 3339 with microseconds, as the API's MicroTime fields (Lease times) want it. */
export const microTime = (ms: number): string =>
  new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

/** Milliseconds since the epoch of an API timestamp (RFC 3339 text), or undefined. */
export function timeMs(t: unknown): number | undefined {
  if (typeof t !== "string" && !(t instanceof Date)) return undefined;
  const ms = new Date(t).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}
