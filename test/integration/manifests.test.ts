/**
 * The one-file install (generated from charts/ironlb; test/chart/chart.test.ts checks it is up
 * to date) accepted whole by the real apiserver (server-side dry run: schemas, RBAC objects,
 * workloads).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { repoRoot, rootSkipReason, useControlPlane, type ControlPlane } from "../support/lab.js";

let cp: ControlPlane;

describe("install manifest on the lab apiserver", { skip: rootSkipReason() }, () => {
  before(() => {
    cp = useControlPlane();
  });

  test("kubectl apply --dry-run=server accepts every object", () => {
    const out = cp.kubectl([
      "apply",
      "--dry-run=server",
      "-f",
      join(repoRoot, "manifests/ironlb-native.yaml"),
    ]);
    const lines = out.trim().split("\n");
    for (const kind of [
      "namespace/metallb-system",
      "deployment.apps/controller",
      "daemonset.apps/speaker",
    ]) {
      assert.ok(
        lines.some((l) => l.startsWith(kind)),
        `${kind} in:\n${out}`,
      );
    }
    assert.ok(
      lines.every((l) => /(created|configured|unchanged) \(server dry run\)$/.test(l)),
      out,
    );
  });

  test("neither ServiceAccount can read Secrets; each can write only what it owns", () => {
    const can = (sa: string, ...args: string[]): string =>
      cp
        .kubectl(
          ["auth", "can-i", ...args, `--as=system:serviceaccount:metallb-system:${sa}`],
          undefined,
        )
        .trim();
    const cases: [string, string[], string][] = [
      ["controller", ["get", "secrets", "-A"], "no"],
      ["speaker", ["get", "secrets", "-A"], "no"],
      ["controller", ["patch", "services", "--subresource=status", "-n", "default"], "yes"],
      ["speaker", ["patch", "services", "--subresource=status", "-n", "default"], "no"],
      ["speaker", ["create", "leases", "-n", "metallb-system"], "yes"],
      ["speaker", ["create", "leases", "-n", "kube-system"], "no"],
      ["controller", ["update", "leases", "-n", "metallb-system"], "yes"],
      ["controller", ["update", "leases", "-n", "kube-system"], "no"],
      ["controller", ["delete", "leases", "-n", "metallb-system"], "no"],
      // membership: speakers watch one object, not every Lease (docs/failover.md)
      ["speaker", ["watch", "leases", "-n", "metallb-system"], "no"],
      ["speaker", ["watch", "configmaps/ironlb-speaker-members", "-n", "metallb-system"], "yes"],
      ["speaker", ["watch", "configmaps", "-n", "metallb-system"], "no"],
      [
        "controller",
        ["update", "configmaps/ironlb-speaker-members", "-n", "metallb-system"],
        "yes",
      ],
      ["controller", ["update", "configmaps/other", "-n", "metallb-system"], "no"],
      [
        "controller",
        ["patch", "ipaddresspools.metallb.io", "--subresource=status", "-n", "metallb-system"],
        "yes",
      ],
      ["speaker", ["delete", "ipaddresspools.metallb.io", "-n", "metallb-system"], "no"],
    ];
    for (const [sa, args, want] of cases) {
      let got: string;
      try {
        got = can(sa, ...args);
      } catch (e) {
        got = String((e as { stdout?: string }).stdout ?? "").trim(); // can-i exits 1 on "no"
      }
      assert.equal(got, want, `${sa} ${args.join(" ")}`);
    }
  });
});
