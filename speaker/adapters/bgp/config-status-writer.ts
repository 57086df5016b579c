/** Writes the `Valid` condition of BGP configuration objects (speaker/core/bgp/config-status.ts). */
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from "@kubernetes/client-node";
import type { BgpObjectKind } from "../../../lib/core/bgp-peer.js";
import { METALLB_GROUP } from "../../../lib/api/metallb.js";
import type { ConditionPatch } from "../../core/bgp/config-status.js";

const RESOURCES: Record<BgpObjectKind, { version: string; plural: string }> = {
  BGPPeer: { version: "v1beta2", plural: "bgppeers" },
  BGPAdvertisement: { version: "v1beta1", plural: "bgpadvertisements" },
  BFDProfile: { version: "v1beta1", plural: "bfdprofiles" },
  Community: { version: "v1beta1", plural: "communities" },
};
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class ConfigStatusWriter {
  private readonly custom: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** Replaces `status.conditions` with the one condition IronLB keeps there. */
  async write(patch: ConditionPatch, now: Date): Promise<void> {
    const condition = { ...patch.condition, lastTransitionTime: now.toISOString() };
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: METALLB_GROUP,
        ...RESOURCES[patch.kind],
        namespace: this.namespace,
        name: patch.name,
        body: { status: { conditions: [condition] } },
      },
      mergePatch,
    );
  }
}
