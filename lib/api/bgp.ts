/** MetalLB's BGP API as IronLB serves it: BGPPeer (v1beta2), BGPAdvertisement, BFDProfile, Community. */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { LabelSelector } from "../core/label-selector.js";

export const METALLB_V1BETA2 = "metallb.io/v1beta2";

export interface BGPPeer extends KubernetesObject {
  spec?: {
    myASN?: number;
    peerASN?: number;
    peerAddress?: string;
    peerPort?: number;
    sourceAddress?: string;
    routerID?: string;
    holdTime?: string;
    keepaliveTime?: string;
    connectTime?: string;
    ebgpMultiHop?: boolean;
    enableGracefulRestart?: boolean;
    password?: string;
    passwordSecret?: { name?: string; namespace?: string };
    nodeSelectors?: LabelSelector[];
    bfdProfile?: string;
    vrf?: string;
    dualStackAddressFamily?: boolean;
    [other: string]: unknown;
  };
}

export interface BGPAdvertisement extends KubernetesObject {
  spec?: {
    ipAddressPools?: string[];
    ipAddressPoolSelectors?: LabelSelector[];
    aggregationLength?: number;
    aggregationLengthV6?: number;
    localPref?: number;
    communities?: string[];
    peers?: string[];
    nodeSelectors?: LabelSelector[];
    [other: string]: unknown;
  };
}

export interface BFDProfile extends KubernetesObject {
  spec?: {
    receiveInterval?: number;
    transmitInterval?: number;
    detectMultiplier?: number;
    echoInterval?: number;
    echoMode?: boolean;
    passiveMode?: boolean;
    minimumTtl?: number;
  };
}

export interface Community extends KubernetesObject {
  spec?: { communities?: { name?: string; value?: string }[] };
}

export interface ServiceBGPStatus extends KubernetesObject {
  status?: {
    node?: string;
    serviceName?: string;
    serviceNamespace?: string;
    peers?: string[];
  };
}

/** Collection paths for list/watch. */
export const bgpPaths = {
  peers: (ns: string) => `/apis/metallb.io/v1beta2/namespaces/${ns}/bgppeers`,
  advertisements: (ns: string) => `/apis/metallb.io/v1beta1/namespaces/${ns}/bgpadvertisements`,
  bfdProfiles: (ns: string) => `/apis/metallb.io/v1beta1/namespaces/${ns}/bfdprofiles`,
  communities: (ns: string) => `/apis/metallb.io/v1beta1/namespaces/${ns}/communities`,
  statuses: (ns: string) => `/apis/metallb.io/v1beta1/namespaces/${ns}/servicebgpstatuses`,
  secrets: (ns: string) => `/api/v1/namespaces/${ns}/secrets`,
} as const;
