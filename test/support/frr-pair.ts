/**
 * Two FRR instances (test/lab/frr.sh) on one bridge in throwaway namespaces: a "node" running
 * what the speaker renders, applied with its FRR adapter, and a "router" with BGP and BFD
 * 100 ms x 3 towards it (iBGP, AS 64512). For integration tests of the rendered configuration.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { PeerSpec } from "../../lib/core/bgp-peer.js";
import { Frr } from "../../speaker/adapters/bgp/frr.js";
import { renderFrrConfig } from "../../speaker/core/bgp/frr-config.js";
import { FRR_RELOAD, FRR_SCRIPT, removeFrrTestbed } from "./frr.js";
import { NetnsLab } from "./netns.js";

const run = promisify(execFile);
export const NODE = "198.18.0.11";
export const ROUTER = "198.18.0.254";

/** The router's config: BFD profile `fast` and the node as iBGP neighbor, plus `extra` lines. */
export const routerConf = (extra: readonly string[] = []): string => `frr defaults datacenter
bfd
 profile fast
  detect-multiplier 3
  receive-interval 100
  transmit-interval 100
 exit
exit
router bgp 64512
 bgp router-id ${ROUTER}
${extra.map((l) => ` ${l}\n`).join("")} neighbor ${NODE} remote-as internal
 neighbor ${NODE} bfd profile fast
 neighbor ${NODE} timers connect 1
exit
`;

/** The node's BGPPeer for the router, validated (BFD profile `fast`). */
export const routerPeer = (over: Partial<PeerSpec> = {}): PeerSpec => ({
  name: "router",
  myASN: 64512,
  peerASN: 64512,
  address: ROUTER,
  port: 179,
  sourceAddress: undefined,
  routerID: undefined,
  holdTime: 90,
  keepaliveTime: 30,
  connectTime: 1,
  ebgpMultiHop: false,
  password: { from: "none" },
  nodeSelectors: [],
  bfdProfile: "fast",
  dualStack: false,
  gracefulRestart: false,
  ...over,
});

/** The node's config as the speaker renders it, announcing each of `vips` as a /32 to `peer`. */
export function nodeConfig(vips: readonly string[], peer: PeerSpec = routerPeer()): string {
  const routes = vips.map((ip) => ({
    prefix: `${ip}/32`,
    family: "IPv4" as const,
    localPref: undefined,
    communities: [],
  }));
  const profile = {
    name: "fast",
    receiveInterval: 100,
    transmitInterval: 100,
    detectMultiplier: 3,
    echoInterval: undefined,
    echoMode: false,
    passiveMode: false,
    minimumTtl: undefined,
  };
  return renderFrrConfig({
    node: "node1",
    nodeIp: NODE,
    bfdProfiles: new Map([["fast", profile]]),
    plan: {
      asn: 64512,
      routerId: undefined,
      peers: [{ peer, password: undefined, routes }],
      services: new Map(),
      notAnnounced: new Map(),
      errors: [],
    },
  });
}

export class FrrPair {
  readonly net = new NetnsLab();
  readonly base: string;
  readonly nodeDir: string;
  readonly routerDir: string;
  nodeNs = "";
  /** The node's interface on the bridge. */
  nodeIf = "";
  private readonly dirs: string[] = [];

  /** `skip`: not root; nothing is created. */
  constructor(skip: boolean) {
    this.base = skip ? "" : mkdtempSync(join(tmpdir(), `${this.net.prefix}-frr-`));
    if (!skip) chmodSync(this.base, 0o755); // FRR's daemons run as user frr
    this.nodeDir = join(this.base, "node");
    this.routerDir = join(this.base, "router");
  }

  /** Namespaces, bridge, and both FRRs: the router with `routerConfig`, the node empty. */
  async start(routerConfig: string): Promise<void> {
    const sw = this.net.addNamespace("sw");
    this.net.addBridge(sw);
    const router = this.net.addNamespace("r");
    this.nodeNs = this.net.addNamespace("n1");
    this.net.attach(router, { bridgeNs: sw }, [`${ROUTER}/24`]);
    this.nodeIf = this.net.attach(this.nodeNs, { bridgeNs: sw }, [`${NODE}/24`]).iface;
    writeFileSync(join(this.base, "router.conf"), routerConfig);
    this.dirs.push(this.routerDir, this.nodeDir);
    await Promise.all([
      run("bash", [FRR_SCRIPT, "start", router, this.routerDir, join(this.base, "router.conf")]),
      run("bash", [FRR_SCRIPT, "start", this.nodeNs, this.nodeDir]), // empty, as the speaker's
    ]);
  }

  /** The node's FRR adapter, as a speaker (a new one: as a restarted speaker) builds it. */
  nodeFrr(): Frr {
    return new Frr({
      paths: {
        config: join(this.nodeDir, "frr.conf"),
        vtySocket: join(this.nodeDir, "run"),
        reload: FRR_RELOAD,
        vtysh: "vtysh",
      },
    });
  }

  async remove(): Promise<void> {
    await removeFrrTestbed(this.dirs, this.net, this.base);
  }
}
