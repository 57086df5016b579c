/**
 * IPv6 neighbour discovery on the full lab, through the client's own kernel: an IPv6-only
 * LoadBalancer Service, resolved once, then re-checked the way a router re-checks a STALE entry
 * (RFC 4861 7.3.3: a unicast Neighbor Solicitation to the cached MAC and the VIP). The owner
 * answers it, so the entry turns REACHABLE again instead of FAILED (MetalLB issue 2920: traffic
 * lost every 30 minutes on switches that probe this way). The owner's eth0 is in the VIP's
 * solicited-node group; the other nodes' are not.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, afterEach, before, describe, test } from "node:test";
import type { ControlPlane } from "../support/lab.js";
import { rootSkipReason, uniqueName } from "../support/lab.js";
import {
  CLIENT_NS,
  NODES,
  announcingNode,
  apply,
  assertIronlbRunning,
  deploymentYaml,
  nodeMac,
  urlOf,
  useLab,
  waitForIngress,
  waitReachable,
} from "../support/e2e.js";
import {
  FAST_UNICAST_PROBE,
  forceUnicastProbe,
  setNeighborSettings,
} from "../support/neighbor-probe.js";

const skip = rootSkipReason();
const ns = uniqueName("e2e-ndp");
const POOL = "e2e-ndp";
// One address of the lab's IPv6 segment, outside the other tests' pools; its solicited-node
// group (RFC 4291 2.7.1, written by hand) and that group's MAC.
const VIP = "2001:db8:18::2a0";
const GROUP = { ip: "ff02::1:ff00:2a0", mac: "33:33:ff:00:02:a0" };
const PORT = 8096;
let cp: ControlPlane;
let clientSettings: Record<string, string> | undefined;

const groupsOf = (node: string): string =>
  execFileSync("ip", ["-n", `ironlb-${node}`, "maddr", "show", "dev", "eth0"], {
    encoding: "utf8",
  });
const inGroup = (node: string): boolean => {
  const shown = groupsOf(node);
  return shown.includes(`inet6 ${GROUP.ip}\n`) && shown.includes(`link  ${GROUP.mac}\n`);
};

describe("IPv6 neighbour discovery on the lab", { skip }, () => {
  before(() => {
    cp = useLab();
    cp.ensureNamespace(ns);
    apply(
      cp,
      `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: ${POOL}, namespace: metallb-system}
spec: {addresses: ["${VIP}/128"], serviceAllocation: {namespaces: [${ns}]}}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: ${POOL}, namespace: metallb-system}
spec: {ipAddressPools: [${POOL}]}
`,
    );
    apply(cp, deploymentYaml(ns, "web", 1));
    clientSettings = setNeighborSettings(CLIENT_NS, "eth0", FAST_UNICAST_PROBE);
  });

  afterEach(() => assertIronlbRunning());

  after(async () => {
    if (clientSettings) setNeighborSettings(CLIENT_NS, "eth0", clientSettings);
    await cp.core.deleteNamespace({ name: ns }).catch(() => undefined);
    cp.kubectl([
      "delete",
      "-n",
      "metallb-system",
      `ipaddresspool/${POOL}`,
      `l2advertisement/${POOL}`,
      "--ignore-not-found",
    ]);
  });

  test("the owner answers the client's unicast NS; the entry goes REACHABLE, not FAILED", async (t) => {
    apply(
      cp,
      `apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  type: LoadBalancer
  ipFamilyPolicy: SingleStack
  ipFamilies: [IPv6]
  selector: {app: web}
  ports: [{port: ${PORT}, targetPort: 80}]
`,
    );
    const [ip] = await waitForIngress(cp, ns, "web");
    assert.equal(ip, VIP);
    assert.match(await waitReachable(urlOf(VIP, PORT)), /pod=web-/);
    const owner = announcingNode(VIP);
    assert.ok(owner, `the client resolved ${VIP} to a node's eth0`);
    for (const node of NODES) {
      assert.equal(inGroup(node), node === owner, `${GROUP.ip} on ${node}:\n${groupsOf(node)}`);
    }
    // Let the gratuitous advertisements (every 1.1 s for 5 s) end: none may confirm the entry.
    await new Promise((resolve) => setTimeout(resolve, 5500));
    const mac = nodeMac(owner);
    const probe = await forceUnicastProbe(CLIENT_NS, "eth0", { ip: VIP, mac });
    t.diagnostic(`owner ${owner}; client states: ${probe.states.join(" -> ")}`);
    const seen = probe.capture.join("\n");
    assert.equal(probe.final, "REACHABLE", `client states: ${probe.states.join(" -> ")}`);
    assert.ok(probe.solicitor, `a unicast NS to ${mac} for ${VIP}:\n${seen}`);
    assert.ok(probe.answered, `a unicast NA with S and O set to ${probe.solicitor}:\n${seen}`);
    assert.match(await waitReachable(urlOf(VIP, PORT), 5000), /pod=web-/);
  });
});
