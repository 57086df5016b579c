/** The PromQL of docs/grafana/ironlb.json and docs/prometheus/ironlb-rules.yaml, for the tests. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../support/lab.js";
import { metricNames } from "../support/tools.js";

export const rulesFile = join(repoRoot, "docs/prometheus/ironlb-rules.yaml");
export const dashboardFile = join(repoRoot, "docs/grafana/ironlb.json");

interface Panel {
  readonly title?: string;
  readonly targets?: readonly { readonly expr?: string }[];
}

/** [where, expr] for every query of every dashboard panel. */
export function dashboardExprs(): [string, string][] {
  const dash = JSON.parse(readFileSync(dashboardFile, "utf8")) as { panels: Panel[] };
  return dash.panels.flatMap((p) =>
    (p.targets ?? []).map((t): [string, string] => [`panel "${p.title}"`, t.expr ?? ""]),
  );
}

/**
 * [where, expr] for every rule: the `expr: >-` blocks of the generated file (folded: the
 * continuation lines are indented deeper than `expr:`).
 */
export function ruleExprs(): [string, string][] {
  const lines = readFileSync(rulesFile, "utf8").split("\n");
  const out: [string, string][] = [];
  let alert = "";
  lines.forEach((line, i) => {
    alert = /^\s*- alert: (\S+)/.exec(line)?.[1] ?? alert;
    const m = /^(\s*)expr: (.*)$/.exec(line);
    if (!m) return;
    const indent = (m[1] ?? "").length;
    if (m[2] !== ">-") return void out.push([`alert ${alert}`, m[2] ?? ""]);
    const indentOf = (l: string): number => l.length - l.trimStart().length;
    const body: string[] = [];
    for (let j = i + 1; j < lines.length && indentOf(lines[j] ?? "") > indent; j++) {
      body.push((lines[j] ?? "").trim());
    }
    out.push([`alert ${alert}`, body.join(" ")]);
  });
  return out;
}

/** A histogram's series (`X_bucket`, `X_sum`, `X_count`) belong to its family `X`. */
const familyOf = (series: string): string => series.replace(/_(bucket|sum|count)$/, "");

/** Metric family -> where the dashboard and the rules read it. */
export function namedMetrics(): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const [where, expr] of [...dashboardExprs(), ...ruleExprs()]) {
    for (const series of metricNames(expr)) {
      const name = familyOf(series);
      names.set(name, [...(names.get(name) ?? []), where]);
    }
  }
  return names;
}

/** Series Prometheus makes itself, not IronLB: the scrape's `up`. */
export const PROMETHEUS_OWN = new Set(["up"]);
