/**
 * IP sharing (`metallb.io/allow-shared-ip`). Two Services may hold the same address only if
 * both carry the same non-empty sharing key, they use no common (protocol, port), they have the
 * same externalTrafficPolicy and, when that is Local, identical pod selectors (the address is
 * announced from a node with a local endpoint, which must serve both).
 */

export type TrafficPolicy = "Cluster" | "Local";

const SHARING_KEY = "metallb.io/allow-shared-ip";

/** What sharing needs to know about a Service. */
export interface Sharer {
  /** Undefined when the Service does not allow sharing. */
  readonly sharingKey: string | undefined;
  /** The annotation the key came from; default `metallb.io/allow-shared-ip`. */
  readonly sharingKeyField?: string | undefined;
  /** `PROTOCOL/port`, e.g. `TCP/80`. */
  readonly ports: readonly string[];
  readonly trafficPolicy: TrafficPolicy;
  /** Canonical text of the pod selector (`a=1,b=2`). */
  readonly backendKey: string;
}

/** Why `newcomer` may not join `holder` on `ip`, or undefined when it may. */
export function sharingRefusal(
  ip: string,
  holder: { readonly key: string; readonly sharer: Sharer },
  newcomer: Sharer,
): string | undefined {
  const { key, sharer } = holder;
  const where = `${ip} is used by ${key}`;
  if (sharer.sharingKey === undefined) return `${where}, which does not allow sharing`;
  if (newcomer.sharingKey === undefined) {
    return `${where}; set the same ${SHARING_KEY} ("${sharer.sharingKey}") to share`;
  }
  if (newcomer.sharingKey !== sharer.sharingKey) {
    const field = newcomer.sharingKeyField ?? SHARING_KEY;
    return `${where} with sharing key "${sharer.sharingKey}", not ${field} "${newcomer.sharingKey}"`;
  }
  const common = newcomer.ports.filter((p) => sharer.ports.includes(p));
  if (common.length > 0) return `${where}, which already uses port ${common.join(", ")}`;
  if (newcomer.trafficPolicy !== sharer.trafficPolicy) {
    return `${where} with externalTrafficPolicy ${sharer.trafficPolicy}, not ${newcomer.trafficPolicy}`;
  }
  if (sharer.trafficPolicy === "Local" && newcomer.backendKey !== sharer.backendKey) {
    return `${where} with externalTrafficPolicy Local and selector "${sharer.backendKey}", not "${newcomer.backendKey}"`;
  }
  return undefined;
}

/** The first refusal among all current holders of `ip` other than `self`. */
export function sharingRefusalAll(
  ip: string,
  holders: ReadonlyMap<string, Sharer>,
  self: string,
  newcomer: Sharer,
): string | undefined {
  for (const [key, sharer] of holders) {
    if (key === self) continue;
    const refusal = sharingRefusal(ip, { key, sharer }, newcomer);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}
