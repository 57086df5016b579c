/**
 * The dashboard (docs/grafana/ironlb.json) and the alerts (docs/prometheus/ironlb-rules.yaml)
 * read only metrics IronLB serves: checked against live /metrics scrapes of the lab's controller
 * and speakers. And the pending-Services gauge the IronLBServicesPending alert reads counts a
 * Service that gets no IP, and stops counting it when it is gone.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { apply, assertIronlbRunning, NODES, useLab } from "../support/e2e.js";
import { rootSkipReason, uniqueName, type ControlPlane } from "../support/lab.js";
import { PROMETHEUS_OWN, namedMetrics } from "../chart/dashboard-rules.js";

function scrape(netns: string, host = "127.0.0.1"): string {
  return execFileSync(
    "ip",
    ["netns", "exec", netns, "curl", "-fsS", "--max-time", "5", `http://${host}:7472/metrics`],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
}

/** The lab runs two controller replicas (test/lab/ironlb.sh): the leader's metrics. */
function scrapeController(): string {
  const texts = ["127.0.0.1", "127.0.0.2"].map((host) => scrape("ironlb-cp", host));
  const leader = texts.find((t) => /^ironlb_controller_leader 1$/m.test(t));
  assert.ok(leader, "no controller replica reports ironlb_controller_leader 1");
  return leader;
}

/** Metric families a scrape declares (`# TYPE name kind`): present even with no sample yet. */
const families = (text: string): Set<string> =>
  new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ""));

const pendingOf = (text: string): number => {
  const m = /^ironlb_controller_services_pending (\S+)$/m.exec(text);
  assert.ok(m, "no ironlb_controller_services_pending sample");
  return Number(m[1]);
};

interface SvcList {
  items: {
    metadata: { namespace: string; name: string };
    spec: { type?: string; loadBalancerClass?: string };
    status?: { loadBalancer?: { ingress?: unknown[] } };
  }[];
}

/**
 * The oracle, read from the apiserver and not from the controller: LoadBalancer Services of the
 * default class that show no IP. Other tests' leftovers may come and go meanwhile, so the gauge
 * is compared with this count taken at the same moment, not with a count taken earlier.
 */
function pendingInCluster(cp: ControlPlane): { count: number; keys: Set<string> } {
  const list = JSON.parse(cp.kubectl(["get", "services", "-A", "-o", "json"])) as SvcList;
  const pending = list.items.filter(
    (s) =>
      s.spec.type === "LoadBalancer" &&
      s.spec.loadBalancerClass === undefined &&
      (s.status?.loadBalancer?.ingress ?? []).length === 0,
  );
  return {
    count: pending.length,
    keys: new Set(pending.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)),
  };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("metrics named by the dashboard and the alerts", { skip: rootSkipReason() }, () => {
  let cp: ControlPlane;
  const ns = uniqueName("metrics");
  before(() => {
    cp = useLab();
    cp.ensureNamespace(ns);
  });
  after(() => {
    cp.kubectl(["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
    assertIronlbRunning();
  });

  test("every one is served by the lab's controller or speakers", () => {
    const served = new Set([
      ...families(scrapeController()),
      ...NODES.flatMap((n) => [...families(scrape(`ironlb-${n}`))]),
    ]);
    const named = namedMetrics();
    assert.ok(named.size >= 10, [...named.keys()].join(", "));
    const missing = [...named].filter(([n]) => !served.has(n) && !PROMETHEUS_OWN.has(n));
    assert.deepEqual(
      missing,
      [],
      "named by the dashboard or the rules, served by no IronLB process",
    );
  });

  test("ironlb_controller_services_pending counts a Service that gets no IP", async () => {
    const key = `${ns}/no-pool`;
    /** The gauge equals the cluster's count, and the count does (or does not) include ours. */
    // Scraped before and after the list, so the count cannot change in between unseen.
    const agrees = (ours: boolean) => (): boolean => {
      const gauge = pendingOf(scrapeController());
      const oracle = pendingInCluster(cp);
      return (
        oracle.keys.has(key) === ours &&
        gauge === oracle.count &&
        pendingOf(scrapeController()) === oracle.count
      );
    };
    apply(
      cp,
      `apiVersion: v1
kind: Service
metadata:
  name: no-pool
  namespace: ${ns}
  annotations: { metallb.io/address-pool: no-such-pool }
spec:
  type: LoadBalancer
  selector: { app: nothing }
  ports: [{ port: 80 }]
`,
    );
    await waitFor("the gauge to count the pool-less Service", agrees(true));
    cp.kubectl(["delete", "service", "no-pool", "-n", ns, "--wait=true"]);
    await waitFor("the gauge to stop counting it", agrees(false));
  });
});
