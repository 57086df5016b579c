/**
 * ServiceBGPStatus (MetalLB's shape: node, serviceName, serviceNamespace, peers): one record per
 * Service and announcing node, written by that node's speaker. Level-based: what this node
 * announces against the records under its label; the difference is the writes. Pure.
 */
export interface BgpStatusRecord {
  readonly name: string;
  /** `namespace/name` */
  readonly service: string;
  readonly peers: readonly string[];
}

export type BgpStatusAction =
  | {
      readonly op: "create" | "update";
      readonly service: string;
      readonly peers: readonly string[];
    }
  | { readonly op: "delete"; readonly name: string };

const same = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Writes that make this node's records say `announcing` (service -> sorted peer names). */
export function bgpStatusActions(
  announcing: ReadonlyMap<string, readonly string[]>,
  records: readonly BgpStatusRecord[],
): BgpStatusAction[] {
  const actions: BgpStatusAction[] = [];
  const recorded = new Map<string, BgpStatusRecord>();
  for (const r of records) {
    if (recorded.has(r.service) || !announcing.has(r.service))
      actions.push({ op: "delete", name: r.name });
    else recorded.set(r.service, r);
  }
  for (const [service, peers] of announcing) {
    const r = recorded.get(service);
    if (!r) actions.push({ op: "create", service, peers });
    else if (!same([...r.peers].sort(), peers)) actions.push({ op: "update", service, peers });
  }
  return actions;
}
