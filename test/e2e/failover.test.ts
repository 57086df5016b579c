/**
 * Failover through the real kernel: while the client sends requests, the node announcing the IP
 * loses its speaker (SIGKILL, SIGTERM) or its link; traffic must come back from another node.
 * The gaps are printed; `make bench` measures their distribution over many trials.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { rootSkipReason, uniqueName, type ControlPlane } from "../support/lab.js";
import {
  apply,
  deploymentYaml,
  urlOf,
  useLab,
  waitForIngress,
  waitReachable,
} from "../support/e2e.js";
import { FAULTS, measureFailover } from "../support/failover.js";

const skip = rootSkipReason();
const ns = uniqueName("e2e-fo");
let cp: ControlPlane;
let url = "";
let ip = "";

describe("failover", { skip }, () => {
  before(async () => {
    cp = useLab();
    cp.ensureNamespace(ns);
    apply(
      cp,
      `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: e2e-failover, namespace: metallb-system}
spec: {addresses: [198.18.0.240-198.18.0.249], serviceAllocation: {namespaces: [${ns}]}}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: e2e-failover, namespace: metallb-system}
spec: {ipAddressPools: [e2e-failover]}
`,
    );
    // One pod on each node, so whichever node announces can forward locally or across.
    apply(cp, deploymentYaml(ns, "fo", 3));
    apply(
      cp,
      `apiVersion: v1
kind: Service
metadata: {name: fo, namespace: ${ns}, annotations: {metallb.io/address-pool: e2e-failover}}
spec: {type: LoadBalancer, selector: {app: fo}, ports: [{port: 8090, targetPort: 80}]}
`,
    );
    [ip = ""] = await waitForIngress(cp, ns, "fo");
    url = urlOf(ip, 8090);
    await waitReachable(url);
  });

  after(async () => {
    await cp.core.deleteNamespace({ name: ns }).catch(() => undefined);
    cp.kubectl([
      "delete",
      "-n",
      "metallb-system",
      "ipaddresspool/e2e-failover",
      "l2advertisement/e2e-failover",
      "--ignore-not-found",
    ]);
  });

  for (const fault of FAULTS) {
    test(`traffic resumes after ${fault} on the announcing node`, async () => {
      await waitReachable(url);
      const r = await measureFailover(ip, url, fault);
      process.stdout.write(
        `# failover ${fault}: owner ${r.owner} -> ${r.newOwner ?? "?"}, gap ${r.gapMs} ms\n`,
      );
      assert.ok(r.resumed >= 5, `traffic came back (${r.resumed} answers after the fault)`);
      assert.notEqual(r.newOwner, r.owner, "another node announces the IP");
      assert.ok(Number.isFinite(r.gapMs));
    });
  }
});
