/**
 * The speaker's BGP side. Its own watches (BGPPeers, BGPAdvertisements, BFDProfiles,
 * Communities, Secrets, IPAddressPools and ServiceBGPStatuses of the speaker namespace) and the
 * cluster view the L2 loop hands over on every pass feed one pass: validate the configuration
 * when an object changed, plan what this node announces to which peer only when an input of the
 * plan changed (speaker/core/bgp/replan.ts), render the FRR configuration and hand it to FRR
 * (debounced, checked, last good kept). Sessions are read back from FRR every few seconds into
 * metrics and ServiceBGPStatus.
 */
import type { V1Node, V1Secret } from "@kubernetes/client-node";
import type { ApiClient } from "../../../lib/adapters/kube/client.js";
import {
  type BFDProfile,
  type BGPAdvertisement,
  type BGPPeer,
  bgpPaths,
  type Community,
  METALLB_V1BETA2,
  type ServiceBGPStatus,
} from "../../../lib/api/bgp.js";
import { type IPAddressPool, METALLB_API_VERSION, paths } from "../../../lib/api/metallb.js";
import { k8sSource, type ResourceRef } from "../../../lib/adapters/k8s-source.js";
import type { Logger } from "../../../lib/adapters/logger.js";
import { describe, Reflector } from "../../../lib/adapters/reflector.js";
import { type BgpConfig, bgpConfig } from "../../../lib/core/bgp-config.js";
import { parseIp } from "../../../lib/core/ip.js";
import type { ClusterView } from "../../core/announcements.js";
import { renderFrrConfig } from "../../core/bgp/frr-config.js";
import { parseNeighbors, type SessionState } from "../../core/bgp/neighbors.js";
import type { BgpPlan } from "../../core/bgp/plan.js";
import { BgpReplanner } from "../../core/bgp/replan.js";
import { bgpStatusActions } from "../../core/bgp/status-plan.js";
import { type BgpObjectStatus, conditionPatches } from "../../core/bgp/config-status.js";
import type { BgpConfigError } from "../../../lib/core/bgp-peer.js";
import type { ConfigStatusWriter } from "./config-status-writer.js";
import type { BgpMetrics } from "./bgp-metrics.js";
import { type BgpStatusWriter, nodeRecords } from "./bgp-status.js";
import type { Frr } from "./frr.js";

export interface BgpSpeakerOptions {
  readonly kc: ApiClient;
  readonly node: string;
  readonly namespace: string;
  readonly log: Logger;
  readonly frr: Frr;
  readonly status: BgpStatusWriter;
  readonly configStatus: ConfigStatusWriter;
  readonly metrics: BgpMetrics;
  /** How often sessions are read from FRR. */
  readonly pollMs?: number;
}

type Obj = { metadata?: { name?: string; namespace?: string } };
type ConfigObject = Obj & { status?: { conditions?: BgpObjectStatus["conditions"] } };

/** This node's IPv4 InternalIP (else any InternalIP): the router ID when no peer sets one. */
export function nodeIp(node: V1Node | undefined): string | undefined {
  const ips = (node?.status?.addresses ?? []).filter((a) => a.type === "InternalIP");
  return (ips.find((a) => parseIp(a.address)?.family === "IPv4") ?? ips[0])?.address;
}

function secretPasswords(secrets: readonly V1Secret[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of secrets) {
    const data = s.data?.password;
    if (s.metadata?.name && data) out.set(s.metadata.name, Buffer.from(data, "base64").toString());
  }
  return out;
}

export class BgpSpeaker {
  private readonly reflectors: Reflector<Obj>[] = [];
  private readonly peers: Reflector<BGPPeer>;
  private readonly advertisements: Reflector<BGPAdvertisement>;
  private readonly bfdProfiles: Reflector<BFDProfile>;
  private readonly communities: Reflector<Community>;
  private readonly secrets: Reflector<V1Secret>;
  private readonly statuses: Reflector<ServiceBGPStatus>;
  /** For the aggregation lengths' check (lib/core/bgp-aggregation.ts). */
  private readonly pools: Reflector<IPAddressPool>;
  private view: { cluster: ClusterView; nodeIp: string | undefined } | undefined;
  private readonly replanner: BgpReplanner;
  /** A configuration object changed since the last pass: validate again. */
  private configChanged = true;
  private config: BgpConfig | undefined;
  private plan: BgpPlan | undefined;
  private sessions: ReadonlyMap<string, SessionState> = new Map();
  private lastErrors = "";
  private scheduled = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly statusWrites = new Set<string>();

  constructor(private readonly opts: BgpSpeakerOptions) {
    const namespace = opts.namespace;
    this.replanner = new BgpReplanner(opts.node);
    const ref = (kind: string, path: string, apiVersion = METALLB_API_VERSION): ResourceRef => ({
      apiVersion,
      kind,
      path,
      namespace,
    });
    this.peers = this.reflect(ref("BGPPeer", bgpPaths.peers(namespace), METALLB_V1BETA2));
    this.advertisements = this.reflect(ref("BGPAdvertisement", bgpPaths.advertisements(namespace)));
    this.bfdProfiles = this.reflect(ref("BFDProfile", bgpPaths.bfdProfiles(namespace)));
    this.communities = this.reflect(ref("Community", bgpPaths.communities(namespace)));
    this.secrets = this.reflect(ref("Secret", bgpPaths.secrets(namespace), "v1"));
    this.statuses = this.reflect(ref("ServiceBGPStatus", bgpPaths.statuses(namespace)), false);
    this.pools = this.reflect(ref("IPAddressPool", paths.pools(namespace)));
  }

  /** `config`: the objects enter the plan (ServiceBGPStatuses only the status sync). */
  private reflect<T extends Obj>(ref: ResourceRef, config = true): Reflector<T> {
    const changed = (): void => {
      if (config) this.configChanged = true;
      this.schedule();
    };
    const reflector = new Reflector<T>({
      name: ref.kind.toLowerCase(),
      source: k8sSource<T & { apiVersion?: string; kind?: string }>(this.opts.kc, ref),
      log: this.opts.log.child({ op: "reflector" }),
      handler: { onEvent: changed, onSynced: changed },
    });
    this.reflectors.push(reflector);
    return reflector;
  }

  start(): void {
    for (const r of this.reflectors) r.start();
    const poll = (): void => {
      void this.poll().finally(() => {
        if (this.pollTimer) this.pollTimer = setTimeout(poll, this.opts.pollMs ?? 5000);
      });
    };
    this.pollTimer = setTimeout(poll, this.opts.pollMs ?? 5000);
  }

  stop(): void {
    for (const r of this.reflectors) r.stop();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.opts.frr.stop();
  }

  ready(): true | string {
    const waiting = this.reflectors.filter((r) => !r.synced).length;
    return waiting === 0 ? true : `${waiting} BGP watches not synced yet`;
  }

  /** The L2 loop's latest view of Services, endpoints, Nodes and pools. */
  setView(cluster: ClusterView, nodes: readonly V1Node[]): void {
    const self = nodes.find((n) => n.metadata?.name === this.opts.node);
    this.view = { cluster, nodeIp: nodeIp(self) };
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.recompute();
      } catch (e) {
        this.opts.log.error("BGP pass failed; FRR keeps its configuration", { err: describe(e) });
      }
    });
  }

  /** Validates the configuration when it changed; plans and renders only when an input did. */
  private recompute(): void {
    const view = this.view;
    if (!view || this.ready() !== true) return;
    if (this.configChanged || !this.config) this.revalidate();
    const config = this.config;
    const plan = this.replanner.plan(view);
    if (!config) return;
    if (plan) {
      this.plan = plan;
      const text = renderFrrConfig({
        node: this.opts.node,
        plan,
        nodeIp: view.nodeIp,
        bfdProfiles: config.bfdProfiles,
      });
      this.opts.frr.apply(text);
    }
    this.reportErrors([...config.errors, ...(this.plan?.errors ?? [])].map((e) => e.message));
    // Every pass (few objects): a condition write that failed is retried.
    this.syncConditions(config.errors);
    this.syncStatus();
  }

  private revalidate(): void {
    this.configChanged = false;
    const config = bgpConfig({
      namespace: this.opts.namespace,
      peers: this.peers.items(),
      advertisements: this.advertisements.items(),
      bfdProfiles: this.bfdProfiles.items(),
      communities: this.communities.items(),
      pools: this.pools.items().map((p) => ({
        name: p.metadata?.name ?? "",
        labels: p.metadata?.labels ?? {},
        addresses: p.spec?.addresses ?? [],
      })),
    });
    this.config = config;
    this.replanner.setConfig(config, secretPasswords(this.secrets.items()));
  }

  private reportErrors(messages: readonly string[]): void {
    const key = messages.join("\n");
    if (key === this.lastErrors) return;
    this.lastErrors = key;
    for (const m of messages) this.opts.log.warn(`BGP configuration refused: ${m}`);
  }

  /** The `Valid` condition of each configuration object (only where it changes). */
  private syncConditions(errors: readonly BgpConfigError[]): void {
    const of = (kind: BgpObjectStatus["kind"], items: readonly ConfigObject[]): BgpObjectStatus[] =>
      items.map((o) => ({ kind, name: o.metadata?.name ?? "", conditions: o.status?.conditions }));
    const objects = [
      ...of("BGPPeer", this.peers.items()),
      ...of("BGPAdvertisement", this.advertisements.items()),
      ...of("BFDProfile", this.bfdProfiles.items()),
      ...of("Community", this.communities.items()),
    ];
    for (const patch of conditionPatches(objects, errors)) {
      const key = `${patch.kind}/${patch.name}/${patch.condition.message}`;
      if (this.statusWrites.has(key)) continue;
      this.statusWrites.add(key);
      this.opts.configStatus
        .write(patch, new Date())
        .catch((e: unknown) =>
          this.opts.log.warn("status write failed", { op: patch.kind, err: describe(e) }),
        )
        .finally(() => this.statusWrites.delete(key));
    }
  }

  private async poll(): Promise<void> {
    const shown = await this.opts.frr.show("show bgp neighbors json");
    this.sessions = shown.code === 0 ? parseNeighbors(shown.output) : new Map();
    const peers = (this.plan?.peers ?? []).map((p) => p.peer.address);
    this.opts.metrics.setSessions(peers, this.sessions);
    this.syncStatus();
  }

  /** ServiceBGPStatus: the Services this node announces, each to the peers whose session is up. */
  private syncStatus(): void {
    if (!this.plan || this.ready() !== true) return;
    const up = new Set(
      this.plan.peers.filter((p) => this.sessions.get(p.peer.address)?.up).map((p) => p.peer.name),
    );
    const announcing = new Map<string, string[]>();
    for (const [svc, peers] of this.plan.services) {
      const live = peers.filter((p) => up.has(p));
      if (live.length > 0) announcing.set(svc, live);
    }
    const records = nodeRecords(this.statuses.items(), this.opts.node);
    for (const action of bgpStatusActions(announcing, records)) {
      const key = action.op === "delete" ? action.name : action.service;
      if (this.statusWrites.has(key)) continue;
      this.statusWrites.add(key);
      this.opts.status
        .execute(action)
        .catch((e: unknown) =>
          this.opts.log.warn("ServiceBGPStatus write failed", { op: action.op, err: describe(e) }),
        )
        .finally(() => this.statusWrites.delete(key));
    }
  }
}
