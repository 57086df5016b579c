/**
 * The speakers' membership as one object (docs/failover.md, "Slow path: membership"): the
 * ConfigMap `ironlb-speaker-members` in the speakers' namespace, written only by the controller
 * leader (controller/adapters/member-publisher.ts) when a member joins, leaves or changes MACs,
 * and watched by every speaker (speaker/adapters/membership.ts) by name, so a speaker receives
 * membership changes, never Lease renewals.
 *
 * `data["members.json"]`: `{"members":[{"node":"n1","macs":["02:.."]}],"stopped":["n3"]}`, members
 * and MACs sorted, so equal lists encode to equal text. `stopped`: nodes whose speaker deleted its
 * Lease (SIGTERM) and has not come back; a takeover of their units is `ownerStopped`.
 */
import { err, ok, type Result } from "../core/result.js";

export const MEMBERS_NAME = "ironlb-speaker-members";
export const MEMBERS_KEY = "members.json";
export const membersPath = (ns: string): string => `/api/v1/namespaces/${ns}/configmaps`;

export interface Member {
  readonly node: string;
  readonly macs: readonly string[];
}

export interface MemberList {
  readonly members: readonly Member[];
  readonly stopped: readonly string[];
}

const byNode = (a: Member, b: Member): number => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);

/** The canonical text: sorted, so two equal lists give the same bytes. */
export function encodeMembers(list: MemberList): string {
  const members = [...list.members]
    .sort(byNode)
    .map((m) => ({ node: m.node, macs: [...m.macs].sort() }));
  return JSON.stringify({ members, stopped: [...list.stopped].sort() });
}

const strings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === "string" && s !== "");

/** The list in a ConfigMap's data; an error names the field and the value it refused. */
export function decodeMembers(
  data: Readonly<Record<string, string>> | undefined,
): Result<MemberList, string> {
  const text = data?.[MEMBERS_KEY];
  if (text === undefined) return err(`data["${MEMBERS_KEY}"]: missing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return err(`data["${MEMBERS_KEY}"]: not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const { members, stopped } = (parsed ?? {}) as { members?: unknown; stopped?: unknown };
  if (!Array.isArray(members)) return err(`members: ${JSON.stringify(members)} is not a list`);
  if (stopped !== undefined && !strings(stopped)) {
    return err(`stopped: ${JSON.stringify(stopped)} is not a list of node names`);
  }
  const out: Member[] = [];
  for (const [i, m] of (members as unknown[]).entries()) {
    const member = decodeMember(m, i);
    if (!member.ok) return member;
    out.push(member.value);
  }
  return ok({ members: out, stopped: stopped ?? [] });
}

function decodeMember(m: unknown, i: number): Result<Member, string> {
  const { node, macs } = (m ?? {}) as { node?: unknown; macs?: unknown };
  if (typeof node !== "string" || node === "") {
    return err(`members[${i}].node: ${JSON.stringify(node)} is not a node name`);
  }
  if (!strings(macs)) return err(`members[${i}].macs: ${JSON.stringify(macs)} is not a list`);
  return ok({ node, macs });
}
