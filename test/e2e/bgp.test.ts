/**
 * BGP mode on the full lab: every eligible node's speaker drives its FRR, which announces the
 * Service IPs to the upstream router (test/lab/bgp.sh, BGPPeer applied by `make lab-up`); the
 * client behind the router, ironlb-ext, reaches them only through those routes. Checked through
 * the router's kernel and FRR and through curl: one path per eligible node, connections spread
 * over all nodes, `externalTrafficPolicy: Local`, LOCAL_PREF and communities, BFD on a node's
 * link going down, a speaker restart, a node's FRR restart under graceful restart (the lab's
 * BGPPeer has `enableGracefulRestart: true`, its router `bgp graceful-restart`), a deleted
 * Service.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import {
  applyBgpPool,
  curlFromExt,
  EXT_IP,
  EXT_NS,
  forwardingNode,
  frrFault,
  measureLinkDown,
  removeBgpPool,
  routerNextHops,
  routerPaths,
  routerSessions,
} from "../support/bgp.js";
import {
  apply,
  assertIronlbRunning,
  clientOf,
  curlFromClient,
  deploymentYaml,
  labCommand,
  urlOf,
  useLab,
  waitForIngress,
} from "../support/e2e.js";
import { rootSkipReason, uniqueName, type ControlPlane } from "../support/lab.js";
import { longestFailedStretch, startRequestLoop } from "../support/request-loop.js";
import { eventually } from "../support/processes.js";

const skip = rootSkipReason();
const ns = uniqueName("e2e-bgp");
const POOL = "e2e-bgp";
const COMMUNITIES = "e2e-bgp";
const ALIAS = "lab-tag";
const ALL = ["198.18.0.11", "198.18.0.12", "198.18.0.13"];
let cp: ControlPlane;
let webIp = "";

function serviceYaml(name: string, app: string, extra = ""): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  type: LoadBalancer
  selector: {app: ${app}}
  ports: [{port: 8090, targetPort: 80}]
${extra}`;
}

async function waitNextHops(
  ip: string,
  want: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  await eventually(
    `router next hops for ${ip} = ${want.join(",") || "none"} (now ${routerNextHops(ip).join(",")})`,
    () => routerNextHops(ip).join() === [...want].sort().join(),
    timeoutMs,
  );
}

/**
 * The first answer from the client behind the router. A path can reach the router before the
 * node's kube-proxy has the Service's rules (seen after the chaos test's apiserver restarts), so
 * one failed request is retried for up to 30 s; the path itself was checked before.
 */
async function answerFromExt(url: string): Promise<string> {
  let answer: string | undefined;
  await eventually(
    `an answer from ${url} via the router`,
    async () => {
      answer = await curlFromExt(url);
      return answer !== undefined;
    },
    30_000,
  );
  return answer ?? "";
}

describe("BGP mode on the lab", { skip }, () => {
  before(async () => {
    cp = useLab();
    // The community by its alias, as MetalLB users write it: the speakers resolve it and mark
    // the Community Valid (its status is theirs to patch).
    apply(
      cp,
      `apiVersion: metallb.io/v1beta1
kind: Community
metadata: {name: ${COMMUNITIES}, namespace: metallb-system}
spec:
  communities: [{name: ${ALIAS}, value: "64512:100"}]
`,
    );
    applyBgpPool(cp, {
      namespace: ns,
      pool: POOL,
      addresses: ["198.18.100.10-198.18.100.19"],
      advertisement: `  localPref: 150\n  communities: ["${ALIAS}"]\n`,
    });
    apply(cp, deploymentYaml(ns, "web", 3));
    apply(cp, serviceYaml("web", "web"));
    webIp = (await waitForIngress(cp, ns, "web"))[0] ?? "";
    cp.kubectl(["rollout", "status", "-n", ns, "deployment/web", "--timeout=60s"]);
  });

  beforeEach(() => void useLab());
  afterEach(() => assertIronlbRunning());
  after(() => {
    removeBgpPool(cp, ns, POOL);
    cp.kubectl([
      "delete",
      "-n",
      "metallb-system",
      `community/${COMMUNITIES}`,
      "--ignore-not-found",
    ]);
  });

  test("the router has one path per node and the client behind it gets answers", async () => {
    assert.match(webIp, /^198\.18\.100\.1\d$/);
    await waitNextHops(webIp, ALL);
    const answer = await answerFromExt(urlOf(webIp, 8090));
    assert.match(answer, /^pod=web-/);
    // The L2 client has no route to BGP-only addresses: nothing answers ARP for them.
    assert.equal(await curlFromClient(urlOf(webIp, 8090), 1), undefined);
  });

  test("30 connections from the client spread over all three nodes", async (t) => {
    await waitNextHops(webIp, ALL);
    // A path in the router's table can come before that node's kube-proxy has the Service's
    // rules: batches are sent until one has every connection answered (at most 30 s).
    let byNode = new Map<string, number>();
    let batches = 0;
    await eventually(
      "a batch of 30 connections all answered, through node1, node2 and node3",
      async () => {
        batches++;
        const answers = await Promise.all(
          Array.from({ length: 30 }, () => curlFromExt(urlOf(webIp, 8090))),
        );
        byNode = new Map<string, number>();
        for (const a of answers) {
          const node = forwardingNode(a) ?? `unknown (${a ?? "failed"})`;
          byNode.set(node, (byNode.get(node) ?? 0) + 1);
        }
        return [...byNode.keys()].sort().join() === "node1,node2,node3";
      },
      30_000,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; last batch: ${JSON.stringify([...byNode])}`);
    });
    t.diagnostic(`batch ${batches}: ${JSON.stringify([...byNode])}`);
  });

  test("the Community alias object is marked Valid by the speakers", async () => {
    await eventually("Valid=True on the Community", () => {
      const got = cp.kubectl([
        ...["get", "-n", "metallb-system", `community/${COMMUNITIES}`],
        ...["-o", 'jsonpath={.status.conditions[?(@.type=="Valid")].status}'],
      ]);
      return got.trim() === "True";
    });
  });

  test("LOCAL_PREF and the community of the BGPAdvertisement reach the router", async () => {
    await waitNextHops(webIp, ALL);
    const paths = routerPaths(webIp);
    assert.equal(paths.length, 3, JSON.stringify(paths));
    for (const p of paths) {
      assert.equal(p.locPrf, 150, JSON.stringify(p));
      assert.match(p.community?.string ?? "", /\b64512:100\b/, JSON.stringify(p));
    }
  });

  test("externalTrafficPolicy: Local is announced only from the node with a local pod", async () => {
    apply(cp, deploymentYaml(ns, "local", 1, { "kubernetes.io/hostname": "node2" }));
    apply(cp, serviceYaml("local", "local", "  externalTrafficPolicy: Local\n"));
    const [ip = ""] = await waitForIngress(cp, ns, "local");
    cp.kubectl(["rollout", "status", "-n", ns, "deployment/local", "--timeout=60s"]);
    await waitNextHops(ip, ["198.18.0.12"]);
    const answer = await answerFromExt(urlOf(ip, 8090));
    assert.equal(clientOf(answer)?.split(":")[0], EXT_IP, `source not preserved: ${answer}`);
  });

  test("a node's link down: BFD withdraws its path, the client sees at most 1 s of failures", async () => {
    // The pod runs on node2: pulling node1's cable must cost only node1's path, not the pod.
    apply(cp, deploymentYaml(ns, "pinned", 1, { "kubernetes.io/hostname": "node2" }));
    apply(cp, serviceYaml("pinned", "pinned"));
    const [ip = ""] = await waitForIngress(cp, ns, "pinned");
    cp.kubectl(["rollout", "status", "-n", ns, "deployment/pinned", "--timeout=60s"]);
    await waitNextHops(ip, ALL);
    const r = await measureLinkDown(urlOf(ip, 8090), ip, "node1");
    process.stdout.write(`# BGP link down: ${JSON.stringify(r)}\n`);
    assert.ok(r.withdrawMs <= 1000, `path via node1 withdrawn after ${r.withdrawMs} ms`);
    assert.ok(r.lastFailureMs <= 1000, `client still failing ${r.lastFailureMs} ms after`);
    assert.ok(r.failedStretchMs <= 1000, `client failed for ${r.failedStretchMs} ms in a row`);
    await waitNextHops(ip, ALL);
  });

  // The restarted speaker renders what FRR already runs, so its first frr-reload changes nothing
  // (before the rendered config was in FRR's canonical form, each reload reset the BFD session).
  test("a speaker restart does not take its path away or flap its session", async () => {
    await waitNextHops(webIp, ALL);
    const before = routerSessions().get("198.18.0.11");
    assert.equal(before?.state, "Established");
    const missing = { since: 0, longest: 0 };
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const present = routerNextHops(webIp).includes("198.18.0.11");
        const now = performance.now();
        if (!present && missing.since === 0) missing.since = now;
        if (present && missing.since !== 0) {
          missing.longest = Math.max(missing.longest, now - missing.since);
          missing.since = 0;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    labCommand(["restart", "speaker-node1"]);
    // Long enough for the new speaker to sync, plan and apply (debounced) its first config.
    await new Promise((r) => setTimeout(r, 6000));
    watching = false;
    await watch;
    assert.equal(missing.since, 0, "the path via node1 is gone after the restart");
    assert.equal(missing.longest, 0, `the path via node1 was gone for ${missing.longest} ms`);
    assert.deepEqual(routerSessions().get("198.18.0.11"), before, "the session flapped");
  });

  // Graceful restart: node1's FRR dies (every daemon, SIGKILL) and comes back from the config
  // file its speaker wrote; the router keeps node1's path, stale, meanwhile, so the flows hashed
  // to node1 keep going there and kube-proxy (untouched) keeps answering them.
  test("a node's FRR restart keeps its path at the router, stale, and the client served", async (t) => {
    await waitNextHops(webIp, ALL);
    const node1 = (): "absent" | "stale" | "fresh" => {
      const path = routerPaths(webIp).find((p) => p.nexthops?.some((h) => h.ip === ALL[0]));
      return path === undefined ? "absent" : path.stale === true ? "stale" : "fresh";
    };
    assert.equal(node1(), "fresh");
    const seen = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        seen.add(node1());
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const loop = startRequestLoop(urlOf(webIp, 8090), EXT_NS);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const faultAt = Date.now();
      frrFault("kill", "node1", "KILL");
      await new Promise((r) => setTimeout(r, 3000));
      frrFault("restart", "node1");
      await eventually("node1's path fresh again", () => node1() === "fresh", 60_000);
      await new Promise((r) => setTimeout(r, 1000));
      const stretch = longestFailedStretch(loop.samples, faultAt, Date.now() - 500);
      const after = loop.samples.filter((s) => s.at > faultAt);
      t.diagnostic(
        `requests ${after.length}, failed ${after.filter((s) => !s.ok).length}, ` +
          `longest failed stretch ${stretch} ms, router saw ${[...seen].join(",")}`,
      );
      assert.ok(!seen.has("absent"), "the router dropped node1's path");
      assert.ok(seen.has("stale"), "node1's path was never marked stale");
      assert.ok(stretch <= 1000, `the client failed for ${stretch} ms in a row`);
    } finally {
      watching = false;
      await watch;
      loop.stop();
    }
  });

  test("a deleted Service is withdrawn", async () => {
    await waitNextHops(webIp, ALL);
    cp.kubectl(["delete", "service", "-n", ns, "web"]);
    await waitNextHops(webIp, [], 15_000);
    assert.deepEqual(routerPaths(webIp), []);
  });
});
