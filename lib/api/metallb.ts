/** The MetalLB API IronLB serves (metallb.io/v1beta1), as TypeScript shapes. */
import type { KubernetesObject, V1Condition } from "@kubernetes/client-node";
import type { L2AdvertisementSpec } from "../core/l2-advertisement.js";
import type { LabelSelector } from "../core/label-selector.js";

export const METALLB_GROUP = "metallb.io";
export const METALLB_API_VERSION = "metallb.io/v1beta1";
/** Annotation the controller writes on a Service: the pool its IPs came from. */
export const ALLOCATED_FROM_POOL = "metallb.io/ip-allocated-from-pool";
/** Condition type the controller sets on a Service's status. */
export const IP_ALLOCATED_CONDITION = "ironlb.io/IPAllocated";

export interface IPAddressPool extends KubernetesObject {
  spec?: {
    addresses?: string[];
    autoAssign?: boolean;
    avoidBuggyIPs?: boolean;
    serviceAllocation?: {
      priority?: number;
      namespaces?: string[];
      namespaceSelectors?: LabelSelector[];
      serviceSelectors?: LabelSelector[];
    };
  };
  status?: IPAddressPoolStatus;
}

export interface IPAddressPoolStatus {
  assignedIPv4: number;
  assignedIPv6: number;
  availableIPv4: number;
  availableIPv6: number;
  assigned: string;
  available: string;
  conditions?: V1Condition[];
}

export interface L2Advertisement extends KubernetesObject {
  spec?: {
    ipAddressPools?: string[];
    ipAddressPoolSelectors?: LabelSelector[];
    nodeSelectors?: LabelSelector[];
    interfaces?: string[];
  };
}

export interface ServiceL2Status extends KubernetesObject {
  status?: {
    node?: string;
    serviceName?: string;
    serviceNamespace?: string;
    interfaces?: { name: string }[];
  };
}

/** Collection paths for list/watch. */
export const paths = {
  services: "/api/v1/services",
  namespaces: "/api/v1/namespaces",
  nodes: "/api/v1/nodes",
  endpointSlices: "/apis/discovery.k8s.io/v1/endpointslices",
  pools: (ns: string) => `/apis/metallb.io/v1beta1/namespaces/${ns}/ipaddresspools`,
  l2Advertisements: (ns: string) => `/apis/metallb.io/v1beta1/namespaces/${ns}/l2advertisements`,
  leases: (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
  l2Statuses: (ns: string) => `/apis/metallb.io/v1beta1/namespaces/${ns}/servicel2statuses`,
} as const;

export const toL2AdvertisementSpec = (adv: L2Advertisement): L2AdvertisementSpec => ({
  name: adv.metadata?.name ?? "",
  ipAddressPools: adv.spec?.ipAddressPools,
  ipAddressPoolSelectors: adv.spec?.ipAddressPoolSelectors,
  nodeSelectors: adv.spec?.nodeSelectors,
  interfaces: adv.spec?.interfaces,
});
