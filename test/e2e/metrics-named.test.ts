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

function scrape(netns: string): string {
  return execFileSync(
    "ip",
    ["netns", "exec", netns, "curl", "-fsS", "--max-time", "5", "http://127.0.0.1:7472/metrics"],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
}

/** Metric families a scrape declares (`# TYPE name kind`): present even with no sample yet. */
const families = (text: string): Set<string> =>
  new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ""));

const pendingOf = (text: string): number => {
  const m = /^ironlb_controller_services_pending (\S+)$/m.exec(text);
  assert.ok(m, "no ironlb_controller_services_pending sample");
  return Number(m[1]);
};

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
      ...families(scrape("ironlb-cp")),
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
    const before = pendingOf(scrape("ironlb-cp"));
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
    await waitFor("pending + 1", () => pendingOf(scrape("ironlb-cp")) === before + 1);
    cp.kubectl(["delete", "service", "no-pool", "-n", ns, "--wait=true"]);
    await waitFor("pending back", () => pendingOf(scrape("ironlb-cp")) === before);
  });
});
