import assert from "node:assert/strict";
import { test } from "node:test";
import { type LabelSelector, parseLabelSelector, selectorMatches } from "./label-selector.js";

const match = (selector: LabelSelector, labels: Record<string, string>): boolean => {
  const parsed = parseLabelSelector(selector);
  assert.ok(parsed.ok, JSON.stringify(selector));
  return selectorMatches(parsed.value, labels);
};

test("selectors match labels like kubectl -l does", () => {
  const cases: [string, LabelSelector, Record<string, string>, boolean][] = [
    ["empty selector matches everything", {}, { any: "thing" }, true],
    ["empty selector matches no labels", {}, {}, true],
    ["matchLabels equal", { matchLabels: { app: "web" } }, { app: "web", x: "y" }, true],
    ["matchLabels differ", { matchLabels: { app: "web" } }, { app: "db" }, false],
    ["matchLabels missing", { matchLabels: { app: "web" } }, {}, false],
    [
      "In hit",
      { matchExpressions: [{ key: "app", operator: "In", values: ["a", "b"] }] },
      { app: "b" },
      true,
    ],
    [
      "In miss",
      { matchExpressions: [{ key: "app", operator: "In", values: ["a"] }] },
      { app: "b" },
      false,
    ],
    ["In absent", { matchExpressions: [{ key: "app", operator: "In", values: ["a"] }] }, {}, false],
    [
      "NotIn absent",
      { matchExpressions: [{ key: "app", operator: "NotIn", values: ["a"] }] },
      {},
      true,
    ],
    [
      "NotIn hit",
      { matchExpressions: [{ key: "app", operator: "NotIn", values: ["a"] }] },
      { app: "a" },
      false,
    ],
    ["Exists", { matchExpressions: [{ key: "tier", operator: "Exists" }] }, { tier: "" }, true],
    ["Exists absent", { matchExpressions: [{ key: "tier", operator: "Exists" }] }, {}, false],
    ["DoesNotExist", { matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, {}, true],
    [
      "labels and expressions are ANDed",
      {
        matchLabels: { foo: "bar" },
        matchExpressions: [{ key: "app", operator: "In", values: ["x"] }],
      },
      { foo: "bar", app: "y" },
      false,
    ],
    [
      "prefixed key",
      { matchLabels: { "example.com/team": "net" } },
      { "example.com/team": "net" },
      true,
    ],
  ];
  for (const [name, selector, labels, want] of cases)
    assert.equal(match(selector, labels), want, name);
});

test("invalid selectors are reported with the field and value", () => {
  const cases: [LabelSelector, string, string, string][] = [
    [
      { matchExpressions: [{ key: "app", operator: "Equals", values: ["a"] }] },
      "BAD_OPERATOR",
      "matchExpressions[0].operator",
      "Equals",
    ],
    [
      { matchExpressions: [{ key: "app", operator: "In" }] },
      "BAD_VALUES",
      "matchExpressions[0].values",
      "",
    ],
    [
      { matchExpressions: [{ key: "app", operator: "Exists", values: ["a"] }] },
      "BAD_VALUES",
      "matchExpressions[0].values",
      "a",
    ],
    [
      { matchExpressions: [{ key: "", operator: "Exists" }] },
      "BAD_KEY",
      "matchExpressions[0].key",
      "",
    ],
    [
      { matchExpressions: [{ key: "a", operator: "In", values: ["bad value"] }] },
      "BAD_VALUE",
      "matchExpressions[0].values",
      "bad value",
    ],
    [{ matchLabels: { "bad key!": "x" } }, "BAD_KEY", "matchLabels.bad key!", "bad key!"],
    [{ matchLabels: { app: "-x" } }, "BAD_VALUE", "matchLabels.app", "-x"],
  ];
  for (const [selector, code, field, value] of cases) {
    const r = parseLabelSelector(selector);
    assert.ok(!r.ok, JSON.stringify(selector));
    assert.deepEqual([r.error.code, r.error.field, r.error.value], [code, field, value]);
    assert.match(r.error.message, new RegExp(field.replace(/[[\].!]/g, "\\$&")));
  }
});
