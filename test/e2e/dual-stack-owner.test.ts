/**
 * One owner per Service, on the lab: 20 dual-stack and 20 single-stack Services, once announced,
 * cause no ServiceL2Status write over a quiet window, and every Service's addresses, IPv4 and IPv6
 * alike, are answered by one MAC: the eth0 of the node its ServiceL2Status names. (With election
 * per IP, most dual-stack Services had their two families on two nodes, each claiming the record
 * back from the other on every pass.) IRONLB_QUIET_WINDOW_S sets the window (default 60 s).
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { ControlPlane } from "../support/lab.js";
import { rootSkipReason, uniqueName } from "../support/lab.js";
import {
  apply,
  applyNamespacePool,
  removeNamespacePool,
  assertIronlbRunning,
  deploymentYaml,
  ingressIps,
  l2Answerers,
  nodeMac,
  NODES,
  useLab,
} from "../support/e2e.js";
import { eventually } from "../support/processes.js";
import { recordWatchEvents, type WatchEvent } from "../support/watch.js";

const skip = rootSkipReason();
const ns = uniqueName("dual-owner");
const POOL = "dual-owner";
// Apart from the other lab tests' pools (user flow .200-.250, chaos .160-.179).
const ADDRESSES = ["198.18.0.110-198.18.0.159", "2001:db8:18::110-2001:db8:18::15f"];
const STATUS_PATH = "/apis/metallb.io/v1beta1/namespaces/metallb-system/servicel2statuses";
const SELECTOR = `metallb.io/service-namespace=${ns}`;
let cp: ControlPlane;

function quietWindowS(raw = process.env.IRONLB_QUIET_WINDOW_S): number {
  if (raw === undefined || raw === "") return 60;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 3600) {
    throw new Error(`IRONLB_QUIET_WINDOW_S must be whole seconds in 1..3600, got "${raw}"`);
  }
  return n;
}

interface Wanted {
  readonly name: string;
  readonly policy: "RequireDualStack" | "PreferDualStack" | "SingleStack";
  readonly families: string;
  readonly count: number;
}

// Dual-stack both ways round (IPv6 listed first too) and single-stack of either family.
const WANTED: Wanted[] = Array.from({ length: 20 }, (_, i): Wanted[] => [
  i % 2 === 0
    ? { name: `d${i}`, policy: "RequireDualStack", families: "[IPv4, IPv6]", count: 2 }
    : { name: `d${i}`, policy: "PreferDualStack", families: "[IPv6, IPv4]", count: 2 },
  { name: `s${i}`, policy: "SingleStack", families: `[IPv${i % 2 === 0 ? 4 : 6}]`, count: 1 },
]).flat();

const serviceYaml = (w: Wanted): string => `apiVersion: v1
kind: Service
metadata:
  name: ${w.name}
  namespace: ${ns}
  annotations: {metallb.io/address-pool: ${POOL}}
spec:
  type: LoadBalancer
  ipFamilyPolicy: ${w.policy}
  ipFamilies: ${w.families}
  selector: {app: web}
  ports: [{port: 8100, targetPort: 80}]
`;

/** Service name -> its ingress IPs, once every Service has all it asked for. */
async function waitAllIngress(): Promise<Map<string, string[]>> {
  let ips = new Map<string, string[]>();
  await eventually(
    `ingress IPs on all ${WANTED.length} Services`,
    async () => {
      const list = await cp.core.listNamespacedService({ namespace: ns });
      ips = new Map(list.items.map((s) => [s.metadata?.name ?? "", ingressIps(s)]));
      return WANTED.every((w) => (ips.get(w.name)?.length ?? 0) >= w.count);
    },
    60_000,
  );
  return ips;
}

/** Service name -> the node its ServiceL2Status names. */
function recordedNodes(): Map<string, string> {
  const out = cp.kubectl([
    "get",
    "servicel2statuses",
    "-n",
    "metallb-system",
    "-l",
    SELECTOR,
    "-o",
    "jsonpath={range .items[*]}{.status.serviceName}={.status.node}{'\\n'}{end}",
  ]);
  return new Map(
    out
      .split("\n")
      .map((l) => l.split("=") as [string, string])
      .filter(([name, node]) => name && node),
  );
}

/** Problems with who answers each Service's IPs; empty when all is well. */
async function ownerProblems(ips: ReadonlyMap<string, string[]>): Promise<string[]> {
  const macToNode = new Map(NODES.map((n) => [nodeMac(n), n]));
  const recorded = recordedNodes();
  const problems: string[] = [];
  for (const [name, addresses] of ips) {
    const answers = await Promise.all(addresses.map((ip) => l2Answerers(ip)));
    const nodes = answers.map((macs) => macs.map((m) => macToNode.get(m) ?? m).join("+"));
    const summary = addresses.map((ip, i) => `${ip} -> ${nodes[i] || "nobody"}`).join(", ");
    const single = answers.every((macs) => macs.length === 1) && new Set(nodes).size === 1;
    if (!single) problems.push(`${name}: ${summary}`);
    else if (recorded.get(name) !== nodes[0])
      problems.push(
        `${name}: answered by ${nodes[0]}, ServiceL2Status names ${recorded.get(name)}`,
      );
  }
  return problems;
}

describe("one owner per dual-stack Service", { skip }, () => {
  before(() => {
    cp = useLab();
    applyNamespacePool(cp, ns, POOL, ADDRESSES);
    apply(cp, deploymentYaml(ns, "web", 3));
  });

  afterEach(() => assertIronlbRunning());

  after(() => removeNamespacePool(cp, ns, POOL));

  test("no ServiceL2Status write in a quiet window, and one MAC answers all of a Service's IPs", async () => {
    const windowS = quietWindowS();
    apply(cp, WANTED.map(serviceYaml).join("---\n"));
    const ips = await waitAllIngress();
    let missing = "";
    await eventually(
      "every Service recorded in a ServiceL2Status and every IP answered",
      async () => {
        const recorded = recordedNodes();
        const all = [...ips.values()].flat();
        const answered = await Promise.all(all.map(async (ip) => (await l2Answerers(ip)).length));
        const silent = all.filter((_, i) => answered[i] === 0);
        const unrecorded = WANTED.filter((w) => !recorded.has(w.name)).map((w) => w.name);
        missing = `no record: ${unrecorded.join(" ") || "-"}; unanswered: ${silent.join(" ") || "-"}`;
        return unrecorded.length === 0 && silent.length === 0;
      },
      120_000,
    ).catch((e: unknown) => assert.fail(`${String(e)} (${missing})`));
    await new Promise((r) => setTimeout(r, 5_000)); // writes of the last claims land

    // The list's own resourceVersion (kubectl get wraps items in a List without one): the watch
    // then shows only what changes after it, no ADDED event per existing record.
    const listed = cp.kubectl(["get", "--raw", `${STATUS_PATH}?labelSelector=${SELECTOR}`]);
    const rv = (JSON.parse(listed) as { metadata?: { resourceVersion?: string } }).metadata
      ?.resourceVersion;
    assert.ok(rv, `a resourceVersion in the list of ServiceL2Statuses: ${listed.slice(0, 200)}`);
    const watch = recordWatchEvents<{ status?: { serviceName?: string; node?: string } }>(
      cp.kc,
      STATUS_PATH,
      { labelSelector: SELECTOR, resourceVersion: rv },
    );
    await watch.ready;
    const started = Date.now();
    const problems = await ownerProblems(ips); // ARP/NDP from the client, within the window
    await new Promise((r) => setTimeout(r, Math.max(0, started + windowS * 1000 - Date.now())));
    const events = watch.stop();

    const dual = WANTED.filter((w) => w.count === 2).length;
    const describeEvent = (e: WatchEvent<{ status?: { serviceName?: string; node?: string } }>) =>
      `${e.type} ${e.object.status?.serviceName ?? "?"} -> ${e.object.status?.node ?? "?"}`;
    process.stdout.write(
      `# ${dual} dual-stack + ${WANTED.length - dual} single-stack Services: ` +
        `${events.length} ServiceL2Status writes in ${windowS} s, ${problems.length} owner problems\n`,
    );
    assert.deepEqual(problems, [], "each Service answered from exactly its recorded node");
    assert.deepEqual(
      events.map(describeEvent),
      [],
      `no ServiceL2Status write in ${windowS} s of quiet`,
    );
  });
});
