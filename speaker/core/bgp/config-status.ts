/**
 * The `Valid` condition IronLB writes on BGPPeer, BGPAdvertisement, BFDProfile and Community
 * objects, as on pools: True, or False with the first error's code as reason and every error
 * (field and value) in the message. Every speaker computes the same conditions from the same
 * objects; an object is patched only when its condition differs, so they agree without fighting.
 * Pure.
 */
import type { BgpConfigError, BgpObjectKind } from "../../../lib/core/bgp-peer.js";

export interface ValidCondition {
  readonly type: "Valid";
  readonly status: "True" | "False";
  readonly reason: string;
  readonly message: string;
}

export interface BgpObjectStatus {
  readonly kind: BgpObjectKind;
  readonly name: string;
  /** The object's current `status.conditions`. */
  readonly conditions: readonly Partial<ValidCondition>[] | undefined;
}

export interface ConditionPatch {
  readonly kind: BgpObjectKind;
  readonly name: string;
  readonly condition: ValidCondition;
}

const VALID: ValidCondition = {
  type: "Valid",
  status: "True",
  reason: "Valid",
  message: "accepted by IronLB",
};

export function validCondition(errors: readonly BgpConfigError[]): ValidCondition {
  if (errors.length === 0) return VALID;
  return {
    type: "Valid",
    status: "False",
    reason: errors[0]?.code ?? "Invalid",
    message: `not used: ${errors.map((e) => e.message).join("; ")}`,
  };
}

/** The objects whose `Valid` condition must change, with the condition they get. */
export function conditionPatches(
  objects: readonly BgpObjectStatus[],
  errors: readonly BgpConfigError[],
): ConditionPatch[] {
  const patches: ConditionPatch[] = [];
  for (const o of objects) {
    const mine = errors.filter((e) => e.kind === o.kind && e.name === o.name);
    const want = validCondition(mine);
    const have = o.conditions?.find((c) => c.type === "Valid");
    if (
      have?.status === want.status &&
      have.reason === want.reason &&
      have.message === want.message
    )
      continue;
    patches.push({ kind: o.kind, name: o.name, condition: want });
  }
  return patches;
}
