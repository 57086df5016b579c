import assert from "node:assert/strict";
import { test } from "node:test";
import { metricNames } from "./tools.js";

test("metricNames finds the metrics of a PromQL expression, not its functions or labels", () => {
  const cases: [string, string[]][] = [
    ["up", ["up"]],
    ['up{job="ironlb-speaker"} == 0', ["up"]],
    [
      "metallb_allocator_addresses_in_use_total / (metallb_allocator_addresses_total > 0) >= 0.9",
      ["metallb_allocator_addresses_in_use_total", "metallb_allocator_addresses_total"],
    ],
    [
      'sum by (outcome) (rate(ironlb_controller_reconciles_total{outcome="retry"}[$__rate_interval]))',
      ["ironlb_controller_reconciles_total"],
    ],
    ['absent(up{job="x", instance=~"a{1}"} == 1)', ["up"]],
    ["count without (ip, service) (metallb_speaker_announced)", ["metallb_speaker_announced"]],
    ["made_up_function(foo_total[5m])", ["foo_total", "made_up_function"]],
  ];
  for (const [expr, want] of cases) assert.deepEqual(metricNames(expr), want, expr);
});
