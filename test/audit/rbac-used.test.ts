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
const PARTS = ["20-rbac-controller.yaml", "21-rbac-speaker.yaml"].map((f) =>
  join(repoRoot, "manifests/parts", f),
);

test("every RBAC permission granted to IronLB is used", { skip: rootSkipReason() }, () => {
  const cp = useControlPlane();
  const list = JSON.parse(
    cp.kubectl(["create", "--dry-run=client", "-o", "json", ...PARTS.flatMap((f) => ["-f", f])]),
  ) as { items?: RbacObject[] } & RbacObject;
  const objects = list.items ?? [list];
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
