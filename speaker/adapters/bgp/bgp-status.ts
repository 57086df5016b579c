/** ServiceBGPStatus records of this node (speaker namespace), written from bgpStatusActions. */
import { createHash } from "node:crypto";
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from "@kubernetes/client-node";
import type { ServiceBGPStatus } from "../../../lib/api/bgp.js";
import { METALLB_GROUP } from "../../../lib/api/metallb.js";
import type { BgpStatusAction, BgpStatusRecord } from "../../core/bgp/status-plan.js";
import { L2_STATUS_LABELS } from "../speaker-status.js";

/** The same labels as ServiceL2Status: node, service name and namespace. */
export const BGP_STATUS_LABELS = L2_STATUS_LABELS;

/** Deterministic, DNS-safe, unique per node and Service. */
export function bgpStatusName(node: string, service: string): string {
  const hash = createHash("sha256").update(`${node}#${service}`).digest("hex").slice(0, 10);
  const name = service.split("/")[1] ?? service;
  return `bgp-${node.slice(0, 40)}-${name.slice(0, 40)}-${hash}`.toLowerCase();
}

/** This node's records among all ServiceBGPStatus objects. */
export function nodeRecords(objs: readonly ServiceBGPStatus[], node: string): BgpStatusRecord[] {
  return objs.flatMap((o) => {
    const labels = o.metadata?.labels ?? {};
    if (labels[BGP_STATUS_LABELS.node] !== node) return [];
    const ns = o.status?.serviceNamespace ?? labels[BGP_STATUS_LABELS.serviceNamespace];
    const name = o.status?.serviceName ?? labels[BGP_STATUS_LABELS.serviceName];
    return [
      { name: o.metadata?.name ?? "", service: `${ns}/${name}`, peers: o.status?.peers ?? [] },
    ];
  });
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const resource = {
  group: METALLB_GROUP,
  version: "v1beta1",
  plural: "servicebgpstatuses",
} as const;
const codeOf = (e: unknown): number | undefined => (e as { code?: number }).code;

export class BgpStatusWriter {
  private readonly custom: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly node: string,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async execute(action: BgpStatusAction): Promise<void> {
    const ns = this.namespace;
    if (action.op === "delete") {
      try {
        await this.custom.deleteNamespacedCustomObject({
          ...resource,
          namespace: ns,
          name: action.name,
        });
      } catch (e) {
        if (codeOf(e) !== 404) throw e;
      }
      return;
    }
    const [serviceNamespace = "", serviceName = ""] = action.service.split("/");
    const name = bgpStatusName(this.node, action.service);
    if (action.op === "create") {
      const body: ServiceBGPStatus = {
        apiVersion: `${METALLB_GROUP}/v1beta1`,
        kind: "ServiceBGPStatus",
        metadata: {
          name,
          namespace: ns,
          labels: {
            [BGP_STATUS_LABELS.node]: this.node,
            [BGP_STATUS_LABELS.serviceName]: serviceName,
            [BGP_STATUS_LABELS.serviceNamespace]: serviceNamespace,
          },
        },
      };
      try {
        await this.custom.createNamespacedCustomObject({ ...resource, namespace: ns, body });
      } catch (e) {
        if (codeOf(e) !== 409) throw e; // made by an earlier pass whose status write failed
      }
    }
    const status = { node: this.node, serviceName, serviceNamespace, peers: action.peers };
    await this.custom.patchNamespacedCustomObjectStatus(
      { ...resource, namespace: ns, name, body: { status } },
      mergePatch,
    );
  }
}
