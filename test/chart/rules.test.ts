/**
 * The alerts (docs/prometheus/ironlb-rules.yaml, generated from the chart) checked and
 * unit-tested by promtool, and the dashboard's queries parsed by promtool; every metric either
 * names is one IronLB's code registers (the lab test checks a live scrape too).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/lab.js";
import { runTool, toolPath } from "../support/tools.js";
import {
  PROMETHEUS_OWN,
  dashboardExprs,
  namedMetrics,
  ruleExprs,
  rulesFile,
} from "./dashboard-rules.js";

test("promtool check rules accepts the rules file", () => {
  const r = runTool(toolPath("promtool"), ["check", "rules", rulesFile]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /SUCCESS: 7 rules found/);
});

test("promtool test rules: each alert fires when it should and only then", () => {
  const r = runTool(toolPath("promtool"), [
    "test",
    "rules",
    join(repoRoot, "test/chart/ironlb-rules.test.yaml"),
  ]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
});

test("every dashboard query is valid PromQL (checked by promtool as recording rules)", () => {
  const dir = mkdtempSync(join(tmpdir(), "ironlb-dash-"));
  try {
    const exprs = dashboardExprs();
    assert.ok(exprs.length >= 10, `only ${exprs.length} queries`);
    const rules = exprs.map(
      ([, expr], i) =>
        `      - record: ironlb:dashboard_query_${i}\n        expr: ${JSON.stringify(expr.replaceAll("$__rate_interval", "5m").replaceAll("$speaker_job", "ironlb-speaker"))}`,
    );
    const file = join(dir, "dashboard.yaml");
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join("\n")}\n`);
    const r = runTool(toolPath("promtool"), ["check", "rules", file]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every metric the dashboard and the alerts read is registered by IronLB's code", () => {
  // Oracle: the metric name literals of the two metrics adapters, read as text.
  const registered = new Set(
    ["controller/adapters/metrics.ts", "speaker/adapters/metrics.ts"].flatMap((f) =>
      [
        ...readFileSync(join(repoRoot, f), "utf8").matchAll(/"((?:metallb|ironlb)_[a-z0-9_]+)"/g),
      ].map((m) => m[1] ?? ""),
    ),
  );
  assert.ok(registered.size >= 10, [...registered].join(", "));
  const named = namedMetrics();
  assert.ok(ruleExprs().length === 7 && named.size >= 10, [...named.keys()].join(", "));
  const unknown = [...named].filter(([n]) => !registered.has(n) && !PROMETHEUS_OWN.has(n));
  assert.deepEqual(unknown, []);
});
