/**
 * Which RBAC permissions granted to IronLB's ServiceAccounts were never exercised: the rules of
 * the Roles/ClusterRoles bound to each account, expanded to (verb, apiGroup, resource[/sub]),
 * minus what the apiserver's audit log shows the account doing.
 */

export interface RbacObject {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly rules?: readonly {
    readonly apiGroups?: readonly string[];
    readonly resources?: readonly string[];
    readonly verbs?: readonly string[];
  }[];
  readonly roleRef?: { readonly kind?: string; readonly name?: string };
  readonly subjects?: readonly {
    readonly kind?: string;
    readonly name?: string;
    readonly namespace?: string;
  }[];
}

/** One line of the audit log (JSON), the fields used here. */
export interface AuditEvent {
  readonly user?: { readonly username?: string };
  readonly verb?: string;
  readonly objectRef?: {
    readonly apiGroup?: string;
    readonly resource?: string;
    readonly subresource?: string;
  };
  readonly responseStatus?: { readonly code?: number };
}

/** `system:serviceaccount:<ns>:<name> <verb> <group>/<resource>[/<sub>]`, group "" for core. */
export type Permission = string;

const permission = (user: string, verb: string, group: string, resource: string): Permission =>
  `${user} ${verb} ${group}/${resource}`;

/** `<verb> <group>/<resource>` for every rule of a role. */
const rulePermissions = (role: RbacObject | undefined): string[] =>
  (role?.rules ?? []).flatMap((rule) =>
    (rule.verbs ?? []).flatMap((verb) =>
      (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).map((resource) => `${verb} ${group}/${resource}`),
      ),
    ),
  );

/** Every permission the bindings in `objects` grant to ServiceAccounts. */
export function granted(objects: readonly RbacObject[]): Set<Permission> {
  const roles = new Map<string, RbacObject>();
  for (const o of objects) {
    if (o.kind === "Role" || o.kind === "ClusterRole") {
      roles.set(`${o.kind}/${o.metadata?.name}`, o);
    }
  }
  const out = new Set<Permission>();
  for (const b of objects) {
    if (b.kind !== "RoleBinding" && b.kind !== "ClusterRoleBinding") continue;
    const role = roles.get(`${b.roleRef?.kind}/${b.roleRef?.name}`);
    for (const s of b.subjects ?? []) {
      if (s.kind !== "ServiceAccount") continue;
      const user = `system:serviceaccount:${s.namespace ?? b.metadata?.namespace}:${s.name}`;
      for (const p of rulePermissions(role)) out.add(`${user} ${p}`);
    }
  }
  return out;
}

/** Permissions the audit log shows being used (any request that passed authorization). */
export function used(events: readonly AuditEvent[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const e of events) {
    const user = e.user?.username;
    const ref = e.objectRef;
    if (!user || !e.verb || !ref?.resource) continue;
    if (e.responseStatus?.code === 403) continue; // refused: not a use of a granted rule
    const resource = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
    out.add(permission(user, e.verb, ref.apiGroup ?? "", resource));
  }
  return out;
}

/** Granted permissions of `users` that no event used, sorted. */
export function unused(
  objects: readonly RbacObject[],
  events: readonly AuditEvent[],
  users: readonly string[],
): Permission[] {
  const seen = used(events);
  return [...granted(objects)]
    .filter((p) => users.some((u) => p.startsWith(`${u} `)) && !seen.has(p))
    .sort();
}
