/**
 * IronLB puts back what it owns when it finds it damaged, on the lab:
 * - a user removes the `metallb.io/ip-allocated-from-pool` annotation of an allocated Service:
 *   the controller writes it again (an annotation-only write, the Service's IPs unchanged);
 * - a ServiceL2Status left half-written (created, labelled for another node, no status yet: a
 *   speaker that died between its create and its status write) is completed by the Service's
 *   owner under its own labels, not left naming a node that never announced it.
 * Both are rare recovery paths the RBAC audit (test/audit) also needs exercised.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import type { ControlPlane } from "../support/lab.js";
import { rootSkipReason, uniqueName } from "../support/lab.js";
import {
  NODES,
  apply,
  applyNamespacePool,
  assertIronlbRunning,
  deploymentYaml,
  removeNamespacePool,
  useLab,
  waitForIngress,
} from "../support/e2e.js";
import { eventually } from "../support/processes.js";

const skip = rootSkipReason();
const ns = uniqueName("repair");
const POOL = "repair";
const ADDRESSES = ["198.18.0.90-198.18.0.94"]; // apart from the other lab tests' pools
const ANNOTATION = "metallb.io/ip-allocated-from-pool";
let cp: ControlPlane;

const serviceYaml = (name: string) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
`;

/** The record's name as MetalLB's shape derives it, computed here apart from the speaker. */
const recordName = (name: string): string =>
  `l2-${name}-${createHash("sha256").update(`${ns}/${name}`).digest("hex").slice(0, 10)}`;

interface Record {
  metadata: { labels?: { [k: string]: string } };
  status?: { node?: string };
}

function readRecord(name: string): Record | undefined {
  try {
    const out = cp.kubectl([
      ...["get", "servicel2status", recordName(name), "-n", "metallb-system", "-o", "json"],
    ]);
    return JSON.parse(out) as Record;
  } catch {
    return undefined;
  }
}

describe("repairs", { skip }, () => {
  before(() => {
    cp = useLab();
    applyNamespacePool(cp, ns, POOL, ADDRESSES);
    apply(cp, deploymentYaml(ns, "web", 1));
  });

  afterEach(() => assertIronlbRunning());

  after(() => removeNamespacePool(cp, ns, POOL));

  test("a removed pool annotation is written again, the IP unchanged", async () => {
    apply(cp, serviceYaml("annotated"));
    const ips = await waitForIngress(cp, ns, "annotated");
    await eventually("the pool annotation", () => annotationOf("annotated") === POOL, 20_000);
    cp.kubectl(["annotate", "service", "annotated", "-n", ns, `${ANNOTATION}-`]);
    await eventually("the pool annotation back", () => annotationOf("annotated") === POOL, 20_000);
    assert.deepEqual(await waitForIngress(cp, ns, "annotated"), ips, "the IP did not move");
  });

  test("a half-written ServiceL2Status is completed by the owner under its own labels", async () => {
    // Written before the Service exists, as a speaker cut short would have left it.
    apply(
      cp,
      `apiVersion: metallb.io/v1beta1
kind: ServiceL2Status
metadata:
  name: ${recordName("half")}
  namespace: metallb-system
  labels:
    metallb.io/node: node-gone
    metallb.io/service-name: half
    metallb.io/service-namespace: ${ns}
`,
    );
    apply(cp, serviceYaml("half"));
    await waitForIngress(cp, ns, "half");
    await eventually(
      "the record completed by a lab node",
      () => {
        const r = readRecord("half");
        const node = r?.status?.node;
        return (
          node !== undefined &&
          (NODES as readonly string[]).includes(node) &&
          r?.metadata.labels?.["metallb.io/node"] === node
        );
      },
      30_000,
    );
  });
});

function annotationOf(name: string): string | undefined {
  const out = cp.kubectl([
    ...["get", "service", name, "-n", ns, "-o", `jsonpath={.metadata.annotations}`],
  ]);
  return out.trim() === "" ? undefined : (JSON.parse(out) as { [k: string]: string })[ANNOTATION];
}
