/**
 * Least privilege, proven from the other side: every permission manifests/ grants to the
 * controller's and the speaker's ServiceAccounts was used by the lab's IronLB processes (which
 * run as those accounts) during the integration and e2e tiers, per the apiserver's audit log.
 * Runs after them (Makefile: test-lab, test-e2e); a permission nothing uses must be dropped.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot, rootSkipReason, useControlPlane } from "../support/lab.js";
import { unused, type AuditEvent, type RbacObject } from "../support/rbac-usage.js";

const ACCOUNTS = ["controller", "speaker"].map(
  (sa) => `system:serviceaccount:metallb-system:${sa}`,
);

test("every RBAC permission granted to IronLB is used", { skip: rootSkipReason() }, () => {
  const cp = useControlPlane();
  // The RBAC objects as the lab applied them from the install manifest (test/lab/ironlb.sh).
  const list = JSON.parse(
    cp.kubectl([
      "get",
      "clusterroles,clusterrolebindings,roles,rolebindings",
      "-A",
      "-l",
      "app.kubernetes.io/name=ironlb",
      "-o",
      "json",
    ]),
  ) as { items: RbacObject[] };
  const objects = list.items;
  assert.ok(objects.length >= 4, "IronLB's Roles and bindings are applied in the lab");
  const events = readFileSync(join(repoRoot, ".lab/audit/audit.log"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);
  assert.ok(
    events.some((e) => ACCOUNTS.includes(e.user?.username ?? "")),
    "the audit log shows no request from IronLB's accounts (is the lab's audit log on?)",
  );
  const idle = unused(objects, events, ACCOUNTS);
  assert.deepEqual(idle, [], `granted but never used in this run:\n${idle.join("\n")}`);
});
