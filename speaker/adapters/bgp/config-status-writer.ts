/** Writes the `Valid` condition of BGP configuration objects (speaker/core/bgp/config-status.ts). */
import type { ApiClient } from "../../../lib/adapters/kube/client.js";
import { resourcePath } from "../../../lib/adapters/kube/paths.js";
import type { BgpObjectKind } from "../../../lib/core/bgp-peer.js";
import { METALLB_GROUP } from "../../../lib/api/metallb.js";
import type { ConditionPatch } from "../../core/bgp/config-status.js";

const RESOURCES: Record<BgpObjectKind, { version: string; plural: string }> = {
  BGPPeer: { version: "v1beta2", plural: "bgppeers" },
  BGPAdvertisement: { version: "v1beta1", plural: "bgpadvertisements" },
  BFDProfile: { version: "v1beta1", plural: "bfdprofiles" },
  Community: { version: "v1beta1", plural: "communities" },
};

export class ConfigStatusWriter {
  constructor(
    private readonly kc: ApiClient,
    private readonly namespace: string,
  ) {}

  /** Replaces `status.conditions` with the one condition IronLB keeps there. */
  async write(patch: ConditionPatch, now: Date): Promise<void> {
    const condition = { ...patch.condition, lastTransitionTime: now.toISOString() };
    const at = { group: METALLB_GROUP, ...RESOURCES[patch.kind], namespace: this.namespace };
    const path = resourcePath({ ...at, name: patch.name, subresource: "status" });
    await this.kc.patch(path, { status: { conditions: [condition] } }, "merge");
  }
}
