import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFlags } from "./flags.js";

const specs = {
  namespace: { env: "NS", default: "metallb-system", help: "" },
  "lease-seconds": { default: "2", help: "", number: true, min: 1, max: 60 },
} as const;

test("flags: defaults, env, --a=b and --a b forms, flags beat env", () => {
  const cases: [string[], Record<string, string>, string, string][] = [
    [[], {}, "metallb-system", "2"],
    [[], { NS: "lb" }, "lb", "2"],
    [["--namespace=x"], { NS: "lb" }, "x", "2"],
    [["--namespace", "y", "--lease-seconds", "5"], {}, "y", "5"],
  ];
  for (const [argv, env, ns, lease] of cases) {
    const r = parseFlags(specs, argv, env);
    assert.ok(r.ok, argv.join(" "));
    assert.equal(r.value.values.namespace, ns);
    assert.equal(r.value.values["lease-seconds"], lease);
  }
});

test("flags: unsafe numbers are clamped with a warning, bad input names the flag", () => {
  const clamped = parseFlags(specs, ["--lease-seconds=0"], {});
  assert.ok(clamped.ok);
  assert.equal(clamped.value.values["lease-seconds"], "1");
  assert.match(
    clamped.value.warnings[0] ?? "",
    /--lease-seconds=0 is outside the safe range \[1, 60\]/,
  );
  const bad: [string[], RegExp][] = [
    [["--lease-seconds=abc"], /--lease-seconds: "abc" is not a number/],
    [["--nope=1"], /unknown flag --nope/],
    [["--namespace"], /flag --namespace needs a value/],
    [["stray"], /unexpected argument "stray"/],
  ];
  for (const [argv, re] of bad) {
    const r = parseFlags(specs, argv, {});
    assert.ok(!r.ok);
    assert.match(r.error, re);
  }
});
