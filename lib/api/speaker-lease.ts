/**
 * The speaker's Lease as other components read it: `speaker-<node>` in the speaker's namespace,
 * written by speaker/adapters/lease-keeper.ts and read by the speakers' liveness and by
 * `kubectl ironlb`.
 */
export const LEASE_PREFIX = "speaker-";
/** The Lease duration in ms (the spec field has whole seconds only). */
export const DURATION_ANNOTATION = "ironlb.io/lease-duration-ms";
/** The node's MACs, comma-separated: peers tell a takeover from an address conflict by them. */
export const MACS_ANNOTATION = "ironlb.io/macs";
