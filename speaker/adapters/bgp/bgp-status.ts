/** ServiceBGPStatus records of this node (speaker namespace), written from bgpStatusActions. */
import { createHash } from "node:crypto";
import type { ApiClient } from "../../../lib/adapters/kube/client.js";
import { resourcePath } from "../../../lib/adapters/kube/paths.js";
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

const resource = {
  group: METALLB_GROUP,
  version: "v1beta1",
  plural: "servicebgpstatuses",
} as const;
const codeOf = (e: unknown): number | undefined => (e as { code?: number }).code;

export class BgpStatusWriter {
  constructor(
    private readonly kc: ApiClient,
    private readonly namespace: string,
    private readonly node: string,
  ) {}

  private path(name?: string, subresource?: string): string {
    return resourcePath({ ...resource, namespace: this.namespace, name, subresource });
  }

  async execute(action: BgpStatusAction): Promise<void> {
    if (action.op === "delete") {
      try {
        await this.kc.delete(this.path(action.name));
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
          namespace: this.namespace,
          labels: {
            [BGP_STATUS_LABELS.node]: this.node,
            [BGP_STATUS_LABELS.serviceName]: serviceName,
            [BGP_STATUS_LABELS.serviceNamespace]: serviceNamespace,
          },
        },
      };
      try {
        await this.kc.create(this.path(), body);
      } catch (e) {
        if (codeOf(e) !== 409) throw e; // made by an earlier pass whose status write failed
      }
    }
    const status = { node: this.node, serviceName, serviceNamespace, peers: action.peers };
    await this.kc.patch(this.path(name, "status"), { status }, "merge");
  }
}
