/**
 * The speaker's Lease as other components read it: `speaker-<node>` in the speaker's namespace,
 * written by speaker/adapters/lease-keeper.ts and read by the controller (the membership list,
 * controller/adapters/member-publisher.ts), by a backup during a takeover and by `kubectl ironlb`.
 */
import type { V1Lease } from "@kubernetes/client-node";

export const LEASE_PREFIX = "speaker-";
/** The Lease duration in ms (the spec field has whole seconds only). */
export const DURATION_ANNOTATION = "ironlb.io/lease-duration-ms";
/** The node's MACs, comma-separated: peers tell a takeover from an address conflict by them. */
export const MACS_ANNOTATION = "ironlb.io/macs";

export interface SpeakerLease {
  readonly holder: string;
  readonly renewTime: string;
  readonly durationMs: number;
  readonly macs: readonly string[];
}

/** A renewal's identity: its renewTime as text (a Date from the client, or a string). */
const renewKey = (renew: unknown): string | undefined =>
  renew instanceof Date ? renew.toISOString() : typeof renew === "string" ? renew : undefined;

export function speakerLease(lease: V1Lease): SpeakerLease | undefined {
  const name = lease.metadata?.name ?? "";
  const holder = lease.spec?.holderIdentity;
  if (!name.startsWith(LEASE_PREFIX) || !holder) return undefined;
  const annotated = Number(lease.metadata?.annotations?.[DURATION_ANNOTATION]);
  const durationMs = annotated > 0 ? annotated : (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
  const renew: unknown = lease.spec?.renewTime;
  const macs = (lease.metadata?.annotations?.[MACS_ANNOTATION] ?? "").split(",").filter(Boolean);
  return {
    holder,
    renewTime: renewKey(renew) ?? lease.metadata?.resourceVersion ?? "",
    durationMs,
    macs,
  };
}

/** `o` without its undefined entries (exactOptionalPropertyTypes). */
const defined = <T extends object>(o: { [K in keyof T]: T[K] | undefined }): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * The Lease as a cache keeps it: identity and what `speakerLease` reads, no managedFields or
 * other annotations (the controller watches every speaker's Lease).
 */
export function slimSpeakerLease(lease: V1Lease): V1Lease {
  const m = lease.metadata ?? {};
  const s = lease.spec ?? {};
  const annotations = defined<Record<string, string>>({
    [DURATION_ANNOTATION]: m.annotations?.[DURATION_ANNOTATION],
    [MACS_ANNOTATION]: m.annotations?.[MACS_ANNOTATION],
  });
  const metadata = defined<NonNullable<V1Lease["metadata"]>>({
    ...{ name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion },
    annotations,
  });
  const spec = defined<NonNullable<V1Lease["spec"]>>({
    holderIdentity: s.holderIdentity,
    leaseDurationSeconds: s.leaseDurationSeconds,
    renewTime: s.renewTime,
  });
  return { metadata, spec };
}
