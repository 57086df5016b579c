/**
 * The Helm chart charts/ironlb, without a cluster: helm lint, values refused by
 * values.schema.json (or by the chart) with the field named, what the values change in the
 * rendered objects, and the files generated from the chart being up to date.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { repoRoot } from "../support/lab.js";
import { chartDir, helm, type ToolRun } from "../support/tools.js";

let h: ReturnType<typeof helm>;
before(() => {
  h = helm();
});
after(() => h.cleanup());

const template = (...args: string[]): ToolRun =>
  h.run(["template", "ironlb", chartDir, "--namespace", "metallb-system", ...args]);

/** The kinds of the rendered objects, in order ("kind: X" at the start of a line). */
const kinds = (yaml: string): string[] =>
  [...yaml.matchAll(/^kind: (\S+)$/gm)].map((m) => m[1] ?? "");

test("make manifests output is up to date: CRDs, install manifest, rules file", () => {
  execFileSync("bash", [join(repoRoot, "manifests/build.sh"), "--check"], { stdio: "pipe" });
});

describe("helm lint", () => {
  const cases: [string, string[]][] = [
    ["default values", []],
    ["without workloads", ["--set", "workloads.enabled=false"]],
    [
      "with namespace, monitoring and every knob",
      [
        "--set",
        "namespace.create=true,serviceMonitor.enabled=true,prometheusRule.enabled=true",
        "--set",
        "speaker.logLevel=debug,speaker.lease.renewMs=1000,speaker.lease.durationMs=3000",
        "--set",
        "controller.logLevel=warn,controller.loadBalancerClass=ironlb,image.pullPolicy=Always",
      ],
    ],
  ];
  for (const [name, args] of cases) {
    test(name, () => {
      const r = h.run(["lint", "--strict", chartDir, ...args]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    });
  }
});

describe("bad values are refused with the field named", () => {
  const cases: [string[], RegExp[]][] = [
    [["speaker.logLevel=loud"], [/speaker/, /logLevel/, /loud|enum|must be one of/i]],
    [["controller.logLevel=verbose"], [/controller/, /logLevel/]],
    [["speaker.lease.renewMs=50"], [/renewMs/, /minimum|>= ?100|100/]],
    [["speaker.lease.durationMs=120000"], [/durationMs/, /maximum|60000/]],
    [["speaker.lease.renewMs=fast"], [/renewMs/]],
    [
      ["speaker.lease.renewMs=400,speaker.lease.durationMs=500"],
      [/speaker\.lease\.durationMs \(500\) must be at least twice speaker\.lease\.renewMs \(400\)/],
    ],
    [["controller.resouces.limits.memory=1Gi"], [/resouces/]],
    [["prometheusRule.pendingFor=5 minutes"], [/pendingFor/]],
    [["prometheusRule.poolUsageThreshold=90"], [/poolUsageThreshold/]],
    [["image.pullPolicy=Sometimes"], [/pullPolicy/]],
    [["bgp.enabled=true"], [/bgp/]],
    [["controller.replicas=0"], [/replicas/]],
    [["controller.antiAffinity=sometimes"], [/antiAffinity/]],
    [["controller.leaderElection.retryPeriodSeconds=0"], [/retryPeriodSeconds/]],
  ];
  for (const [set, want] of cases) {
    test(set.join(","), () => {
      const r = template("--set", set.join(","));
      assert.notEqual(r.code, 0, `accepted:\n${r.stdout.slice(0, 400)}`);
      for (const re of want) assert.match(r.stderr, re);
    });
  }
});

describe("what the values render", () => {
  test("default values: CRDs only with --include-crds, no Namespace, both workloads", () => {
    const r = template();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(kinds(r.stdout).sort(), [
      "ClusterRole",
      "ClusterRole",
      "ClusterRoleBinding",
      "ClusterRoleBinding",
      "ConfigMap",
      "DaemonSet",
      "Deployment",
      "Role",
      "Role",
      "RoleBinding",
      "RoleBinding",
      "ServiceAccount",
      "ServiceAccount",
    ]);
    assert.doesNotMatch(
      r.stdout,
      /METALLB_LOG_LEVEL|IRONLB_LEASE/,
      "unset knobs keep the binaries' defaults",
    );
  });

  test("workloads.enabled=false: no Deployment or DaemonSet, RBAC and ConfigMap kept", () => {
    const r = template("--set", "workloads.enabled=false");
    assert.equal(r.code, 0, r.stderr);
    const k = kinds(r.stdout);
    assert.ok(!k.includes("Deployment") && !k.includes("DaemonSet"), k.join(","));
    assert.ok(k.includes("ClusterRole") && k.includes("ConfigMap"), k.join(","));
  });

  test("release name prefixes the cluster-wide RBAC; the namespace is the release's", () => {
    const r = h.run(["template", "lb2", chartDir, "--namespace", "lb-two"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}name: "lb2:controller"$/m);
    assert.match(r.stdout, /^ {2}name: "lb2:speaker"$/m);
    assert.match(r.stdout, /\{ kind: ServiceAccount, name: speaker, namespace: lb-two \}/);
    assert.doesNotMatch(r.stdout, /metallb-system/);
  });

  test("speaker and controller knobs become the binaries' env variables", () => {
    const r = template(
      "--set",
      "speaker.logLevel=debug,speaker.lease.renewMs=1000,speaker.lease.durationMs=3000",
      "--set",
      "controller.logLevel=warn,controller.loadBalancerClass=ironlb.io/lb,image.tag=9.9.9",
      "--set",
      "speaker.l2.excludeInterfaces=lo\\,eth9*",
      "--set-json",
      'speaker.nodeSelector={"lb":"yes"}',
      "--set-json",
      'speaker.tolerations=[{"key":"edge","operator":"Exists"}]',
    );
    assert.equal(r.code, 0, r.stderr);
    for (const line of [
      '- { name: METALLB_LOG_LEVEL, value: "debug" }',
      '- { name: IRONLB_LEASE_RENEW_MS, value: "1000" }',
      '- { name: IRONLB_LEASE_DURATION_MS, value: "3000" }',
      '- { name: METALLB_LOG_LEVEL, value: "warn" }',
      '- { name: METALLB_LB_CLASS, value: "ironlb.io/lb" }',
      "image: ghcr.io/ironlb/ironlb:9.9.9",
      'excludeInterfaces: "lo,eth9*"',
      'lb: "yes"',
      '- {"key":"edge","operator":"Exists"}',
    ]) {
      assert.ok(r.stdout.includes(line), `missing ${line}`);
    }
    assert.doesNotMatch(r.stdout, /control-plane/, "tolerations replace the default");
  });

  test("controller HA: replicas, podAntiAffinity by hostname, leader election flags", () => {
    const deployment = (...set: string[]): string => {
      const r = template(...set.flatMap((x) => ["--set", x]), "-s", "templates/controller.yaml");
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const byDefault = deployment();
    assert.match(byDefault, /^ {2}replicas: 2$/m);
    assert.match(byDefault, /preferredDuringSchedulingIgnoredDuringExecution/);
    assert.match(byDefault, /topologyKey: kubernetes\.io\/hostname/);
    assert.match(byDefault, /- --leader-elect=true$/m);
    assert.match(byDefault, /fieldPath: metadata\.name/, "POD_NAME, the holderIdentity");
    assert.doesNotMatch(byDefault, /--leader-elect-lease-duration/, "the binary's defaults");
    const required = deployment("controller.antiAffinity=required,controller.replicas=3");
    assert.match(required, /^ {2}replicas: 3$/m);
    assert.match(required, /requiredDuringSchedulingIgnoredDuringExecution/);
    const single = deployment("controller.replicas=1,controller.leaderElection.enabled=false");
    assert.doesNotMatch(single, /podAntiAffinity/);
    assert.match(single, /- --leader-elect=false$/m);
    const timed = deployment(
      "controller.leaderElection.leaseDurationSeconds=30,controller.leaderElection.renewDeadlineSeconds=20,controller.leaderElection.retryPeriodSeconds=4",
    );
    for (const flag of ["lease-duration=30", "renew-deadline=20", "retry-period=4"]) {
      assert.match(timed, new RegExp(`- --leader-elect-${flag}$`, "m"));
    }
  });

  test("serviceMonitor and prometheusRule render the Operator's objects", () => {
    const r = template(
      "--set",
      "serviceMonitor.enabled=true,prometheusRule.enabled=true,serviceMonitor.jobs.speaker=spk",
    );
    assert.equal(r.code, 0, r.stderr);
    const k = kinds(r.stdout);
    assert.equal(k.filter((x) => x === "ServiceMonitor").length, 2);
    assert.equal(k.filter((x) => x === "Service").length, 2);
    assert.equal(k.filter((x) => x === "PrometheusRule").length, 1);
    assert.match(r.stdout, /replacement: "spk"/);
    assert.match(r.stdout, /expr: up\{job="spk"\} == 0/);
  });
});
