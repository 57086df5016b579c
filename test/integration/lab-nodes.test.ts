/**
 * Lab stage 2 (test/lab/nodes.sh): three nodes as network namespaces with kube-proxy, and the lab
 * agent as scheduler + kubelet. A plain Deployment and a dual-stack NodePort Service work end to
 * end: pods get scheduled, run and turn Ready, EndpointSlices list them, the client reaches them
 * through any node's NodePort (across nodes, through kube-proxy), a node reaches the ClusterIP,
 * and deleting the Deployment removes the pods' namespaces. The nodes stay up for later tests.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AppsV1Api, DiscoveryV1Api, type V1Pod } from "@kubernetes/client-node";
import { podHash, podNetnsName } from "../lab/agent/names.js";
import {
  repoRoot,
  rootSkipReason,
  uniqueName,
  useControlPlane,
  type ControlPlane,
} from "../support/lab.js";
import { eventually } from "../support/processes.js";

const skip = rootSkipReason();
const namespace = uniqueName("it-nodes");
const nodesScript = join(repoRoot, "test/lab/nodes.sh");
const node1 = { v4: "198.18.0.11", v6: "2001:db8:18::11" } as const;
let cp: ControlPlane;
let apps: AppsV1Api;
let discovery: DiscoveryV1Api;

const inNetns = (netns: string, args: readonly string[]): string =>
  execFileSync("ip", ["netns", "exec", netns, ...args], { encoding: "utf8", timeout: 10_000 });

const curl = (netns: string, url: string): string =>
  inNetns(netns, ["curl", "-sS", "--max-time", "2", url]);

interface Reply {
  readonly pod: string;
  readonly client: string;
  readonly node: string;
}
function parseReply(line: string): Reply {
  const m = /^pod=(\S+) client=(\S+) node=(\S+)$/.exec(line.trim());
  assert.ok(m, `unexpected reply ${JSON.stringify(line)}`);
  return { pod: m[1] ?? "", client: m[2] ?? "", node: m[3] ?? "" };
}

/** Curls `url` from `netns` until every pod in `want` answered (kube-proxy picks at random). */
function repliesUntilAll(netns: string, url: string, want: ReadonlySet<string>): Reply[] {
  const replies: Reply[] = [];
  for (let i = 0; i < 40; i++) {
    replies.push(parseReply(curl(netns, url)));
    if ([...want].every((p) => replies.some((r) => r.pod === p))) break;
  }
  return replies;
}

const isReady = (p: V1Pod): boolean =>
  p.status?.phase === "Running" &&
  (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

const nodesUp = (): boolean => {
  try {
    execFileSync("bash", [nodesScript, "status"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

before(() => {
  if (skip) return;
  cp = useControlPlane();
  apps = cp.kc.makeApiClient(AppsV1Api);
  discovery = cp.kc.makeApiClient(DiscoveryV1Api);
  if (!nodesUp()) {
    execFileSync("bash", [nodesScript, "up"], { stdio: ["ignore", "ignore", "inherit"] });
  }
  cp.ensureNamespace(namespace);
});

after(async () => {
  if (skip) return;
  await cp.core.deleteNamespace({ name: namespace });
});

test("three Ready nodes with pod CIDRs, kube-proxy rules in every node namespace", { skip }, () => {
  const nodes = JSON.parse(cp.kubectl(["get", "nodes", "-o", "json"])) as {
    items: { metadata: { name: string }; spec: { podCIDRs?: string[] } }[];
  };
  const byName = new Map(nodes.items.map((n) => [n.metadata.name, n]));
  for (const n of [1, 2, 3]) {
    assert.deepEqual(byName.get(`node${n}`)?.spec.podCIDRs, [
      `198.19.${n}.0/24`,
      `2001:db8:19:${n}::/64`,
    ]);
    assert.match(inNetns(`ironlb-node${n}`, ["iptables-save", "-t", "nat"]), /-A KUBE-SERVICES/);
    assert.match(inNetns(`ironlb-node${n}`, ["ip6tables-save", "-t", "nat"]), /-A KUBE-SERVICES/);
  }
  assert.ok(existsSync("/run/netns/ironlb-client"), "client namespace");
});

test(
  "a Deployment behind a NodePort Service: scheduled, Ready, reachable across nodes, removed on delete",
  { skip, timeout: 120_000 },
  async (t) => {
    const labels = { app: "web" };
    const createdAt = Date.now();
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: "web" },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [{ name: "web", image: "lab/web", ports: [{ containerPort: 80 }] }],
            },
          },
        },
      },
    });
    const svc = await cp.core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "web" },
        spec: {
          type: "NodePort",
          ipFamilyPolicy: "PreferDualStack",
          selector: labels,
          ports: [{ port: 8090, targetPort: 80, protocol: "TCP" }],
        },
      },
    });
    const nodePort = svc.spec?.ports?.[0]?.nodePort ?? 0;
    const [clusterIP, clusterIP6] = svc.spec?.clusterIPs ?? [];

    let pods: V1Pod[] = [];
    await eventually(
      "2 Running + Ready pods",
      async () => {
        pods = (await cp.core.listNamespacedPod({ namespace, labelSelector: "app=web" })).items;
        return pods.length === 2 && pods.every(isReady);
      },
      30_000,
    );
    t.diagnostic(`Deployment create -> 2 pods Ready: ${Date.now() - createdAt} ms`);
    const podNode = new Map(pods.map((p) => [p.metadata?.name ?? "", p.spec?.nodeName ?? ""]));
    for (const p of pods) {
      const n = (p.spec?.nodeName ?? "").replace("node", "");
      assert.match(p.status?.podIP ?? "", new RegExp(`^198\\.19\\.${n}\\.\\d+$`));
      assert.equal(p.status?.podIPs?.[1]?.ip.startsWith(`2001:db8:19:${n}::`), true);
      assert.equal(p.status?.hostIP, `198.18.0.1${n}`);
    }
    assert.equal(new Set(podNode.values()).size, 2, "the two replicas are spread over two nodes");

    await eventually(
      "EndpointSlices with 2 ready endpoints per family",
      async () => {
        const slices = await discovery.listNamespacedEndpointSlice({
          namespace,
          labelSelector: "kubernetes.io/service-name=web",
        });
        const ready = (family: string): number =>
          slices.items
            .filter((s) => s.addressType === family)
            .flatMap((s) => s.endpoints)
            .filter((e) => e.conditions?.ready === true).length;
        return ready("IPv4") === 2 && ready("IPv6") === 2;
      },
      15_000,
    );
    t.diagnostic(`Deployment create -> EndpointSlices ready: ${Date.now() - createdAt} ms`);

    // kube-proxy syncs its rules at most once a second: wait until node1 answers the NodePort.
    const { v4, v6 } = node1;
    await eventually("node1 answers its NodePort", () => {
      try {
        return curl("ironlb-client", `http://${v4}:${nodePort}/`).startsWith("pod=");
      } catch {
        return false;
      }
    });
    const names = new Set(podNode.keys());
    const replies = repliesUntilAll("ironlb-client", `http://${v4}:${nodePort}/`, names);
    assert.deepEqual(
      new Set(replies.map((r) => r.pod)),
      names,
      "both pods answer node1's NodePort",
    );
    const remote = replies.filter((r) => podNode.get(r.pod) !== "node1");
    assert.ok(remote.length > 0, "some replies came from a pod on another node");
    for (const r of remote) {
      assert.equal(r.node, podNode.get(r.pod));
      assert.match(r.client, /^198\.18\.0\.11:\d+$/, "Cluster policy: masqueraded to node1");
    }
    const replies6 = repliesUntilAll("ironlb-client", `http://[${v6}]:${nodePort}/`, names);
    assert.deepEqual(new Set(replies6.map((r) => r.pod)), names, "both pods answer over IPv6");

    assert.ok(clusterIP && clusterIP6, `dual-stack clusterIPs ${svc.spec?.clusterIPs?.join(",")}`);
    assert.ok(names.has(parseReply(curl("ironlb-node1", `http://${clusterIP}:8090/`)).pod));
    assert.ok(names.has(parseReply(curl("ironlb-node1", `http://[${clusterIP6}]:8090/`)).pod));

    const netnsNames = pods.map((p) => podNetnsName(podHash(p.metadata?.uid ?? "")));
    for (const n of netnsNames) assert.ok(existsSync(`/run/netns/${n}`), `${n} exists`);
    const deletedAt = Date.now();
    await apps.deleteNamespacedDeployment({
      name: "web",
      namespace,
      propagationPolicy: "Foreground",
    });
    await eventually(
      "the pods and their namespaces are gone",
      async () => {
        const left = await cp.core.listNamespacedPod({ namespace, labelSelector: "app=web" });
        return left.items.length === 0 && netnsNames.every((n) => !existsSync(`/run/netns/${n}`));
      },
      30_000,
    );
    t.diagnostic(`Deployment delete -> pods and namespaces gone: ${Date.now() - deletedAt} ms`);
    await cp.core.deleteNamespacedService({ name: "web", namespace });
  },
);
