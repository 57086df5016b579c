/**
 * The Helm chart against the lab's real apiserver: a server-side dry run of the whole chart
 * (workloads included), then a real install, upgrade and uninstall of its non-workload objects
 * (the lab runs IronLB's processes itself) into a namespace of its own, after which nothing the
 * release made is left but the CRDs, which Helm keeps by design.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { rootSkipReason, uniqueName, useControlPlane, type ControlPlane } from "../support/lab.js";
import { chartDir, helm, type ToolRun } from "../support/tools.js";

describe("helm install of charts/ironlb on the lab apiserver", { skip: rootSkipReason() }, () => {
  let cp: ControlPlane;
  let h: ReturnType<typeof helm>;
  // Not metallb-system: the lab's own IronLB objects live there (applied from the manifest).
  const ns = uniqueName("ironlb-chart");
  const release = ns; // names the ClusterRoles "<release>:controller", apart from the lab's
  const run = (...args: string[]): ToolRun =>
    h.run([...args, "--kubeconfig", cp.kubeconfigPath, "--namespace", ns]);
  const ok = (r: ToolRun): string => {
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  /** "kind/name" of the release's objects left in the cluster. */
  const leftovers = (): string[] => {
    const namespaced = cp.kubectl([
      "get",
      "serviceaccounts,roles,rolebindings,configmaps,services,deployments,daemonsets," +
        "ipaddresspools,l2advertisements,servicel2statuses",
      "-n",
      ns,
      "-l",
      "app.kubernetes.io/name=ironlb",
      "-o",
      "name",
    ]);
    const cluster = cp
      .kubectl(["get", "clusterroles,clusterrolebindings", "-o", "name"])
      .split("\n")
      .filter((l) => l.includes(`/${release}:`));
    return [...namespaced.split("\n"), ...cluster].filter(Boolean);
  };

  before(() => {
    cp = useControlPlane();
    h = helm();
    cp.ensureNamespace(ns);
  });
  after(() => {
    run("uninstall", release, "--wait", "--ignore-not-found");
    h.cleanup();
    cp.kubectl(["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
  });

  test("helm install --dry-run=server accepts every object, workloads included", () => {
    const out = ok(run("install", release, chartDir, "--dry-run=server"));
    for (const kind of ["kind: DaemonSet", "kind: Deployment", "kind: ClusterRole"]) {
      assert.ok(out.includes(kind), `${kind} missing from the dry run`);
    }
    assert.deepEqual(leftovers(), [], "a dry run creates nothing");
  });

  test("install without workloads creates the RBAC and the ConfigMap, the Namespace stays ours", () => {
    ok(run("install", release, chartDir, "--set", "workloads.enabled=false", "--wait"));
    assert.deepEqual(leftovers().sort(), [
      `clusterrole.rbac.authorization.k8s.io/${release}:controller`,
      `clusterrole.rbac.authorization.k8s.io/${release}:speaker`,
      `clusterrolebinding.rbac.authorization.k8s.io/${release}:controller`,
      `clusterrolebinding.rbac.authorization.k8s.io/${release}:speaker`,
      "configmap/speaker-config",
      "role.rbac.authorization.k8s.io/controller",
      "role.rbac.authorization.k8s.io/speaker",
      "rolebinding.rbac.authorization.k8s.io/controller",
      "rolebinding.rbac.authorization.k8s.io/speaker",
      "serviceaccount/controller",
      "serviceaccount/speaker",
    ]);
    // the RBAC works for the release's accounts, in the release's namespace only
    const can = (verb: string, res: string, where: string): string => {
      try {
        return cp
          .kubectl([
            "auth",
            "can-i",
            verb,
            res,
            "-n",
            where,
            `--as=system:serviceaccount:${ns}:speaker`,
          ])
          .trim();
      } catch (e) {
        return String((e as { stdout?: string }).stdout ?? "").trim();
      }
    };
    assert.equal(can("create", "leases", ns), "yes");
    assert.equal(can("create", "leases", "default"), "no");
  });

  test("upgrade changes what the values say", () => {
    ok(
      run(
        "upgrade",
        release,
        chartDir,
        "--set",
        "workloads.enabled=false",
        "--set",
        "speaker.l2.excludeInterfaces=lo\\,bond9*",
        "--wait",
      ),
    );
    const data = cp.kubectl([
      "get",
      "configmap",
      "speaker-config",
      "-n",
      ns,
      "-o",
      "jsonpath={.data.excludeInterfaces}",
    ]);
    assert.equal(data, "lo,bond9*");
    assert.match(ok(run("history", release)), /^2\s.*deployed/m);
  });

  test("uninstall leaves nothing of the release behind but the CRDs", () => {
    ok(run("uninstall", release, "--wait"));
    assert.deepEqual(leftovers(), []);
    assert.equal(ok(run("list", "-q")).trim(), "", "no release record left");
    // CRDs in crds/ are installed once and never deleted by Helm (docs/install.md)
    const crds = cp.kubectl(["get", "crd", "-o", "name"]);
    assert.match(crds, /ipaddresspools\.metallb\.io/);
  });
});
