/** What the agent needs to know about a lab Node object. Pure. */
import type { V1Node } from "@kubernetes/client-node";
import type { NodeCandidate } from "./node-choice.js";

export interface LabNode extends NodeCandidate {
  /** spec.podCIDRs (or the older spec.podCIDR) */
  readonly podCidrs: readonly string[];
  /** InternalIP addresses, IPv4 first: the pods' hostIPs. */
  readonly internalIPs: readonly string[];
}

const v4First = (a: string, b: string): number => Number(a.includes(":")) - Number(b.includes(":"));

export function toLabNode(node: V1Node): LabNode {
  const podCidrs = node.spec?.podCIDRs?.length
    ? node.spec.podCIDRs
    : node.spec?.podCIDR
      ? [node.spec.podCIDR]
      : [];
  return {
    name: node.metadata?.name ?? "",
    labels: node.metadata?.labels ?? {},
    ready: node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    unschedulable: node.spec?.unschedulable === true,
    podCidrs,
    internalIPs: (node.status?.addresses ?? [])
      .filter((a) => a.type === "InternalIP")
      .map((a) => a.address)
      .sort(v4First),
  };
}
