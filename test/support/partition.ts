/**
 * Frame loss between two lab nodes, on the lab bridge only: an nftables table in the bridge
 * family (namespace ironlb-cp, bridge br0) that drops what one node port forwards to another.
 * Never on the machine's own interfaces. `heal()` removes the table; so does `healAll()` after a
 * crash, since the table has one fixed name.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { NODES } from "./e2e.js";

const TABLE = "ironlb_partition";

const nft = (script: string): void => {
  execFileSync("ip", ["netns", "exec", "ironlb-cp", "nft", "-f", "-"], { input: script });
};

/** Removes every drop rule (idempotent). */
export function healAll(): void {
  nft(`add table bridge ${TABLE}\ndelete table bridge ${TABLE}\n`);
}

/** Drops every frame the bridge forwards from node `from` to node `to` (ports v-<node>). */
export function dropFrames(links: readonly { from: string; to: string }[]): void {
  const rules = links.map(
    (l) => `  add rule bridge ${TABLE} cut iifname "v-${l.from}" oifname "v-${l.to}" drop`,
  );
  nft(
    [
      `add table bridge ${TABLE}`,
      `add chain bridge ${TABLE} cut { type filter hook forward priority 0; policy accept; }`,
      ...rules.map((r) => r.trim()),
      "",
    ].join("\n"),
  );
}

/**
 * The designated backup of a unit keyed `ip`: the runner-up by sha256(node#ip) (the rule in
 * ARCHITECTURE.md, computed here with node:crypto, not with the speaker's code).
 */
export function runnerUp(ip: string): string {
  const hash = (n: string) => createHash("sha256").update(`${n}#${ip}`).digest("hex");
  const [, second] = [...NODES].sort((a, b) => (hash(a) < hash(b) ? -1 : 1));
  if (!second) throw new Error("fewer than two lab nodes");
  return second;
}
