/**
 * The user's flow on the full lab, through the real kernel, kube-proxy and curl: pool + empty
 * L2Advertisement, pods, a LoadBalancer Service, and what Kubernetes documents for its options.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import type { ControlPlane } from "../support/lab.js";
import { rootSkipReason, uniqueName } from "../support/lab.js";
import {
  assertIronlbRunning,
  announcingNode,
  apply,
  clientNeighbourMacs,
  clientOf,
  curlFromClient,
  deploymentYaml,
  labCommand,
  nodeMac,
  nodeOf,
  podOf,
  urlOf,
  useLab,
  waitForIngress,
  waitReachable,
} from "../support/e2e.js";
import { eventually } from "../support/processes.js";

const skip = rootSkipReason();
const ns = uniqueName("e2e");
let cp: ControlPlane;

function serviceYaml(name: string, spec: string, annotations = ""): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
  annotations: {${annotations}}
spec:
  type: LoadBalancer
${spec}`;
}

async function answers(url: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await curlFromClient(url)) ?? "failed");
  return out;
}

describe("user flow on the lab", { skip }, () => {
  before(() => {
    cp = useLab();
    cp.ensureNamespace(ns);
    apply(
      cp,
      `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: e2e, namespace: metallb-system}
spec:
  addresses: [198.18.0.200-198.18.0.250, "2001:db8:18::200-2001:db8:18::250"]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: e2e, namespace: metallb-system}
`,
    );
    apply(cp, deploymentYaml(ns, "web", 2));
  });

  // Like a DaemonSet, restart any IronLB process that died (see docs/lab.md: a speaker dying
  // silently is a known, open defect); the test then judges the behaviour, not the crash.
  beforeEach(() => void useLab());
  afterEach(() => assertIronlbRunning()); // a crashed IronLB process fails the test it crashed in

  after(async () => {
    await cp.core.deleteNamespace({ name: ns }).catch(() => undefined);
    cp.kubectl([
      "delete",
      "-n",
      "metallb-system",
      "ipaddresspool/e2e",
      "l2advertisement/e2e",
      "--ignore-not-found",
    ]);
  });

  test("the MetalLB tutorial flow: EXTERNAL-IP answers from exactly one node", async () => {
    apply(
      cp,
      serviceYaml("web", "  selector: {app: web}\n  ports: [{port: 8090, targetPort: 80}]\n"),
    );
    const [ip = ""] = await waitForIngress(cp, ns, "web");
    assert.match(ip, /^198\.18\.0\.2\d\d$/);
    const first = await waitReachable(urlOf(ip, 8090));
    assert.match(podOf(first) ?? "", /^web-/);
    // Both pods answer once both are Ready (the second may still be starting).
    const pods = new Set<string | undefined>();
    await eventually("answers from both pods", async () => {
      for (const a of await answers(urlOf(ip, 8090), 6)) pods.add(podOf(a));
      return [...pods].filter((p) => p?.startsWith("web-")).length === 2;
    });
    const macs = clientNeighbourMacs(ip);
    assert.equal(
      macs.length,
      1,
      `one MAC in the client's neighbour table for ${ip}: ${macs.join(", ")}`,
    );
    const owner = announcingNode(ip);
    assert.ok(owner, `the MAC ${macs[0]} is one node's eth0`);
    const table = cp.kubectl(["get", "servicel2statuses", "-n", "metallb-system", "-o", "wide"]);
    assert.match(table, new RegExp(`${owner}\\s+web\\s+${ns}`));
    const pool = cp.kubectl(["get", "ipaddresspool", "-n", "metallb-system", "e2e"]);
    assert.match(pool, /e2e\s+true\s+false\s+\[.*\]\s+\d+ IPv4, \d+ IPv6\s+\d+ IPv4, \d+ IPv6/);
  });

  test("sessionAffinity: ClientIP keeps one client on one pod", async () => {
    apply(
      cp,
      serviceYaml(
        "sticky",
        "  selector: {app: web}\n  sessionAffinity: ClientIP\n  ports: [{port: 8091, targetPort: 80}]\n",
      ),
    );
    const [ip = ""] = await waitForIngress(cp, ns, "sticky");
    await waitReachable(urlOf(ip, 8091));
    const pods = new Set((await answers(urlOf(ip, 8091), 10)).map(podOf));
    assert.equal(pods.size, 1, `one pod: ${[...pods].join(", ")}`);
  });

  test("two Services share one IP on different ports via metallb.io/allow-shared-ip", async () => {
    const shared = '"metallb.io/allow-shared-ip": "e2e-key"';
    apply(
      cp,
      serviceYaml(
        "share-a",
        "  selector: {app: web}\n  ports: [{port: 8092, targetPort: 80}]\n",
        shared,
      ),
    );
    apply(
      cp,
      serviceYaml(
        "share-b",
        "  selector: {app: web}\n  ports: [{port: 8093, targetPort: 80}]\n",
        shared,
      ),
    );
    const [a = ""] = await waitForIngress(cp, ns, "share-a");
    const [b = ""] = await waitForIngress(cp, ns, "share-b");
    assert.equal(a, b);
    assert.match(await waitReachable(urlOf(a, 8092)), /pod=web-/);
    assert.match(await waitReachable(urlOf(b, 8093)), /pod=web-/);
  });

  test("a dual-stack Service answers over IPv4 and IPv6", async () => {
    apply(
      cp,
      serviceYaml(
        "dual",
        "  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv4, IPv6]\n  selector: {app: web}\n  ports: [{port: 8094, targetPort: 80}]\n",
      ),
    );
    const ips = await waitForIngress(cp, ns, "dual", 2);
    const v6 = ips.find((i) => i.includes(":")) ?? "";
    const v4 = ips.find((i) => !i.includes(":")) ?? "";
    assert.match(v6, /^2001:db8:18::2/);
    assert.match(await waitReachable(urlOf(v4, 8094)), /pod=web-/);
    assert.match(await waitReachable(urlOf(v6, 8094)), /pod=web-/);
  });

  test("externalTrafficPolicy: Local announces from a node with a pod, keeps the client IP, and moves with the pod", async () => {
    apply(cp, deploymentYaml(ns, "local", 1, { "kubernetes.io/hostname": "node2" }));
    apply(
      cp,
      serviceYaml(
        "local",
        "  externalTrafficPolicy: Local\n  selector: {app: local}\n  ports: [{port: 8095, targetPort: 80}]\n",
      ),
    );
    const [ip = ""] = await waitForIngress(cp, ns, "local");
    const answer = await waitReachable(urlOf(ip, 8095));
    assert.equal(nodeOf(answer), "node2");
    assert.match(
      clientOf(answer) ?? "",
      /^198\.18\.0\.100:/,
      "the pod sees the client's own address",
    );
    assert.equal(announcingNode(ip), "node2");
    apply(cp, deploymentYaml(ns, "local", 1, { "kubernetes.io/hostname": "node3" }));
    await eventually(
      "the announcement to follow the pod to node3",
      async () => {
        const a = await curlFromClient(urlOf(ip, 8095), 1);
        return nodeOf(a) === "node3" && announcingNode(ip) === "node3";
      },
      30_000,
    );
    assert.ok(clientNeighbourMacs(ip).includes(nodeMac("node3")));
  });

  test("a controller restart in the middle of the flow moves no IP", async () => {
    const before = cp.kubectl([
      "get",
      "svc",
      "-n",
      ns,
      "-o",
      "jsonpath={range .items[*]}{.metadata.name}={.status.loadBalancer.ingress[*].ip};{end}",
    ]);
    labCommand(["restart", "controller"]);
    apply(
      cp,
      serviceYaml(
        "after-restart",
        "  selector: {app: web}\n  ports: [{port: 8096, targetPort: 80}]\n",
      ),
    );
    await waitForIngress(cp, ns, "after-restart");
    const now = cp.kubectl([
      "get",
      "svc",
      "-n",
      ns,
      "-o",
      "jsonpath={range .items[*]}{.metadata.name}={.status.loadBalancer.ingress[*].ip};{end}",
    ]);
    for (const entry of before.split(";").filter(Boolean))
      assert.ok(now.includes(entry), `${entry} kept`);
  });
});
