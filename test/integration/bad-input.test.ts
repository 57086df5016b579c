/**
 * A corpus of bad pools, advertisements and Services (fixtures/bad-input/) applied against the lab
 * apiserver with the test's own controller: each case is refused by `kubectl apply` naming the
 * field, or accepted and reported (pool status; Service condition and Warning event) naming the
 * field and the value, with no IP assigned. Meanwhile nothing else changes: the controller keeps
 * running, a control Service keeps its IP (not even rewritten), a good pool keeps its counts.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CustomObjectsApi, type V1Service } from "@kubernetes/client-node";
import {
  ALLOCATED_FROM_POOL,
  IP_ALLOCATED_CONDITION,
  type IPAddressPool,
} from "../../lib/api/metallb.js";
import {
  type ControlPlane,
  kubeconfigPath,
  repoRoot,
  rootSkipReason,
  uniqueName,
  useControlPlane,
} from "../support/lab.js";
import {
  kubectlAsync,
  kubectlThroughOutage,
  type KubectlResult,
  mustKubectl,
  readThroughOutage,
  settle,
} from "../support/outage-tolerant.js";
import { startController, type RunningProcess } from "../support/processes.js";
import { l2AdvertisementCases } from "./fixtures/bad-input/advertisements.js";
import {
  type Case,
  CONTROL_IP,
  CONTROL_KEY,
  type CorpusContext,
  GOOD_POOL,
  GOOD_RANGE,
  isRefused,
  OTHER_POOL,
  OTHER_RANGE,
  type Reported,
} from "./fixtures/bad-input/corpus.js";
import { poolCases } from "./fixtures/bad-input/pools.js";
import { serviceCases, serviceManifest } from "./fixtures/bad-input/services.js";

const skip = rootSkipReason();
const poolNs = uniqueName("bad-lb"); // the test controller's namespace: only it reads these pools
const svcNs = uniqueName("bad-svc");
const ctx: CorpusContext = { poolNs, svcNs, lbClass: `ironlb.io/${poolNs}` };
const METALLB = "metallb.io/v1beta1";
let cp: ControlPlane;
let controller: (RunningProcess & { port: number }) | undefined;

const apply = (manifest: unknown): Promise<KubectlResult> =>
  kubectlThroughOutage(["apply", "-f", "-"], JSON.stringify(manifest));

/** Applies every case, 4 at a time; the results by case name. */
async function applyAll(cases: readonly Case[]): Promise<Map<string, KubectlResult>> {
  const results = new Map<string, KubectlResult>();
  const queue = [...cases];
  const worker = async (): Promise<void> => {
    for (let c = queue.shift(); c; c = queue.shift()) results.set(c.name, await apply(c.manifest));
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return results;
}

/** What is wrong with how `kubectl apply` took the case, if anything. */
function misapplied(c: Case, result: KubectlResult | undefined): string | undefined {
  const stderr = result?.stderr.trim() ?? "";
  if (!isRefused(c.expect)) return result?.ok ? undefined : `refused (${stderr}), not reported`;
  if (result?.ok) return `accepted, expected a refusal naming ${c.expect.refused}`;
  return stderr.includes(c.expect.refused)
    ? undefined
    : `refused without naming ${c.expect.refused}: ${stderr}`;
}

/** What `message` fails to name of `expect`, if anything. */
function misreport(message: string, expect: Reported): string | undefined {
  const wanted = [expect.reported, ...(expect.also ?? [])];
  if (expect.value !== undefined) wanted.push(`"${expect.value}"`);
  const missing = wanted.filter((w) => !message.includes(w));
  if (missing.length === 0) return undefined;
  return `${JSON.stringify(message)} lacks ${missing.join(", ")}`;
}

const listPools = async (): Promise<IPAddressPool[]> => {
  const list = (await cp.kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: "metallb.io",
    version: "v1beta1",
    namespace: poolNs,
    plural: "ipaddresspools",
  })) as { items: IPAddressPool[] };
  return list.items;
};
const listServices = async (): Promise<V1Service[]> =>
  (await cp.core.listNamespacedService({ namespace: svcNs })).items;
const named = <T extends { metadata?: { name?: string } }>(items: T[], name: string) =>
  items.find((i) => i.metadata?.name === name);
const ingressOf = (s: V1Service | undefined): string =>
  (s?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "").join(",");
const allocatedOf = (s: V1Service | undefined) =>
  s?.status?.conditions?.find((c) => c.type === IP_ALLOCATED_CONDITION);
const validOf = (p: IPAddressPool | undefined) =>
  p?.status?.conditions?.find((c) => c.type === "Valid");
const countsOf = (p: IPAddressPool | undefined): string =>
  JSON.stringify([p?.status?.assignedIPv4, p?.status?.availableIPv4, p?.status?.assigned]);

/** Warning AllocationFailed messages by Service name. */
async function allocationWarnings(): Promise<Map<string, string[]>> {
  const warnings = new Map<string, string[]>();
  for (const e of (await cp.core.listNamespacedEvent({ namespace: svcNs })).items) {
    if (e.type !== "Warning" || e.reason !== "AllocationFailed") continue;
    const name = e.involvedObject.name ?? "";
    warnings.set(name, [...(warnings.get(name) ?? []), e.message ?? ""]);
  }
  return warnings;
}

/** Samples the control Service until stopped; returns the samples without exactly CONTROL_IP. */
function watchControl(): { stop: () => Promise<string[]> } {
  const odd: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const svc = await cp.core
        .readNamespacedService({ name: "control", namespace: svcNs })
        .catch(() => undefined); // apiserver away: no sample
      if (svc && ingressOf(svc) !== CONTROL_IP) odd.push(`${Date.now()}: "${ingressOf(svc)}"`);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return { stop: async () => ((running = false), await loop, odd) };
}

/** The two valid pools (one serving the test's namespace, one another) and their advertisement. */
async function applyGoodConfig(): Promise<void> {
  const pool = (name: string, range: string, ns: string) => ({
    apiVersion: METALLB,
    kind: "IPAddressPool",
    metadata: { name, namespace: poolNs },
    spec: { addresses: [range], avoidBuggyIPs: true, serviceAllocation: { namespaces: [ns] } },
  });
  const metadata = { name: "good", namespace: poolNs };
  const adv = { apiVersion: METALLB, kind: "L2Advertisement", metadata };
  for (const manifest of [
    pool(GOOD_POOL, GOOD_RANGE, svcNs),
    pool(OTHER_POOL, OTHER_RANGE, `${svcNs}-other`),
    { ...adv, spec: { ipAddressPools: [GOOD_POOL, OTHER_POOL] } },
  ]) {
    await mustKubectl(["apply", "-f", "-"], JSON.stringify(manifest));
  }
}

describe("bad input is refused or reported, and changes nothing else", { skip }, () => {
  let control: ReturnType<typeof watchControl> | undefined;
  let goodCounts = "";
  let controlVersion: string | undefined;

  before(async () => {
    if (existsSync(kubeconfigPath)) {
      // A fault test may be restarting the apiserver: wait for it rather than start a lab.
      const readyz = async () => (await kubectlAsync(["get", "--raw", "/readyz"])).ok;
      await settle("the lab apiserver", readyz, 60_000).catch(() => undefined);
    }
    cp = useControlPlane();
    await mustKubectl(["apply", "-f", join(repoRoot, "crds")]);
    await mustKubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=30s"]);
    for (const name of [poolNs, svcNs]) {
      const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name } };
      await mustKubectl(["apply", "-f", "-"], JSON.stringify(ns));
    }
    await applyGoodConfig();
    controller = await startController({
      namespace: poolNs,
      extraArgs: ["--lb-class", ctx.lbClass],
    });
    const annotations = {
      "metallb.io/address-pool": GOOD_POOL,
      "metallb.io/allow-shared-ip": CONTROL_KEY,
    };
    assert.ok((await apply(serviceManifest(ctx, "control", annotations))).ok);
    await settle("the control Service's IP", async () => {
      const svc = named(await listServices(), "control");
      controlVersion = svc?.metadata?.resourceVersion;
      // The pool annotation is the last write of an allocation (after the status).
      const pool = svc?.metadata?.annotations?.[ALLOCATED_FROM_POOL];
      return ingressOf(svc) === CONTROL_IP && pool === GOOD_POOL;
    });
    await settle("the good pool's counts", async () => {
      const good = named(await listPools(), GOOD_POOL);
      goodCounts = countsOf(good);
      return good?.status?.assignedIPv4 === 1 && validOf(good)?.status === "True";
    });
    control = watchControl();
  });

  after(async () => {
    await control?.stop();
    await controller?.stop();
    for (const ns of [poolNs, svcNs]) {
      await kubectlThroughOutage(["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
    }
  });

  test("IPAddressPools: refused at apply, or Valid=False naming the field and value", async () => {
    const cases = poolCases(ctx);
    const applied = await applyAll(cases);
    const failures = cases.flatMap((c) => misapplied(c, applied.get(c.name)) ?? []);
    const accepted = cases.filter((c) => applied.get(c.name)?.ok);
    let pools: IPAddressPool[] = [];
    await settle("a Valid condition on every accepted pool", async () => {
      pools = await listPools();
      return accepted.every((c) => validOf(named(pools, c.name)));
    });
    for (const c of cases) {
      const pool = named(pools, c.name);
      if (!applied.get(c.name)?.ok) {
        if (pool) failures.push(`${c.name}: refused, yet stored`);
        continue;
      }
      const valid = validOf(pool);
      const why =
        valid?.status === "False" && !isRefused(c.expect)
          ? misreport(valid.message, c.expect)
          : `Valid=${valid?.status ?? "none"}: ${valid?.message ?? ""}`;
      if (why) failures.push(`${c.name}: ${why}`);
      if (pool?.status?.assignedIPv4 || pool?.status?.assignedIPv6) {
        failures.push(`${c.name}: has assigned addresses`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} pool cases failed`);
  });

  test("L2Advertisements: refused at apply (they have no status to report in)", async () => {
    const cases = l2AdvertisementCases(ctx);
    const applied = await applyAll(cases);
    const failures = cases.flatMap((c) => {
      const why = isRefused(c.expect) ? misapplied(c, applied.get(c.name)) : "expects no refusal";
      return why ? [`${c.name}: ${why}`] : [];
    });
    const n = cases.length;
    assert.deepEqual(failures, [], `${failures.length} of ${n} advertisement cases failed`);
  });

  test("Services: refused at apply, or no IP, a condition and a Warning naming field and value", async () => {
    const cases = serviceCases(ctx);
    const applied = await applyAll(cases);
    const failures = cases.flatMap((c) => {
      const why = misapplied(c, applied.get(c.name));
      return why ? [`${c.name}: ${why}`] : [];
    });
    const accepted = cases.filter((c) => applied.get(c.name)?.ok);
    let services: V1Service[] = [];
    await settle("an IPAllocated condition on every accepted Service", async () => {
      services = await listServices();
      return accepted.every((c) => allocatedOf(named(services, c.name)));
    });
    let warnings = new Map<string, string[]>();
    await settle("an AllocationFailed event for every accepted Service", async () => {
      warnings = await allocationWarnings();
      return accepted.every((c) => warnings.has(c.name));
    });
    for (const c of accepted) {
      const expect = c.expect as Reported;
      const svc = named(services, c.name);
      const condition = allocatedOf(svc);
      if (ingressOf(svc) !== "") failures.push(`${c.name}: got IP ${ingressOf(svc)}`);
      if (condition?.status !== "False" || condition.reason !== expect.reason) {
        const got = `${condition?.status ?? ""} ${condition?.reason ?? ""}`;
        failures.push(`${c.name}: expected False ${expect.reason ?? ""}, got ${got}`);
        continue;
      }
      const why = misreport(condition.message, expect);
      if (why) failures.push(`${c.name}: ${why}`);
      if (!warnings.get(c.name)?.includes(condition.message)) {
        failures.push(`${c.name}: no Warning event with the condition's message`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} Service cases failed`);
  });

  test("afterwards: same controller process, the control Service and good pool unchanged", async () => {
    const running = new Promise((r) => setTimeout(r, 100, "running"));
    const state = await Promise.race([controller?.exited, running]);
    assert.equal(state, "running", `controller exited (${String(state)}): ${controller?.logPath}`);
    const ready = await fetch(`http://127.0.0.1:${controller?.port ?? 0}/readyz`);
    assert.equal(ready.status, 200, "controller /readyz");
    const odd = (await control?.stop()) ?? [];
    control = undefined;
    assert.deepEqual(odd, [], "samples of the control Service without exactly its IP");
    const svc = named(await readThroughOutage("Services", listServices), "control");
    assert.equal(ingressOf(svc), CONTROL_IP);
    assert.equal(svc?.metadata?.resourceVersion, controlVersion, "the control Service changed");
    const events = await readThroughOutage("events", () =>
      cp.core.listNamespacedEvent({
        namespace: svcNs,
        fieldSelector: "involvedObject.name=control",
      }),
    );
    const seen = events.items.map((e) => `${e.type ?? ""} ${e.reason ?? ""}`);
    assert.deepEqual(seen, ["Normal IPAllocated"], "the control Service's events");
    const good = named(await readThroughOutage("pools", listPools), GOOD_POOL);
    assert.equal(countsOf(good), goodCounts, "the good pool's counts");
    assert.equal(validOf(good)?.status, "True");
  });
});
