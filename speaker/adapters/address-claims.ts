/**
 * The IPs the L2 announcer holds and where each stands (pure state, time passed in), after
 * RFC 5227 (IPv4) and RFC 4862 DAD (IPv6):
 * - `probing`: probe sent, window open, not answered yet;
 * - `announcing`: answered and announced; a foreign claim is defended (one announcement, at most
 *   once per `defendIntervalMs`, RFC 5227 2.4(c)) and never ends it;
 * - `conflicted`: a foreign host answered the probe: held back (not answered, not announced) and
 *   probed again after a backoff that starts at `backoffStartMs` and doubles up to
 *   `backoffMaxMs`; announced as soon as a probe goes unanswered.
 * IPs are canonical text.
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
  /** When the probe window closes (probing) or the next probe starts (conflicted). */
  until: number;
  probeSent: boolean;
  /** The hold after the next probe conflict. */
  backoffMs: number;
  /** When we last defended it; -Infinity when never. */
  defendedAt: number;
}

export interface ClaimTiming {
  /** How long to listen after a probe before announcing; 0 disables probing. */
  readonly probeWindowMs: number;
  readonly backoffStartMs: number;
  readonly backoffMaxMs: number;
  readonly defendIntervalMs: number;
}

/** RFC 5227's DEFEND_INTERVAL is 10 s; the backoff is IronLB's (1 s doubling, up to 60 s). */
export const DEFAULT_CLAIM_TIMING: ClaimTiming = {
  probeWindowMs: 200,
  backoffStartMs: 1000,
  backoffMaxMs: 60_000,
  defendIntervalMs: 10_000,
};

/**
 * What a foreign claim did: while `probing`, the IP is held for `retryInMs` before the next
 * probe; while `announcing`, `defend` says whether to send one announcement now.
 */
export type ConflictOutcome =
  | { readonly phase: "probing"; readonly retryInMs: number }
  | { readonly phase: "announcing"; readonly defend: boolean };

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
  readonly #timing: ClaimTiming;
  #claims = new Map<string, MutableClaim>();

  /** `probeWindowMs` 0: no probing, new IPs are announced at once. */
  constructor(timing: Partial<ClaimTiming> = {}) {
    const t = { ...DEFAULT_CLAIM_TIMING, ...timing };
    const backoffStartMs = Math.max(1, t.backoffStartMs);
    const backoffMaxMs = Math.max(backoffStartMs, t.backoffMaxMs);
    this.#timing = {
      ...t,
      probeWindowMs: Math.max(0, t.probeWindowMs),
      backoffStartMs,
      backoffMaxMs,
    };
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
   * Moves IPs whose probe window closed by `now` to announcing and held IPs whose backoff is over
   * to probing (their probe is then due, `takeProbes`); returns whether anything moved and when
   * the next window or backoff ends (Infinity when none).
   */
  advance(now: number): { readonly changed: boolean; readonly nextAt: number } {
    let changed = false;
    let nextAt = Infinity;
    for (const claim of this.#claims.values()) {
      if (claim.phase === "announcing") continue;
      if (claim.until > now) {
        nextAt = Math.min(nextAt, claim.until);
        continue;
      }
      changed = true;
      if (claim.phase === "probing") {
        claim.phase = "announcing";
        continue;
      }
      claim.phase = "probing";
      claim.probeSent = false;
      claim.until = now + this.#timing.probeWindowMs;
      nextAt = Math.min(nextAt, claim.until);
    }
    return { changed, nextAt };
  }

  /**
   * A foreign host claims `ip` at `now`: a probing IP is held back (RFC 5227 2.1.1), an
   * announced one stays announced and is defended at most once per defend interval (2.4(c)).
   * Undefined when `ip` is not probing or announcing (not ours, or held already).
   */
  conflict(ip: string, now: number): ConflictOutcome | undefined {
    const claim = this.#claims.get(ip);
    if (claim?.phase === "announcing") {
      const defend = now - claim.defendedAt >= this.#timing.defendIntervalMs;
      if (defend) claim.defendedAt = now;
      return { phase: "announcing", defend };
    }
    if (claim?.phase !== "probing") return undefined;
    const retryInMs = claim.backoffMs;
    claim.phase = "conflicted";
    claim.until = now + retryInMs;
    claim.backoffMs = Math.min(2 * retryInMs, this.#timing.backoffMaxMs);
    return { phase: "probing", retryInMs };
  }

  #fresh(ip: string, now: number, takeover: boolean): MutableClaim {
    const probe = this.#timing.probeWindowMs > 0 && !takeover;
    return {
      ifaces: new Set(),
      phase: probe ? "probing" : "announcing",
      v6: ip.includes(":"),
      until: now + (probe ? this.#timing.probeWindowMs : 0),
      probeSent: !probe,
      backoffMs: this.#timing.backoffStartMs,
      defendedAt: -Infinity,
    };
  }
}
