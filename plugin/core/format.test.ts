import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatAge, percent, table, usageBar } from "./format.js";

describe("usageBar", () => {
  const cases: [number, number, number, string][] = [
    [0, 51, 10, "[----------]"],
    [51, 51, 10, "[##########]"],
    [1, 51, 10, "[#---------]"], // any use shows
    [50, 51, 10, "[#########-]"], // full only when nothing is free
    [25, 50, 10, "[#####-----]"],
    [3, 4, 4, "[###-]"],
    [0, 0, 4, "[    ]"], // no addresses of this family
    [9, 4, 4, "[####]"], // more used than total (stale status) stays in the box
  ];
  for (const [used, total, width, want] of cases) {
    test(`${used} of ${total}, width ${width}`, () => {
      assert.equal(usageBar(used, total, width), want);
    });
  }
  test("default width is 20 cells", () => assert.equal(usageBar(10, 20).length, 22));
});

describe("percent", () => {
  for (const [used, total, want] of [
    [0, 51, "0%"],
    [50, 51, "98%"],
    [51, 51, "100%"],
    [1, 3, "33%"],
    [0, 0, "-"],
  ] as const) {
    test(`${used}/${total}`, () => assert.equal(percent(used, total), want));
  }
});

describe("formatAge", () => {
  for (const [ms, want] of [
    [0, "<1s"],
    [999, "<1s"],
    [1_000, "1s"],
    [119_999, "119s"],
    [120_000, "2m"],
    [7_199_000, "119m"],
    [7_200_000, "2h"],
    [172_800_000, "2d"],
    [-5, "<1s"],
  ] as const) {
    test(`${ms} ms`, () => assert.equal(formatAge(ms), want));
  }
});

describe("table", () => {
  test("pads each column to its widest cell, three spaces apart, no trailing spaces", () => {
    const out = table(
      ["NAME", "IPS"],
      [
        ["web", "198.18.0.200"],
        ["a-long-name", "-"],
      ],
    );
    assert.equal(
      out,
      ["NAME          IPS", "web           198.18.0.200", "a-long-name   -"].join("\n"),
    );
  });
  test("missing cells are blank", () => {
    assert.equal(table(["A", "B", "C"], [["x"]]), "A   B   C\nx");
  });
});
