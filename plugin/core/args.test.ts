import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseArgs } from "./args.js";

describe("parseArgs", () => {
  test("defaults", () => {
    assert.deepEqual(parseArgs(["status"]), {
      ok: true,
      value: {
        command: { kind: "status" },
        kubeconfig: undefined,
        namespace: undefined,
        controllerNamespace: "metallb-system",
        output: "table",
        lbClass: "",
      },
    });
  });

  const good: [string[], Record<string, unknown>][] = [
    [
      ["explain", "svc/web", "-n", "shop"],
      { command: { kind: "explain", service: "web" }, namespace: "shop" },
    ],
    [["explain", "service/web"], { command: { kind: "explain", service: "web" } }],
    [
      ["explain", "web", "--namespace=shop"],
      { command: { kind: "explain", service: "web" }, namespace: "shop" },
    ],
    [["-o", "json", "pools"], { command: { kind: "pools" }, output: "json" }],
    [["status", "--output=yaml", "--kubeconfig", "/k"], { output: "yaml", kubeconfig: "/k" }],
    [["status", "--controller-namespace", "ironlb"], { controllerNamespace: "ironlb" }],
    [["status", "--lb-class", "ironlb.io/l2"], { lbClass: "ironlb.io/l2" }],
    [["status", "-h"], { command: { kind: "help" } }],
    [["--help"], { command: { kind: "help" } }],
  ];
  for (const [argv, want] of good) {
    test(argv.join(" "), () => {
      const got = parseArgs(argv);
      assert.ok(got.ok, JSON.stringify(got));
      for (const [k, v] of Object.entries(want)) {
        assert.deepEqual((got.value as unknown as Record<string, unknown>)[k], v, k);
      }
    });
  }

  const bad: [string[], string][] = [
    [[], "no command given (status, pools or explain)"],
    [["stats"], 'unknown command "stats" (status, pools or explain)'],
    [["status", "extra"], 'status: unexpected argument "extra"'],
    [["explain"], "explain: which Service? give svc/NAME"],
    [["explain", "pod/web"], 'explain: "pod/web" is not a Service; give svc/NAME'],
    [["explain", "svc/Web_1"], 'explain: "Web_1" is not a valid Service name'],
    [["explain", "svc/a", "svc/b"], 'explain: unexpected argument "svc/b"'],
    [["status", "-o", "xml"], '--output "xml": must be one of table, json, yaml'],
    [["status", "-n"], "flag -n needs a value"],
    [["status", "--watch"], 'unknown flag "--watch"'],
    [["status", "-n", "Bad_NS"], '--namespace "Bad_NS": not a namespace name'],
    [["status", "--controller-namespace="], '--controller-namespace "": not a namespace name'],
    [["status", "--kubeconfig="], "--kubeconfig: empty file name"],
  ];
  for (const [argv, message] of bad) {
    test(`refuses ${JSON.stringify(argv)}`, () => {
      assert.deepEqual(parseArgs(argv), { ok: false, error: message });
    });
  }
});
