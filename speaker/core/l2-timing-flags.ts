/**
 * The speaker's L2 timing flags, checked strictly (a typo here silently changes how a VIP is
 * announced, so bad values are refused with the flag and value named, not clamped):
 * - `--garp-refresh-interval-ms` (env IRONLB_GARP_REFRESH_INTERVAL_MS): re-announce owned IPs
 *   this often for as long as they are owned, for switches whose forwarding tables age out before
 *   the router's ARP cache (MetalLB issue 2910). 0 (default) is off; else 1 s to 1 h.
 * - `--probe-backoff-max-ms` (env IRONLB_PROBE_BACKOFF_MAX_MS): the cap of the backoff between
 *   probes of an IP another host answers for (1 s doubling); 1 s to 1 h, default 60 s.
 */
import { err, ok, type Result } from "../../lib/core/result.js";

export const L2_TIMING_FLAGS = {
  "garp-refresh-interval-ms": {
    env: "IRONLB_GARP_REFRESH_INTERVAL_MS",
    default: "0",
    help: "re-announce owned IPs (gratuitous ARP / unsolicited NA) this often; 0 = off, else 1000-3600000",
  },
  "probe-backoff-max-ms": {
    env: "IRONLB_PROBE_BACKOFF_MAX_MS",
    default: "60000",
    help: "longest wait between probes of an IP another host answers for (1000-3600000)",
  },
} as const;

export interface L2Timing {
  /** 0: off. */
  readonly garpRefreshMs: number;
  readonly probeBackoffMaxMs: number;
}

const MIN_MS = 1000;
const MAX_MS = 3_600_000;

function milliseconds(name: string, raw: string, allowZero: boolean): Result<number, string> {
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (allowZero && n === 0) return ok(0);
  if (n >= MIN_MS && n <= MAX_MS) return ok(n);
  const range = `${allowZero ? "0 (off) or " : ""}a whole number of ms from ${MIN_MS} to ${MAX_MS}`;
  return err(`--${name}: "${raw}" must be ${range}`);
}

export function parseL2Timing(
  values: Readonly<Record<keyof typeof L2_TIMING_FLAGS, string>>,
): Result<L2Timing, string> {
  const refresh = milliseconds(
    "garp-refresh-interval-ms",
    values["garp-refresh-interval-ms"],
    true,
  );
  if (!refresh.ok) return refresh;
  const cap = milliseconds("probe-backoff-max-ms", values["probe-backoff-max-ms"], false);
  if (!cap.ok) return cap;
  return ok({ garpRefreshMs: refresh.value, probeBackoffMaxMs: cap.value });
}
