/**
 * The controller against the real lab apiserver: CRDs accept MetalLB's samples, bad pools are
 * refused or reported, Services get, free and re-use IPs, a restart moves nothing, and
 * `kubectl get ipaddresspool` shows live counts.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
} from "@kubernetes/client-node";
import type { IPAddressPool } from "../../lib/api/metallb.js";
import {
  repoRoot,
  rootSkipReason,
  uniqueName,
  useControlPlane,
  type ControlPlane,
} from "../support/lab.js";
import { eventually, startController, type RunningProcess } from "../support/processes.js";

const skip = rootSkipReason();
const compat = join(repoRoot, "..", "shared", "compat", "metallb");
const poolNs = uniqueName("it-lb"); // the controller's own namespace: pools live here
const svcNs = uniqueName("it-svc");
/** Our own loadBalancerClass: other controllers running against the lab leave these Services alone. */
const lbClass = `ironlb.io/${poolNs}`;
let cp: ControlPlane;
let controller: RunningProcess | undefined;

const ingressOf = (s: V1Service): string[] =>
  (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "");
const conditionOf = (s: V1Service) =>
  s.status?.conditions?.find((c) => c.type === "ironlb.io/IPAllocated");

/** A pool that serves only this test's Service namespace, so nothing else in the lab takes its IPs. */
function applyPool(name: string, addresses: string[]): string {
  const yaml = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: ${name}, namespace: ${poolNs}}
spec:
  addresses: ${JSON.stringify(addresses)}
  serviceAllocation: {namespaces: [${svcNs}]}
`;
  return cp.kubectl(["apply", "-f", "-"], yaml);
}

async function createService(
  name: string,
  annotations: Record<string, string> = {},
): Promise<void> {
  await cp.core.createNamespacedService({
    namespace: svcNs,
    body: {
      metadata: { name, annotations },
      spec: {
        type: "LoadBalancer",
        loadBalancerClass: lbClass,
        selector: { app: name },
        ports: [{ port: 8090, targetPort: 80 }],
      },
    },
  });
}

async function eventsOf(
  name: string,
): Promise<{ type: string; reason: string; message: string }[]> {
  const list = await cp.core.listNamespacedEvent({
    namespace: svcNs,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items.map((e) => ({
    type: e.type ?? "",
    reason: e.reason ?? "",
    message: e.message ?? "",
  }));
}

const readService = (name: string): Promise<V1Service> =>
  cp.core.readNamespacedService({ name, namespace: svcNs });

async function waitForIp(name: string, timeoutMs = 15_000): Promise<string> {
  let ip = "";
  await eventually(
    `an IP for ${name}`,
    async () => ((ip = ingressOf(await readService(name))[0] ?? ""), ip !== ""),
    timeoutMs,
  );
  return ip;
}

const poolStatus = async (name: string): Promise<IPAddressPool["status"]> => {
  const custom = cp.kc.makeApiClient(CustomObjectsApi);
  const pool = (await custom.getNamespacedCustomObject({
    group: "metallb.io",
    version: "v1beta1",
    namespace: poolNs,
    plural: "ipaddresspools",
    name,
  })) as IPAddressPool;
  return pool.status;
};

describe("controller on the lab apiserver", { skip }, () => {
  before(async () => {
    cp = useControlPlane();
    cp.kubectl(["apply", "-f", join(repoRoot, "crds")]);
    cp.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=30s"]);
    for (const ns of [poolNs, svcNs, "metallb-system"]) cp.ensureNamespace(ns);
    cp.kubectl(
      ["apply", "-f", "-"],
      // Every pool of this test but "quiet" is announced.
      `apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: most, namespace: ${poolNs}}\nspec: {ipAddressPools: [good, big, edit]}\n`,
    );
    controller = await startController({ namespace: poolNs, extraArgs: ["--lb-class", lbClass] });
  });

  after(async () => {
    await controller?.stop();
    for (const ns of [poolNs, svcNs])
      await cp.core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  test("every MetalLB sample applies to IronLB's CRDs (server-side dry run)", () => {
    // Layer 2 and BGP samples alike: every kind of every sample is one IronLB serves. (A sample
    // our validation refuses, such as a BGPPeer with a vrf, still applies: it is reported by the
    // speaker, as MetalLB's schema accepts it.)
    const kinds = new Set([
      "IPAddressPool",
      "L2Advertisement",
      "BGPPeer",
      "BGPAdvertisement",
      "BFDProfile",
      "Community",
    ]);
    const kindsOf = (f: string): string[] =>
      [...readFileSync(join(compat, f), "utf8").matchAll(/^kind:\s*(\S+)/gm)].map(
        (m) => m[1] ?? "",
      );
    const samples = readdirSync(compat).filter(
      (f) =>
        f.endsWith(".yaml") &&
        !f.startsWith("metallb.io_") &&
        kindsOf(f).every((k) => kinds.has(k)),
    );
    assert.ok(
      samples.some((f) => f.startsWith("bgppeer_")),
      `BGP samples found: ${samples.join(", ")}`,
    );
    assert.ok(samples.length >= 15, `samples found: ${samples.join(", ")}`);
    for (const f of samples) {
      const out = cp.kubectl(["apply", "--dry-run=server", "-f", join(compat, f)]);
      assert.match(out, /created \(server dry run\)/, f);
    }
  });

  test("obvious mistakes are refused at apply, naming the field", () => {
    for (const bad of ["10.0.0.0/33", "garbage", "198.18.0.1-"]) {
      assert.throws(
        () => applyPool("bad-at-apply", [bad]),
        (e: Error & { stderr?: string }) => /spec\.addresses\[0\]/.test(String(e.stderr)),
        bad,
      );
    }
  });

  test("a reversed range and an overlap are reported in the pool's status; other pools keep serving", async () => {
    applyPool("good", ["198.18.60.10-198.18.60.11"]);
    applyPool("reversed", ["198.18.61.9-198.18.61.1"]);
    applyPool("overlapping", ["198.18.60.0/28"]);
    await eventually("status on the bad pools", async () => {
      const r = await poolStatus("reversed");
      const o = await poolStatus("overlapping");
      return Boolean(r?.conditions?.length && o?.conditions?.length);
    });
    const reversed = (await poolStatus("reversed"))?.conditions?.find((c) => c.type === "Valid");
    assert.equal(reversed?.status, "False");
    assert.match(reversed?.message ?? "", /spec\.addresses\[0\].*198\.18\.61\.9-198\.18\.61\.1/);
    const overlap = (await poolStatus("overlapping"))?.conditions?.find((c) => c.type === "Valid");
    assert.equal(overlap?.status, "False");
    assert.match(overlap?.message ?? "", /good/);
    await createService("served", { "metallb.io/address-pool": "good" });
    assert.equal(await waitForIp("served"), "198.18.60.10");
  });

  test("delete frees the IP and a pending Service gets it without any other change", async () => {
    await createService("second", { "metallb.io/address-pool": "good" });
    assert.equal(await waitForIp("second"), "198.18.60.11");
    await createService("waiting", { "metallb.io/address-pool": "good" });
    await eventually(
      "waiting to be PoolExhausted",
      async () => conditionOf(await readService("waiting"))?.reason === "PoolExhausted",
    );
    assert.deepEqual(ingressOf(await readService("waiting")), []);
    await cp.core.deleteNamespacedService({ name: "served", namespace: svcNs });
    assert.equal(await waitForIp("waiting", 5_000), "198.18.60.10");
    await eventually("pool counts", async () => (await poolStatus("good"))?.assignedIPv4 === 2);
  });

  test("kubectl get ipaddresspool shows the five columns with live counts", async () => {
    await eventually("available 0", async () => (await poolStatus("good"))?.available === "0");
    const table = cp.kubectl(["get", "ipaddresspool", "-n", poolNs, "good"]);
    const [header, row] = table.trim().split("\n");
    assert.match(
      header ?? "",
      /NAME\s+AUTO ASSIGN\s+AVOID BUGGY IPS\s+ADDRESSES\s+ASSIGNED\s+AVAILABLE/,
    );
    assert.match(row ?? "", /good\s+true\s+false\s+\["198\.18\.60\.10-198\.18\.60\.11"\]\s+2\s+0/);
  });

  test("restart with 200 assigned Services moves no IP, and a Service created meanwhile gets a free one", async () => {
    applyPool("big", ["198.18.62.0/24"]);
    const names = Array.from({ length: 200 }, (_, i) => `many-${i}`);
    for (let i = 0; i < names.length; i += 25) {
      await Promise.all(
        names.slice(i, i + 25).map((n) => createService(n, { "metallb.io/address-pool": "big" })),
      );
    }
    const before = new Map<string, string>();
    await eventually(
      "200 IPs",
      async () => {
        const list = await cp.core.listNamespacedService({ namespace: svcNs });
        before.clear();
        for (const s of list.items) {
          const ip = ingressOf(s)[0];
          if (s.metadata?.name?.startsWith("many-") && ip) before.set(s.metadata.name, ip);
        }
        return before.size === 200;
      },
      60_000,
    );
    // Holes, so a controller that re-allocated instead of restoring would hand out different IPs.
    for (const n of names.slice(0, 20))
      await cp.core.deleteNamespacedService({ name: n, namespace: svcNs });
    for (const n of names.slice(0, 20)) before.delete(n);
    await controller?.stop();
    await createService("late", { "metallb.io/address-pool": "big" });
    controller = await startController({ namespace: poolNs, extraArgs: ["--lb-class", lbClass] });
    const lateIp = await waitForIp("late");
    const list = await cp.core.listNamespacedService({ namespace: svcNs });
    let moved = 0;
    for (const s of list.items) {
      const was = before.get(s.metadata?.name ?? "");
      if (was !== undefined && ingressOf(s)[0] !== was) moved++;
    }
    assert.equal(moved, 0, "IPs moved by the restart");
    assert.ok(
      ![...before.values()].includes(lateIp),
      `late got ${lateIp}, which another Service holds`,
    );
  });

  test("a bad annotation IP gives a Warning event and a condition naming the field and value", async () => {
    await createService("bad-ip", { "metallb.io/loadBalancerIPs": "198.18.60.300" });
    await eventually(
      "AllocationFailed",
      async () => conditionOf(await readService("bad-ip"))?.status === "False",
    );
    const condition = conditionOf(await readService("bad-ip"));
    assert.equal(condition?.reason, "RequestedIPUnavailable");
    assert.match(condition?.message ?? "", /metallb\.io\/loadBalancerIPs "198\.18\.60\.300"/);
    await eventually("the Warning event", async () =>
      (await eventsOf("bad-ip")).some(
        (e) => e.type === "Warning" && e.reason === "AllocationFailed",
      ),
    );
    // The controller is still serving others.
    await createService("after-bad", { "metallb.io/address-pool": "big" });
    assert.match(await waitForIp("after-bad"), /^198\.18\.62\./);
  });

  test("a pool edit that drops an assigned IP moves the Service with a ClearAssignment event", async () => {
    applyPool("edit", ["198.18.63.10-198.18.63.11"]);
    await createService("edited", { "metallb.io/address-pool": "edit" });
    assert.equal(await waitForIp("edited"), "198.18.63.10");
    applyPool("edit", ["198.18.63.20-198.18.63.21"]);
    await eventually(
      "the new IP",
      async () => ingressOf(await readService("edited"))[0] === "198.18.63.20",
    );
    // The Event is written after the status: wait for it too.
    let clear: { message: string } | undefined;
    await eventually("the ClearAssignment event", async () => {
      clear = (await eventsOf("edited")).find((e) => e.reason === "ClearAssignment");
      return clear !== undefined;
    });
    assert.match(clear?.message ?? "", /198\.18\.63\.10.*new IP: 198\.18\.63\.20/);
  });

  test("an IP from a pool no L2Advertisement selects is assigned with a NotAdvertised warning", async () => {
    applyPool("quiet", ["198.18.64.10-198.18.64.11"]);
    await createService("unannounced", { "metallb.io/address-pool": "quiet" });
    assert.equal(await waitForIp("unannounced"), "198.18.64.10");
    await eventually("NotAdvertised", async () =>
      (await eventsOf("unannounced")).some(
        (e) => e.type === "Warning" && e.reason === "NotAdvertised",
      ),
    );
    await eventually("pool condition", async () =>
      Boolean(
        (await poolStatus("quiet"))?.conditions?.some(
          (c) => c.type === "Advertised" && c.status === "False",
        ),
      ),
    );
  });

  test("a LoadBalancer Service of another class is never touched, even if it shows IronLB's state", async () => {
    await cp.core.createNamespacedService({
      namespace: svcNs,
      body: {
        metadata: {
          name: "other-class",
          annotations: { "metallb.io/ip-allocated-from-pool": "theirs" },
        },
        spec: {
          type: "LoadBalancer",
          loadBalancerClass: "example.com/other",
          ports: [{ port: 80 }],
        },
      },
    });
    await cp.core.patchNamespacedServiceStatus(
      {
        name: "other-class",
        namespace: svcNs,
        body: { status: { loadBalancer: { ingress: [{ ip: "198.18.65.1" }] } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    // Give the controller time to (wrongly) react, then check nothing changed.
    await createService("marker", { "metallb.io/address-pool": "big" });
    await waitForIp("marker");
    await new Promise((r) => setTimeout(r, 500));
    const svc = await readService("other-class");
    assert.deepEqual(ingressOf(svc), ["198.18.65.1"]);
    assert.equal(svc.metadata?.annotations?.["metallb.io/ip-allocated-from-pool"], "theirs");
    assert.deepEqual(await eventsOf("other-class"), []);
  });
});
