/**
 * The IPs the L2 announcer holds and where each stands (pure state, time passed in):
 * `probing` (probe sent, window open, not answered yet), `announcing`, or `conflicted` (another
 * host uses it: withheld until the caller drops it). IPs are canonical text.
 */
import { canonicalIp } from "../../lib/core/ip.js";

export type ClaimPhase = "probing" | "announcing" | "conflicted";

export interface Claim {
  readonly ifaces: ReadonlySet<string>;
  readonly phase: ClaimPhase;
  readonly v6: boolean;
}

interface MutableClaim {
  ifaces: ReadonlySet<string>;
  phase: ClaimPhase;
  readonly v6: boolean;
  /** When the probe window closes. */
  readonly probeUntil: number;
  probeSent: boolean;
}

/** `ip%iface`, the unit of scheduling and group membership. */
export const placementKey = (ip: string, iface: string): string => `${ip}%${iface}`;
export const splitPlacementKey = (key: string): [ip: string, iface: string] => {
  const at = key.indexOf("%");
  return [key.slice(0, at), key.slice(at + 1)];
};

/** Canonical text of an IP; throws TypeError on anything else (a caller's bug). */
export function canonicalOrThrow(ip: string): string {
  const text = canonicalIp(ip);
  if (text === undefined) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
  return text;
}

export class AddressClaims {
  readonly #probeWindowMs: number;
  #claims = new Map<string, MutableClaim>();

  /** `probeWindowMs` 0: no probing, new IPs are announced at once. */
  constructor(probeWindowMs: number) {
    this.#probeWindowMs = Math.max(0, probeWindowMs);
  }

  /** Replaces the owned set; kept IPs keep their phase, new ones start probing (or announcing). */
  set(
    owned: ReadonlyMap<string, Iterable<string>>,
    takeovers: Iterable<string>,
    now: number,
  ): void {
    const skipProbe = new Set([...takeovers].map(canonicalOrThrow));
    const next = new Map<string, MutableClaim>();
    for (const [raw, ifaces] of owned) {
      const ip = canonicalOrThrow(raw);
      const claim = this.#claims.get(ip) ?? this.#fresh(ip, now, skipProbe.has(ip));
      claim.ifaces = new Set(ifaces);
      next.set(ip, claim);
    }
    this.#claims = next;
  }

  clear(): void {
    this.#claims.clear();
  }

  get(ip: string): Claim | undefined {
    return this.#claims.get(ip);
  }

  /** The interfaces to answer on for `ip`, only while announcing it. */
  readonly answerable = (ip: string): ReadonlySet<string> | undefined => {
    const claim = this.#claims.get(ip);
    return claim?.phase === "announcing" ? claim.ifaces : undefined;
  };

  /** Whether a foreign claim on `ip` is a conflict for us (probing or announcing it). */
  readonly watched = (ip: string): boolean => {
    const phase = this.#claims.get(ip)?.phase;
    return phase === "probing" || phase === "announcing";
  };

  /** Each (IP, claim, link) of the claims in `phases`, on their interfaces found in `links`. */
  *placements<L>(
    phases: readonly ClaimPhase[],
    links: ReadonlyMap<string, L>,
  ): Generator<[string, Claim, L]> {
    for (const [ip, claim] of this.#claims) {
      if (!phases.includes(claim.phase)) continue;
      for (const iface of claim.ifaces) {
        const link = links.get(iface);
        if (link) yield [ip, claim, link];
      }
    }
  }

  /** IPs whose probe is still to be sent; they count as sent from now on. */
  takeProbes(): string[] {
    const ips: string[] = [];
    for (const [ip, claim] of this.#claims) {
      if (claim.probeSent) continue;
      claim.probeSent = true;
      if (claim.phase === "probing") ips.push(ip);
    }
    return ips;
  }

  /**
   * Moves IPs whose probe window closed by `now` to announcing; returns whether any moved and
   * when the next window closes (Infinity when none is open).
   */
  endProbes(now: number): { readonly promoted: boolean; readonly nextEnd: number } {
    let promoted = false;
    let nextEnd = Infinity;
    for (const claim of this.#claims.values()) {
      if (claim.phase !== "probing") continue;
      if (claim.probeUntil <= now) {
        claim.phase = "announcing";
        promoted = true;
      } else nextEnd = Math.min(nextEnd, claim.probeUntil);
    }
    return { promoted, nextEnd };
  }

  /** Withholds `ip`; returns the phase it was in, or undefined if not held or already so. */
  conflict(ip: string): "probing" | "announcing" | undefined {
    const claim = this.#claims.get(ip);
    if (!claim || claim.phase === "conflicted") return undefined;
    const was = claim.phase;
    claim.phase = "conflicted";
    return was;
  }

  #fresh(ip: string, now: number, takeover: boolean): MutableClaim {
    const probe = this.#probeWindowMs > 0 && !takeover;
    return {
      ifaces: new Set(),
      phase: probe ? "probing" : "announcing",
      v6: ip.includes(":"),
      probeUntil: now + (probe ? this.#probeWindowMs : 0),
      probeSent: !probe,
    };
  }
}
