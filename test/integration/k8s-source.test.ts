/**
 * The list side of every reflector against the real apiserver, in pages of 2: every object must
 * come back, for a custom resource as for a built-in kind. (@kubernetes/client-node's generic
 * list dropped `continue` for custom resources, so a speaker saw only the first 500 of its
 * ServiceL2Status records.)
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { k8sSource } from "../../lib/adapters/k8s-source.js";
import { rootSkipReason, uniqueName, useControlPlane, type ControlPlane } from "../support/lab.js";

const skip = rootSkipReason();
const namespace = uniqueName("it-src");
const names = ["a1", "a2", "a3", "a4", "a5"];
let cp: ControlPlane;

before(() => {
  if (skip) return;
  cp = useControlPlane();
  cp.ensureNamespace(namespace);
  const objects = names.flatMap((name) => [
    `apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: ${name}, namespace: ${namespace}, labels: {pick: "${name < "a3"}"}}\n`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${namespace}}\n`,
  ]);
  cp.kubectl(["apply", "-f", "-"], objects.join("---\n"));
});

after(() => {
  if (!skip) cp.kubectl(["delete", "namespace", namespace, "--wait=false"]);
});

const listed = async (ref: Parameters<typeof k8sSource>[1]): Promise<string[]> => {
  const { items, resourceVersion } = await k8sSource(cp.client, ref, 2).list();
  assert.match(resourceVersion, /^\d+$/);
  return items.map((o) => o.metadata?.name ?? "").sort();
};

test("a custom resource is listed whole, page after page", { skip }, async () => {
  const ref = {
    apiVersion: "metallb.io/v1beta1",
    kind: "L2Advertisement",
    path: `/apis/metallb.io/v1beta1/namespaces/${namespace}/l2advertisements`,
    namespace,
  };
  assert.deepEqual(await listed(ref), names);
  assert.deepEqual(await listed({ ...ref, labelSelector: "pick=true" }), ["a1", "a2"]);
});

test("a built-in kind is listed whole, page after page", { skip }, async () => {
  const ref = {
    apiVersion: "v1",
    kind: "ConfigMap",
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    namespace,
  };
  const all = await listed(ref);
  assert.deepEqual(
    all.filter((n) => names.includes(n)),
    names,
  );
});
