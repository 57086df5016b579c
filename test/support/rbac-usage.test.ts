import assert from "node:assert/strict";
import { test } from "node:test";
import { granted, unused, type AuditEvent, type RbacObject } from "./rbac-usage.js";

const SA = "system:serviceaccount:metallb-system:speaker";
const objects: RbacObject[] = [
  {
    kind: "Role",
    metadata: { name: "speaker", namespace: "metallb-system" },
    rules: [
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "delete"] },
      { apiGroups: [""], resources: ["services/status"], verbs: ["patch"] },
    ],
  },
  {
    kind: "RoleBinding",
    metadata: { name: "speaker", namespace: "metallb-system" },
    roleRef: { kind: "Role", name: "speaker" },
    subjects: [{ kind: "ServiceAccount", name: "speaker" }],
  },
  // a Role nobody binds grants nothing
  {
    kind: "Role",
    metadata: { name: "x" },
    rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }],
  },
];
const ev = (
  verb: string,
  resource: string,
  extra: Partial<NonNullable<AuditEvent["objectRef"]>> = {},
  code = 200,
): AuditEvent => ({
  user: { username: SA },
  verb,
  objectRef: { resource, ...extra },
  responseStatus: { code },
});

test("granted expands bound rules per ServiceAccount (namespace from the binding)", () => {
  assert.deepEqual([...granted(objects)].sort(), [
    `${SA} delete coordination.k8s.io/leases`,
    `${SA} get coordination.k8s.io/leases`,
    `${SA} patch /services/status`,
  ]);
});

test("unused lists what the audit log never shows, matching group and subresource", () => {
  const events = [
    ev("get", "leases", { apiGroup: "coordination.k8s.io" }),
    ev("patch", "services", { subresource: "status" }),
    ev("delete", "leases", { apiGroup: "coordination.k8s.io" }, 403), // refused: not a use
    { ...ev("delete", "leases", { apiGroup: "coordination.k8s.io" }), user: { username: "admin" } },
  ];
  assert.deepEqual(unused(objects, events, [SA]), [`${SA} delete coordination.k8s.io/leases`]);
  assert.deepEqual(unused(objects, [], ["someone-else"]), []);
});
