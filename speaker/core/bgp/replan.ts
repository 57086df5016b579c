/**
 * When this node's BGP plan must be made again. The L2 loop hands over its view on every pass
 * (a live speaker renewing, an L2-only Service changing): the BGP side plans and renders only
 * when what plan.ts reads changed - the configuration, or, of the view, the Services of pools a
 * BGPAdvertisement announces (key, IPs, pool, traffic policy), their endpoints, this node's Node
 * (labels, flags, address) and those pools' labels. Nodes other than this one and live speakers
 * never enter a BGP plan. Pure: state in memory; the result equals planBgp over the whole view.
 */
import type { BgpConfig } from "../../../lib/core/bgp-config.js";
import { advertisesPool } from "../../../lib/core/l2-advertisement.js";
import type { Labels } from "../../../lib/core/label-selector.js";
import type { ClusterView, EndpointView, NodeView, ServiceView } from "../announcements.js";
import { type BgpPlan, planBgp } from "./plan.js";

export interface BgpViewInput {
  readonly cluster: ClusterView;
  /** This node's IPv4 InternalIP, the router ID when no peer sets one. */
  readonly nodeIp: string | undefined;
}

/** The view as a BGP plan reads it; compared between passes. */
interface Relevant {
  readonly services: ReadonlyMap<string, ServiceView>;
  readonly endpoints: ReadonlyMap<string, EndpointView | undefined>;
  readonly node: NodeView | undefined;
  readonly nodeIp: string | undefined;
  /** JSON of the BGP pools' names and labels. */
  readonly pools: string;
}

const sameService = (a: ServiceView | undefined, b: ServiceView): boolean =>
  a === b ||
  (a !== undefined &&
    a.key === b.key &&
    a.pool === b.pool &&
    a.trafficPolicy === b.trafficPolicy &&
    a.ips.join() === b.ips.join());

const sameEndpoints = (a: EndpointView | undefined, b: EndpointView | undefined): boolean =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    a.hasEndpoint === b.hasEndpoint &&
    [...a.nodesWithEndpoint].sort().join() === [...b.nodesWithEndpoint].sort().join());

const sameNode = (a: NodeView | undefined, b: NodeView | undefined): boolean =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    a.networkUnavailable === b.networkUnavailable &&
    a.excludedByLabel === b.excludedByLabel &&
    JSON.stringify(a.labels) === JSON.stringify(b.labels));

function sameRelevant(a: Relevant | undefined, b: Relevant): boolean {
  if (!a || a.pools !== b.pools || a.nodeIp !== b.nodeIp || !sameNode(a.node, b.node)) return false;
  if (a.services.size !== b.services.size) return false;
  for (const [key, svc] of b.services) {
    if (!sameService(a.services.get(key), svc)) return false;
    if (!sameEndpoints(a.endpoints.get(key), b.endpoints.get(key))) return false;
  }
  return true;
}

export class BgpReplanner {
  private config: BgpConfig | undefined;
  private passwords: ReadonlyMap<string, string> = new Map();
  private configChanged = false;
  private last: Relevant | undefined;

  constructor(private readonly thisNode: string) {}

  /** A new configuration (peers, advertisements, BFD profiles, communities, Secrets). */
  setConfig(config: BgpConfig, secretPasswords: ReadonlyMap<string, string>): void {
    this.config = config;
    this.passwords = secretPasswords;
    this.configChanged = true;
  }

  /** The plan when the configuration or what it reads of `view` changed; else undefined. */
  plan(view: BgpViewInput): BgpPlan | undefined {
    const config = this.config;
    if (!config) return undefined;
    const relevant = this.relevant(view, config);
    if (!this.configChanged && sameRelevant(this.last, relevant)) return undefined;
    this.configChanged = false;
    this.last = relevant;
    const services = [...relevant.services.values()];
    const cluster = { ...view.cluster, services };
    return planBgp({ ...cluster, config, secretPasswords: this.passwords }, this.thisNode);
  }

  private relevant(view: BgpViewInput, config: BgpConfig): Relevant {
    const { cluster } = view;
    const pools = new Map<string, Labels>();
    for (const [name, labels] of cluster.poolLabels)
      if (config.advertisements.some((a) => advertisesPool(a, name, labels)))
        pools.set(name, labels);
    const services = new Map<string, ServiceView>();
    const endpoints = new Map<string, EndpointView | undefined>();
    for (const svc of cluster.services) {
      if (svc.pool === undefined || !pools.has(svc.pool)) continue;
      services.set(svc.key, svc);
      endpoints.set(svc.key, cluster.endpoints.get(svc.key));
    }
    return {
      services,
      endpoints,
      node: cluster.nodes.get(this.thisNode),
      nodeIp: view.nodeIp,
      pools: JSON.stringify([...pools].sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }
}
