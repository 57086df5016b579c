/**
 * externalTrafficPolicy: Local while the last pod drains, on the lab: a pod being deleted whose
 * preStop sleep keeps it serving shows in its EndpointSlice as serving and terminating (not
 * ready); kube-proxy still forwards to it, so the announcement must stay on its node until it is
 * gone, then stop.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, afterEach, before, describe, test } from "node:test";
import type { ControlPlane } from "../support/lab.js";
import { rootSkipReason, uniqueName } from "../support/lab.js";
import {
  apply,
  applyNamespacePool,
  removeNamespacePool,
  arpAnswerers,
  assertIronlbRunning,
  CLIENT_NS,
  curlFromClient,
  nodeMac,
  podOf,
  urlOf,
  useLab,
  waitForIngress,
  waitReachable,
} from "../support/e2e.js";
import { eventually } from "../support/processes.js";

const skip = rootSkipReason();
const ns = uniqueName("drain");
const POOL = "drain";
const ADDRESSES = ["198.18.0.105-198.18.0.109"]; // apart from the other lab tests' pools
const SLEEP_S = 20;
let cp: ControlPlane;

interface SliceEndpoint {
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
}

function endpointConditions(service: string): SliceEndpoint["conditions"][] {
  const out = cp.kubectl([
    "get",
    "endpointslices",
    "-n",
    ns,
    "-l",
    `kubernetes.io/service-name=${service}`,
    "-o",
    "json",
  ]);
  const list = JSON.parse(out) as { items: { endpoints?: SliceEndpoint[] }[] };
  return list.items.flatMap((s) => (s.endpoints ?? []).map((e) => e.conditions));
}

describe("externalTrafficPolicy: Local while pods drain", { skip }, () => {
  before(() => {
    cp = useLab();
    applyNamespacePool(cp, ns, POOL, ADDRESSES);
  });

  afterEach(() => assertIronlbRunning());

  after(() => removeNamespacePool(cp, ns, POOL));

  test("a Local Service whose only pod is terminating but serving stays announced from its node", async () => {
    apply(
      cp,
      `apiVersion: v1
kind: Pod
metadata: {name: drain, namespace: ${ns}, labels: {app: drain}}
spec:
  nodeSelector: {kubernetes.io/hostname: node2}
  terminationGracePeriodSeconds: ${SLEEP_S + 10}
  containers:
    - name: web
      image: lab/web
      ports: [{containerPort: 80}]
      lifecycle: {preStop: {sleep: {seconds: ${SLEEP_S}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: drain
  namespace: ${ns}
  annotations: {metallb.io/address-pool: ${POOL}}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: drain}
  ports: [{port: 8097, targetPort: 80}]
`,
    );
    const [ip = ""] = await waitForIngress(cp, ns, "drain");
    const url = urlOf(ip, 8097);
    assert.equal(podOf(await waitReachable(url, 60_000)), "drain");
    const node2 = nodeMac("node2");
    await eventually("node2 alone to answer ARP", async () => {
      const macs = await arpAnswerers(ip);
      return macs.length === 1 && macs[0] === node2;
    });

    cp.kubectl(["delete", "pod", "-n", ns, "drain", "--wait=false"]);
    const deleted = Date.now();
    await eventually("the EndpointSlice to show the pod serving and terminating", () =>
      endpointConditions("drain").some(
        (c) => c?.serving === true && c.terminating === true && c.ready === false,
      ),
    );
    await new Promise((r) => setTimeout(r, 3_000)); // several speaker passes
    const answerers = await arpAnswerers(ip, 1);
    // A fresh ARP resolution, so the answer cannot come from the client's cache.
    execFileSync("ip", ["-n", CLIENT_NS, "neigh", "flush", "to", ip]);
    const answer = await curlFromClient(url, 2);
    const elapsedS = (Date.now() - deleted) / 1000;
    assert.ok(elapsedS < SLEEP_S - 2, `judged ${elapsedS} s after the delete: too late to tell`);
    assert.deepEqual(answerers, [node2], "node2 still answers ARP while its pod drains");
    assert.equal(podOf(answer), "drain", `the draining pod still answers: ${String(answer)}`);

    await eventually(
      "the announcement to stop once the pod is gone",
      async () => (await arpAnswerers(ip)).length === 0,
      SLEEP_S * 1000 + 30_000,
    );
  });
});
