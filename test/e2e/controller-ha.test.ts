/**
 * Controller HA on the lab (two replicas, Lease 2 s / renew deadline 1 s / retry 0.25 s, see
 * test/lab/ironlb.sh): 50 Services hold IPs; the leader is killed with SIGKILL (no release, so
 * the standby must wait for the Lease to expire); a Service created right after gets its IP
 * within 5 s, and none of the 50 IPs moved. The killed replica is restarted afterwards, with
 * "controller" the leader again as the lab keeps it, also when the test fails.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoordinationV1Api, type V1Service } from "@kubernetes/client-node";
import {
  apply,
  applyNamespacePool,
  assertIronlbRunning,
  ingressIps,
  labCommand,
  removeNamespacePool,
  useLab,
} from "../support/e2e.js";
import { labDir, rootSkipReason, uniqueName, type ControlPlane } from "../support/lab.js";
import { eventually } from "../support/processes.js";

const COUNT = 50;
const POOL = "e2e-ha";
/** Outside the L2 segment, Services without endpoints: the test needs assignments, not traffic. */
const ADDRESSES = "198.18.96.0/26";
const LEASE = { name: "ironlb-controller", namespace: "metallb-system" };
const BUDGET_MS = 5_000;
const ns = uniqueName("e2e-ha");
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const serviceYaml = (name: string): string => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  type: LoadBalancer
  ports: [{port: 80, targetPort: 80}]
`;

describe("controller leader handover on the lab", { skip: rootSkipReason() }, () => {
  let cp: ControlPlane;
  let killed: string | undefined;

  const assigned = async (): Promise<Map<string, string>> => {
    const list = await cp.core.listNamespacedService({ namespace: ns });
    return new Map(
      list.items.map((s: V1Service) => [s.metadata?.name ?? "", ingressIps(s).join(",")]),
    );
  };
  const holder = async (): Promise<string> => {
    const lease = await cp.kc.makeApiClient(CoordinationV1Api).readNamespacedLease(LEASE);
    return lease.spec?.holderIdentity ?? "";
  };

  before(async () => {
    cp = useLab();
    applyNamespacePool(cp, ns, POOL, [ADDRESSES]);
    const names = Array.from({ length: COUNT }, (_, i) => `svc-${i}`);
    apply(cp, names.map(serviceYaml).join("---\n"));
    await eventually(
      `${COUNT} Services with an IP`,
      async () => [...(await assigned()).values()].filter(Boolean).length === COUNT,
      60_000,
    );
  });

  after(() => {
    // The killed replica back, and "controller" the leader again (ironlb.sh restart controller).
    if (killed) labCommand(["restart", killed === "controller-2" ? "controller-2" : "controller"]);
    removeNamespacePool(cp, ns, POOL);
    assertIronlbRunning();
  });

  test("SIGKILL of the leader: a new Service gets its IP within 5 s, no IP moves", async () => {
    const before = await assigned();
    const leader = await holder();
    assert.ok(
      leader === "controller" || leader === "controller-2",
      `the Lease names a lab replica (got "${leader}")`,
    );
    const pid = Number(readFileSync(join(labDir, "pids", `${leader}.pid`), "utf8").trim());
    assert.ok(pid > 1, `PID of ${leader}`);
    process.kill(pid, "SIGKILL");
    killed = leader;
    const killedAt = performance.now();
    apply(cp, serviceYaml("after-kill"));

    let tookMs = Infinity;
    while (performance.now() - killedAt < 30_000) {
      const svc = await cp.core.readNamespacedService({ name: "after-kill", namespace: ns });
      if (ingressIps(svc).length > 0) {
        tookMs = performance.now() - killedAt;
        break;
      }
      await sleep(50);
    }
    process.stdout.write(
      `# controller-ha: new Service's IP ${tookMs.toFixed(0)} ms after SIGKILL\n`,
    );
    assert.notEqual(await holder(), leader, "the standby holds the Lease");
    assert.ok(tookMs <= BUDGET_MS, `IP after ${tookMs.toFixed(0)} ms (budget ${BUDGET_MS} ms)`);

    const now = await assigned();
    const moved = [...before].filter(([name, ips]) => now.get(name) !== ips);
    assert.deepEqual(moved, [], "no IP moved in the handover");
    assert.equal(new Set([...now.values()]).size, COUNT + 1, "51 distinct assignments");
  });
});
