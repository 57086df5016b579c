import assert from "node:assert/strict";
import { test } from "node:test";
import { type DocEntry, parseHistory, updateDoc } from "./docs.js";

const entry = (over: Partial<DocEntry>): DocEntry => ({
  name: "demo",
  title: "Demo bench",
  target: "p99 <= 100 ms",
  figures: [{ label: "p99", unit: "ms", value: 120, target: "<= 100", met: false }],
  markdown: "details one",
  date: "2025-01-01 10:00 UTC",
  commit: "aaaaaaa",
  machine: "2 cores",
  machineDetails: "test machine",
  ...over,
});

const block = (doc: string): string =>
  doc.slice(doc.indexOf("<!-- bench:demo start"), doc.indexOf("<!-- bench:demo end -->"));

test("a benchmark without a section gets one at the end, after the text already there", () => {
  const doc = updateDoc("# Benchmarks\n\nIntro.\n", entry({}));
  assert.match(doc, /^# Benchmarks\n\nIntro\.\n\n## Demo bench\n\n<!-- bench:demo start/);
  assert.deepEqual(parseHistory(block(doc)).rows, [
    { date: "2025-01-01 10:00 UTC", commit: "aaaaaaa", machine: "2 cores", "p99 (ms)": "120 ✗" },
  ]);
  assert.match(doc, /details one/);
});

test("a second run appends a row, compares with the previous one and keeps text outside", () => {
  const first = updateDoc("# B\n", entry({})) + "\nAnalysis written by hand.\n";
  const second = updateDoc(
    first,
    entry({
      date: "2025-01-02 10:00 UTC",
      commit: "bbbbbbb",
      figures: [
        { label: "p99", unit: "ms", value: 80, target: "<= 100", met: true },
        { label: "max", unit: "ms", value: 300 },
      ],
      markdown: "details two",
    }),
  );
  const rows = parseHistory(block(second)).rows;
  assert.deepEqual(
    rows.map((r) => [r.commit, r["p99 (ms)"], r["max (ms)"]]),
    [
      ["aaaaaaa", "120 ✗", "—"],
      ["bbbbbbb", "80.0 ✓", "300"],
    ],
  );
  assert.match(second, /\| p99 \(ms\) \| <= 100 \| 80\.0 ✓ \| 120 ✗ \|/);
  assert.doesNotMatch(second, /details one/);
  assert.match(second, /details two/);
  assert.match(second, /<!-- bench:demo end -->\n\nAnalysis written by hand\.\n$/);
});
