/**
 * The lab's control plane is a real kube-apiserver: it allocates a LoadBalancer Service's
 * clusterIP and nodePort, accepts status.loadBalancer.ingress through the status subresource
 * and streams the change to watchers.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { PatchStrategy, setHeaderOptions, type V1Service } from "@kubernetes/client-node";
import { parseIp, parseRange, rangeContains } from "../../lib/core/ip.js";
import { rootSkipReason, uniqueName, useControlPlane, type ControlPlane } from "../support/lab.js";
import { waitForWatchEvent } from "../support/watch.js";

const skip = rootSkipReason();
const namespace = uniqueName("it-cp");
let cp: ControlPlane;

before(async () => {
  if (skip) return;
  cp = useControlPlane();
  await cp.core.createNamespace({ body: { metadata: { name: namespace } } });
});

after(async () => {
  if (skip) return;
  await cp.core.deleteNamespace({ name: namespace });
});

test("readyz answers ok through the admin kubeconfig", { skip }, () => {
  assert.equal(cp.kubectl(["get", "--raw", "/readyz"]).trim(), "ok");
});

test(
  "a LoadBalancer Service gets a clusterIP and nodePort, status ingress round-trips through a watch",
  { skip },
  async () => {
    const name = "web";
    const watchThis = {
      path: `/api/v1/namespaces/${namespace}/services`,
      query: { fieldSelector: `metadata.name=${name}` },
    };
    const created = await cp.core.createNamespacedService({
      namespace,
      body: {
        metadata: { name },
        spec: {
          type: "LoadBalancer",
          // A class no controller in the lab handles: this test alone writes the status.
          loadBalancerClass: "example.com/nobody",
          selector: { app: "web" },
          ports: [{ name: "http", port: 8090, targetPort: 80, protocol: "TCP" }],
        },
      },
    });
    const clusterIP = parseIp(created.spec?.clusterIP ?? "");
    const serviceCidr = parseRange("198.18.128.0/20");
    assert.ok(
      clusterIP && serviceCidr.ok && rangeContains(serviceCidr.value, clusterIP),
      `clusterIP ${created.spec?.clusterIP}`,
    );
    const nodePort = created.spec?.ports?.[0]?.nodePort ?? 0;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
    assert.deepEqual(created.status?.loadBalancer?.ingress ?? [], []);

    const watch = waitForWatchEvent<V1Service>(cp.kc, {
      ...watchThis,
      matches: (e) =>
        e.type === "MODIFIED" && e.object.status?.loadBalancer?.ingress?.[0]?.ip === "198.18.0.200",
    });
    await watch.ready;
    const patched = await cp.core.patchNamespacedServiceStatus(
      {
        name,
        namespace,
        body: { status: { loadBalancer: { ingress: [{ ip: "198.18.0.200", ipMode: "VIP" }] } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    assert.equal(patched.status?.loadBalancer?.ingress?.[0]?.ip, "198.18.0.200");
    const seen = await watch.event;
    assert.equal(seen.object.metadata?.uid, created.metadata?.uid);

    // A plain update of the main resource must not touch status (that is what the subresource is for).
    const fresh = await cp.core.readNamespacedService({ name, namespace });
    fresh.status = { loadBalancer: { ingress: [{ ip: "198.18.0.201" }] } };
    const replaced = await cp.core.replaceNamespacedService({ name, namespace, body: fresh });
    assert.equal(replaced.status?.loadBalancer?.ingress?.[0]?.ip, "198.18.0.200");

    const deleted = waitForWatchEvent<V1Service>(cp.kc, {
      ...watchThis,
      matches: (e) => e.type === "DELETED",
    });
    await deleted.ready;
    await cp.core.deleteNamespacedService({ name, namespace });
    assert.equal((await deleted.event).object.metadata?.name, name);
  },
);
