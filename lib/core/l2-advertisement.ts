/**
 * L2Advertisement semantics shared by the controller (is a pool announced at all?) and the
 * speaker (which nodes and interfaces announce a pool's IPs). MetalLB's rules: an
 * advertisement with neither `ipAddressPools` nor `ipAddressPoolSelectors` covers every pool;
 * otherwise a pool is covered when named or matched by a selector. No `nodeSelectors` means every
 * node. A selector that does not parse matches nothing (and is reported by whoever validates it).
 */
import {
  type LabelSelector,
  type Labels,
  parseLabelSelector,
  selectorMatches,
} from "./label-selector.js";

export interface L2AdvertisementSpec {
  readonly name: string;
  readonly ipAddressPools?: readonly string[] | undefined;
  readonly ipAddressPoolSelectors?: readonly LabelSelector[] | undefined;
  readonly nodeSelectors?: readonly LabelSelector[] | undefined;
  readonly interfaces?: readonly string[] | undefined;
}

const anyMatches = (selectors: readonly LabelSelector[], labels: Labels): boolean =>
  selectors.some((raw) => {
    const parsed = parseLabelSelector(raw);
    return parsed.ok && selectorMatches(parsed.value, labels);
  });

export function advertisesPool(
  adv: L2AdvertisementSpec,
  pool: string,
  poolLabels: Labels,
): boolean {
  const names = adv.ipAddressPools ?? [];
  const selectors = adv.ipAddressPoolSelectors ?? [];
  if (names.length === 0 && selectors.length === 0) return true;
  return names.includes(pool) || anyMatches(selectors, poolLabels);
}

export function selectsNode(adv: L2AdvertisementSpec, nodeLabels: Labels): boolean {
  const selectors = adv.nodeSelectors ?? [];
  return selectors.length === 0 || anyMatches(selectors, nodeLabels);
}
