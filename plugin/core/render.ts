/** The three reports as text: tables by default, or the same data as JSON or YAML. Pure. */
import { stringify } from "yaml";
import type { OutputFormat } from "./args.js";
import type { Explanation } from "./explain.js";
import type { Finding } from "./finding.js";
import { formatAge, percent, table, usageBar } from "./format.js";
import type { FamilyCount } from "./model.js";
import type { PoolUsage, ServiceRow, SpeakerState, StatusReport } from "./status.js";

/** JSON (2-space) or YAML of any report; undefined fields are left out of both. */
export function serialize(data: unknown, format: Exclude<OutputFormat, "table">): string {
  const json = JSON.stringify(data, null, 2);
  return format === "json" ? json : stringify(JSON.parse(json)).trimEnd();
}

const count = (c: FamilyCount | undefined, key: keyof FamilyCount): string =>
  c === undefined ? "-" : String(c[key]);

function poolsTable(pools: readonly PoolUsage[]): string {
  const rows = pools.map((p) => [
    p.name,
    p.autoAssign ? "true" : "false",
    count(p.IPv4, "used"),
    count(p.IPv4, "free"),
    count(p.IPv6, "used"),
    count(p.IPv6, "free"),
  ]);
  const headers = ["POOL", "AUTO ASSIGN", "IPv4 USED", "IPv4 FREE", "IPv6 USED", "IPv6 FREE"];
  return table(headers, rows);
}

const externalIp = (s: ServiceRow): string =>
  s.ips.length > 0 ? s.ips.join(",") : `<pending: ${s.pending}>`;

function servicesTable(services: readonly ServiceRow[]): string {
  const rows = services.map((s) => [
    s.namespace,
    s.name,
    externalIp(s),
    s.pool ?? "-",
    s.nodes.join(",") || "-",
    s.interfaces.join(",") || "-",
  ]);
  return table(["NAMESPACE", "NAME", "EXTERNAL-IP", "POOL", "NODE", "INTERFACE"], rows);
}

function speakersTable(speakers: readonly SpeakerState[]): string {
  const rows = speakers.map((s) => [
    s.node,
    s.live ? "yes" : "no",
    s.renewedAgoMs === undefined ? "never" : `${formatAge(s.renewedAgoMs)} ago`,
  ]);
  return table(["SPEAKER", "LIVE", "LEASE RENEWED"], rows);
}

const problemsOf = (pools: readonly PoolUsage[]): string[] =>
  pools.flatMap((p) => p.problems.map((x) => `pool ${p.name}: ${x}`));

const orNone = (items: readonly unknown[], text: string, what: string): string =>
  items.length > 0 ? text : `No ${what}.`;

export function renderStatus(report: StatusReport): string {
  return [
    orNone(report.pools, poolsTable(report.pools), "IPAddressPools"),
    ...problemsOf(report.pools),
    "",
    orNone(report.services, servicesTable(report.services), "LoadBalancer Services"),
    "",
    orNone(report.speakers, speakersTable(report.speakers), "speaker Leases"),
  ].join("\n");
}

function usageCells(c: FamilyCount): string[] {
  const total = c.used + c.free;
  return [String(c.used), String(total), `${usageBar(c.used, total)} ${percent(c.used, total)}`];
}

export function renderPools(pools: readonly PoolUsage[]): string {
  const rows = pools.flatMap((p) => {
    const families = (["IPv4", "IPv6"] as const).filter((f) => p[f] !== undefined);
    const addresses = p.addresses.join(",");
    if (families.length === 0)
      return [[p.name, "-", "-", "-", "(no usage in status yet)", addresses]];
    return families.map((f, i) => [
      i === 0 ? p.name : "",
      f,
      ...usageCells(p[f] ?? { used: 0, free: 0 }),
      i === 0 ? addresses : "",
    ]);
  });
  const headers = ["POOL", "FAMILY", "USED", "TOTAL", "USAGE", "ADDRESSES"];
  return [orNone(pools, table(headers, rows), "IPAddressPools"), ...problemsOf(pools)].join("\n");
}

const LABEL: Readonly<Record<Finding["severity"], string>> = {
  ok: "OK",
  problem: "PROBLEM",
  note: "NOTE",
};

function findingLines(f: Finding): string[] {
  const indent = " ".repeat(9);
  const next = f.next === undefined ? [] : [`${indent}next: ${f.next}`];
  return [`${LABEL[f.severity].padEnd(9)}${f.text}`, ...f.details.map((d) => indent + d), ...next];
}

export function renderExplanation(e: Explanation): string {
  const state = e.healthy ? "no problem found" : "has a problem";
  const lines = [`Service ${e.service}: ${state}`, ...e.findings.flatMap(findingLines)];
  if (e.nodes.length > 0) lines.push("", "Nodes:", ...e.nodes.map((n) => `  ${n.text}`));
  if (e.events.length > 0) {
    const rows = e.events.map((ev) => [
      ev.ageMs === undefined ? "?" : formatAge(ev.ageMs),
      ev.type,
      ev.count > 1 ? `${ev.reason} (x${ev.count})` : ev.reason,
      `${ev.meaning}: ${ev.message}`,
    ]);
    lines.push("", "Events (newest first):", table(["AGE", "TYPE", "REASON", "MEANING"], rows));
  }
  return lines.join("\n");
}
