/**
 * FRR's `show bgp neighbors json` reduced to what metrics and ServiceBGPStatus need: per neighbor
 * address, whether the session is Established, how many prefixes were sent to it and how many
 * UPDATE messages. Pure; anything that is not the expected shape reads as a session that is down.
 */
import { canonicalIp } from "../../../lib/core/ip.js";

export interface SessionState {
  /** Canonical neighbor address. */
  readonly address: string;
  readonly state: string;
  readonly up: boolean;
  readonly prefixesSent: number;
  readonly updatesSent: number;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function session(address: string, raw: unknown): SessionState {
  const n = record(raw);
  const state = typeof n.bgpState === "string" ? n.bgpState : "Unknown";
  const families = Object.values(record(n.addressFamilyInfo));
  return {
    address,
    state,
    up: state === "Established",
    prefixesSent: families.reduce((sum: number, af) => sum + num(record(af).sentPrefixCounter), 0),
    updatesSent: num(record(n.messageStats).updatesSent),
  };
}

/** Sessions by canonical address; keys that are not addresses (FRR's own fields) are skipped. */
export function parseNeighbors(json: string): Map<string, SessionState> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return new Map();
  }
  const out = new Map<string, SessionState>();
  for (const [key, value] of Object.entries(record(parsed))) {
    const address = canonicalIp(key);
    if (address !== undefined) out.set(address, session(address, value));
  }
  return out;
}
