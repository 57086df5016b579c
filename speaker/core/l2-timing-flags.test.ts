import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFlags } from "../../lib/core/flags.js";
import { L2_TIMING_FLAGS, parseL2Timing } from "./l2-timing-flags.js";

const parse = (argv: string[], env: Record<string, string> = {}) => {
  const flags = parseFlags(L2_TIMING_FLAGS, argv, env);
  assert.ok(flags.ok);
  return parseL2Timing(flags.value.values);
};

test("defaults: no refresh, reprobe backoff capped at 60 s; flags and env set them", () => {
  const cases: [string[], Record<string, string>, number, number][] = [
    [[], {}, 0, 60_000],
    [["--garp-refresh-interval-ms=30000"], {}, 30_000, 60_000],
    [
      [],
      { IRONLB_GARP_REFRESH_INTERVAL_MS: "1000", IRONLB_PROBE_BACKOFF_MAX_MS: "4000" },
      1000,
      4000,
    ],
    [["--probe-backoff-max-ms", "3600000"], { IRONLB_PROBE_BACKOFF_MAX_MS: "4000" }, 0, 3_600_000],
  ];
  for (const [argv, env, refresh, cap] of cases) {
    assert.deepEqual(parse(argv, env), {
      ok: true,
      value: { garpRefreshMs: refresh, probeBackoffMaxMs: cap },
    });
  }
});

test("bad values are refused with the flag and the value named", () => {
  const cases: [string[], string][] = [
    [["--garp-refresh-interval-ms=500"], `--garp-refresh-interval-ms: "500" must be 0 (off) or`],
    [["--garp-refresh-interval-ms=-1"], `--garp-refresh-interval-ms: "-1" must be 0 (off) or`],
    [["--garp-refresh-interval-ms=30s"], `--garp-refresh-interval-ms: "30s" must be 0 (off) or`],
    [["--garp-refresh-interval-ms=3600001"], `"3600001" must be 0 (off) or a whole number`],
    [["--probe-backoff-max-ms=0"], `--probe-backoff-max-ms: "0" must be a whole number of ms`],
    [["--probe-backoff-max-ms=1.5e3"], `--probe-backoff-max-ms: "1.5e3" must be`],
    [["--probe-backoff-max-ms="], `--probe-backoff-max-ms: "" must be`],
  ];
  for (const [argv, message] of cases) {
    const r = parse(argv);
    assert.ok(!r.ok, argv[0]);
    assert.ok(r.error.includes(message), `${argv[0]}: ${r.error}`);
  }
});
