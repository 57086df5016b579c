/**
 * Names the lab agent gives to what it creates for a pod, derived from the pod's UID so that a
 * restarted agent (or `nodes.sh down`) finds them again. Linux caps interface names at 15 bytes.
 */
import { createHash } from "node:crypto";

/** Prefix of every pod network namespace; `nodes.sh down` removes all of them. */
export const POD_NETNS_PREFIX = "ironlb-pod-";

/** 10 hex digits of sha256(uid): short enough for an interface name, unique enough for a lab. */
export const podHash = (uid: string): string =>
  createHash("sha256").update(uid).digest("hex").slice(0, 10);

export const podNetnsName = (hash: string): string => `${POD_NETNS_PREFIX}${hash}`;

/**
 * The node-side end of the pod's veth pair (the pod side is always `eth0`). Named `veth…` like a
 * real CNI's, so the speaker's default exclude list (`veth*`) keeps it off pod interfaces.
 */
export const hostVethName = (hash: string): string => `veth${hash}`;

/** The network namespace of a lab node: `node1` lives in `ironlb-node1`. */
export const nodeNetnsName = (node: string): string => `ironlb-${node}`;
