/**
 * Chaos on the lab, reproducible from the printed seed: random Service creates and deletes of
 * every kind, pool and L2Advertisement edits, controller and speaker kills and restarts,
 * kube-apiserver and etcd restarts. After every operation the Services are read back and judged
 * (no IP held by two Services that may not share it; no assigned IP moved unless a pool edit
 * dropped it); at quiet points additionally: every IP inside its pool, every Service that can
 * get an IP has one, ClearAssignment events for demanded moves, and every announced IP, IPv4
 * and IPv6, answered from the client (arping; ndisc6 and tcpdump) by exactly one MAC, a lab
 * node's.
 * Judge: test/support/chaos-model.ts.
 *
 *   IRONLB_CHAOS_SEED=N IRONLB_CHAOS_OPS=2000 make chaos     (make test runs 150 operations)
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import type { V1Service } from "@kubernetes/client-node";
import {
  apply,
  assertIronlbRunning,
  CLIENT_NS,
  deploymentYaml,
  nodeMac,
  NODES,
  urlOf,
  useLab,
  waitForIngress,
  waitReachable,
} from "../support/e2e.js";
import { repoRoot, rootSkipReason, uniqueName, type ControlPlane } from "../support/lab.js";
import { mulberry32 } from "../../lib/core/random.js";
import { parseArping, parseNeighborAdvertisements, stopChild } from "../support/netns.js";
import { eventually } from "../support/processes.js";
import {
  checkAnswers,
  duplicateViolations,
  moveViolations,
  mustAnswer,
  outsidePoolViolations,
  pendingViolations,
  type AnnouncementScope,
  type PoolSnapshot,
  type SvcSnapshot,
} from "../support/chaos-model.js";

const run = promisify(execFile);
const SEED = Number(process.env.IRONLB_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const OPS = Number(process.env.IRONLB_CHAOS_OPS ?? 150);
const QUIET_EVERY = Number(process.env.IRONLB_CHAOS_QUIET_EVERY ?? 40);
const MAX_SERVICES = 14;
const V4_FULL = "198.18.0.160-198.18.0.175";
const V4_SHORT = "198.18.0.160-198.18.0.171"; // a pool edit drops .172-.175
const V6 = "2001:db8:18::160-2001:db8:18::17f";
const POOL_B = "198.18.0.176-198.18.0.179";
const SERVICE_KINDS = ["auto", "requested", "named-pool", "shared", "dual-stack", "local"] as const;

const ns = uniqueName("chaos");
const pools = { a: `${ns}-a`, b: `${ns}-b` };
let cp: ControlPlane;
const rand = mulberry32(SEED); // replayable from the printed seed
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const counts = new Map<string, number>();
const count = (what: string): void => void counts.set(what, (counts.get(what) ?? 0) + 1);
/** What was done, for the failure message: the operations right before a broken invariant. */
const journal: string[] = [];
const note = (what: string): void =>
  void journal.push(`${new Date().toISOString().slice(11, 23)} ${what}`);

function poolYaml(short: boolean): string {
  const allocation = `serviceAllocation: {namespaces: [${ns}]}`;
  return `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: ${pools.a}, namespace: metallb-system}
spec: {addresses: ["${short ? V4_SHORT : V4_FULL}", "${V6}"], ${allocation}}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: ${pools.b}, namespace: metallb-system}
spec: {addresses: ["${POOL_B}"], autoAssign: false, ${allocation}}
`;
}

function advertisementYaml(narrow: boolean): string {
  const nodes = narrow
    ? `, nodeSelectors: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node1, node2]}]}]`
    : "";
  return `apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: ${ns}, namespace: metallb-system}
spec: {ipAddressPools: [${pools.a}, ${pools.b}]${nodes}}
`;
}

function serviceYaml(name: string, kind: (typeof SERVICE_KINDS)[number]): string {
  const port = 80 + Math.floor(rand() * 3);
  const annotations: Record<string, string> = {};
  let extra = "";
  if (kind === "requested")
    annotations["metallb.io/loadBalancerIPs"] = `198.18.0.${160 + Math.floor(rand() * 16)}`;
  if (kind === "named-pool") annotations["metallb.io/address-pool"] = pools.b;
  if (kind === "shared")
    annotations["metallb.io/allow-shared-ip"] = `key-${Math.floor(rand() * 2)}`;
  if (kind === "dual-stack") extra = ", ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv4, IPv6]";
  if (kind === "local") extra = ", externalTrafficPolicy: Local";
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}, annotations: ${JSON.stringify(annotations)}}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: ${port}, targetPort: 80}]${extra}}
`;
}

/** kubectl that waits out an apiserver or etcd restart (up to 60 s). */
async function kubectl(args: string[], input?: string): Promise<string> {
  let out = "";
  await eventually(
    `kubectl ${args.slice(0, 3).join(" ")}`,
    () => {
      try {
        out = cp.kubectl(args, input);
        return true;
      } catch {
        return false;
      }
    },
    60_000,
  );
  return out;
}

const snapshotOf = (s: V1Service): SvcSnapshot => {
  const a = s.metadata?.annotations ?? {};
  const requested = a["metallb.io/loadBalancerIPs"];
  return {
    uid: s.metadata?.uid ?? "",
    key: s.metadata?.name ?? "",
    ips: (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "").filter(Boolean),
    pool: a["metallb.io/ip-allocated-from-pool"],
    poolRequest: a["metallb.io/address-pool"],
    requested: requested ? requested.split(",") : [],
    sharingKey: a["metallb.io/allow-shared-ip"],
    ports: (s.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? "TCP"}`),
    local: s.spec?.externalTrafficPolicy === "Local",
    families: s.spec?.ipFamilyPolicy === "RequireDualStack" ? ["IPv4", "IPv6"] : ["IPv4"],
  };
};

async function services(): Promise<SvcSnapshot[]> {
  const list = JSON.parse(await kubectl(["get", "svc", "-n", ns, "-o", "json"])) as {
    items: V1Service[];
  };
  return list.items.map(snapshotOf);
}

async function poolSnapshots(): Promise<Map<string, PoolSnapshot>> {
  const list = JSON.parse(
    await kubectl(["get", "ipaddresspools", "-n", "metallb-system", "-o", "json"]),
  ) as {
    items: { metadata: { name: string }; spec: { addresses: string[]; autoAssign?: boolean } }[];
  };
  return new Map(
    list.items.map((p) => [
      p.metadata.name,
      {
        name: p.metadata.name,
        addresses: p.spec.addresses,
        autoAssign: p.spec.autoAssign !== false,
      },
    ]),
  );
}

const lab = (...args: string[]) => run("bash", [join(repoRoot, "test/lab/lab.sh"), ...args]);

/** MACs (lowercase) answering ARP for an IPv4 address from the client (2 requests, 2 s). */
async function arpAnswerers(ip: string): Promise<Set<string>> {
  const args = ["netns", "exec", CLIENT_NS, "arping", "-c", "2", "-w", "2", "-I", "eth0", ip];
  const out = await run("ip", args).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
  return new Set(parseArping(out.stdout).map((r) => r.mac.toLowerCase()));
}

/**
 * MACs (lowercase) answering Neighbor Solicitations for IPv6 addresses from the client: ndisc6
 * solicits (2 tries, 1 s apart) and tcpdump reads the advertisements sent back to the client.
 * ndisc6's own report is not used: it ignores an advertisement whose IPv6 source is not the
 * target, and IronLB's come from the node's link-local address (RFC 4861 7.2.4 allows it).
 */
async function ndpAnswerers(ips: readonly string[]): Promise<Map<string, Set<string>>> {
  if (ips.length === 0) return new Map();
  const inClient = (...args: string[]) => ["netns", "exec", CLIENT_NS, ...args];
  const mac = (await run("ip", inClient("cat", "/sys/class/net/eth0/address"))).stdout.trim();
  const filter = `icmp6 and ip6[40] == 136 and ether dst ${mac}`;
  const capture = spawn("ip", inClient("tcpdump", "-l", "-n", "-e", "-i", "eth0", filter), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  capture.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("tcpdump in the client did not start")),
        5000,
      );
      capture.stderr.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("listening on")) resolve(void clearTimeout(timer));
      });
    });
    const solicit = (ip: string) =>
      run("ip", inClient("ndisc6", "-n", "-r", "2", "-w", "1000", ip, "eth0")).catch(() => null);
    await Promise.all(ips.map(solicit));
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await stopChild(capture);
  }
  const seen = parseNeighborAdvertisements(text);
  return new Map(ips.map((ip) => [ip, seen.get(ip) ?? new Set<string>()]));
}

/** IP -> the MACs answering for it from the client: ARP for IPv4, NDP for IPv6. */
async function answerers(ips: readonly string[]): Promise<Map<string, Set<string>>> {
  const v4 = ips.filter((ip) => !ip.includes(":"));
  const [arp, ndp] = await Promise.all([
    Promise.all(v4.map(async (ip) => [ip, await arpAnswerers(ip)] as const)),
    ndpAnswerers(ips.filter((ip) => ip.includes(":"))),
  ]);
  return new Map([...arp, ...ndp]);
}

/**
 * Nodes selected by the chaos L2Advertisement, nodes running a ready `web` pod, and the Services
 * whose EndpointSlices already list a ready endpoint.
 */
async function announcementScope(narrow: boolean): Promise<AnnouncementScope> {
  const pods = JSON.parse(
    await kubectl(["get", "pods", "-n", ns, "-l", "app=web", "-o", "json"]),
  ) as {
    items: {
      spec?: { nodeName?: string };
      status?: { conditions?: { type: string; status: string }[] };
    }[];
  };
  const ready = pods.items.filter((p) =>
    p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  );
  const slices = JSON.parse(await kubectl(["get", "endpointslices", "-n", ns, "-o", "json"])) as {
    items: {
      metadata?: { labels?: Record<string, string> };
      endpoints?: { conditions?: { ready?: boolean } }[] | null;
    }[];
  };
  const published = slices.items
    .filter((sl) => (sl.endpoints ?? []).some((e) => e.conditions?.ready !== false))
    .map((sl) => sl.metadata?.labels?.["kubernetes.io/service-name"] ?? "");
  return {
    advertised: new Set(narrow ? ["node1", "node2"] : NODES),
    endpoints: new Set(ready.flatMap((p) => (p.spec?.nodeName ? [p.spec.nodeName] : []))),
    published: new Set(published),
  };
}

before(() => {
  if (rootSkipReason()) return;
  cp = useLab();
  cp.ensureNamespace(ns);
  apply(cp, deploymentYaml(ns, "web", 3));
  apply(cp, poolYaml(false) + "---\n" + advertisementYaml(false));
  process.stdout.write(
    `# chaos: seed ${SEED}, ${OPS} operations (IRONLB_CHAOS_SEED=${SEED} to replay)\n`,
  );
});

after(async () => {
  if (rootSkipReason()) return;
  await lab("up").catch(() => undefined); // whatever the last operation left stopped
  // After apiserver and etcd restarts kube-controller-manager and kube-proxy take up to ~90 s to
  // serve new Services again (test/e2e/api-outage.test.ts measures it). Leave only a lab that
  // does, so the tests after this one are not judged on its recovery: a fresh LoadBalancer
  // Service must answer HTTP from the client.
  try {
    await kubectl(["apply", "-f", "-"], poolYaml(false) + "---\n" + advertisementYaml(false));
    await kubectl(["delete", "svc", "--all", "-n", ns]); // room in the pool for the probe
    await kubectl(["apply", "-f", "-"], serviceYaml("settled", "auto"));
    const [ip = ""] = await waitForIngress(cp, ns, "settled");
    const svc = JSON.parse(
      await kubectl(["get", "svc", "-n", ns, "settled", "-o", "json"]),
    ) as V1Service;
    const started = Date.now();
    await waitReachable(urlOf(ip, svc.spec?.ports?.[0]?.port ?? 80), 180_000);
    process.stdout.write(
      `# chaos: the lab served a new Service again ${Date.now() - started} ms after the run\n`,
    );
  } finally {
    cp.kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
    cp.kubectl([
      "delete",
      "-n",
      "metallb-system",
      `ipaddresspool/${pools.a}`,
      `ipaddresspool/${pools.b}`,
      `l2advertisement/${ns}`,
      "--ignore-not-found",
    ]);
  }
});

test(
  "random operations and faults keep every allocation and announcement invariant",
  { skip: rootSkipReason(), timeout: 30 * 60_000 },
  async () => {
    let short = false;
    let narrow = false;
    let next = 0;
    let previous = await services();
    const dropped = new Set<string>();
    const demanded = new Set<string>();
    let checks = 0;
    const probes = { arp: 0, ndp: 0 };
    const nodeMacs = new Set(NODES.map(nodeMac));

    const operations: [number, string, () => Promise<void>][] = [
      [
        40,
        "create Service",
        async () => {
          if (previous.length >= MAX_SERVICES) return deleteOne();
          const kind = pick(SERVICE_KINDS);
          count(`create ${kind}`);
          note(`create ${kind} Service s-${next}`);
          await kubectl(["apply", "-f", "-"], serviceYaml(`s-${next++}`, kind));
        },
      ],
      [20, "delete Service", () => deleteOne()],
      [
        8,
        "edit pool",
        async () => {
          short = !short;
          if (short) for (let i = 172; i <= 175; i++) dropped.add(`198.18.0.${i}`);
          await kubectl(["apply", "-f", "-"], poolYaml(short));
        },
      ],
      [
        5,
        "edit L2Advertisement",
        async () => {
          narrow = !narrow;
          await kubectl(["apply", "-f", "-"], advertisementYaml(narrow));
        },
      ],
      [5, "restart controller (SIGTERM)", () => lab("restart", "controller").then(() => undefined)],
      [
        4,
        "kill controller (SIGKILL) and restart",
        async () => {
          await lab("kill", "controller", "KILL");
          await lab("restart", "controller");
        },
      ],
      [
        6,
        "kill a speaker (SIGKILL) and restart",
        async () => {
          const speaker = `speaker-${pick(["node1", "node2", "node3"])}`;
          await lab("kill", speaker, "KILL");
          await lab("restart", speaker);
        },
      ],
      [3, "restart kube-apiserver", () => lab("restart", "apiserver").then(() => undefined)],
      [2, "restart etcd", () => lab("restart", "etcd").then(() => undefined)],
    ];
    const total = operations.reduce((n, [w]) => n + w, 0);

    async function deleteOne(): Promise<void> {
      if (previous.length === 0) return;
      count("delete Service");
      const victim = pick(previous).key;
      note(`delete Service ${victim}`);
      await kubectl(["delete", "svc", "-n", ns, victim, "--ignore-not-found"]);
    }

    async function judge(): Promise<SvcSnapshot[]> {
      const now = await services();
      const moves = moveViolations(previous, now, dropped);
      for (const m of moves.demandedMoves) demanded.add(m);
      const violations = [...duplicateViolations(now), ...moves.violations];
      assert.deepEqual(violations, [], `seed ${SEED}: invariant broken`);
      checks++;
      return now;
    }

    async function quiet(): Promise<void> {
      let last: string[] = [];
      await eventually(
        "a quiet cluster where every Service that can get an IP has one",
        async () => {
          previous = await judge();
          const all = await poolSnapshots();
          const ours = [all.get(pools.a), all.get(pools.b)].filter((p): p is PoolSnapshot => !!p);
          last = [...outsidePoolViolations(previous, all), ...pendingViolations(previous, ours)];
          return last.length === 0;
        },
        30_000,
      ).catch((e: unknown) => {
        throw new Error(`seed ${SEED}: ${last.join("; ")}`, { cause: e });
      });
      const events = JSON.parse(
        await kubectl([
          "get",
          "events",
          "-n",
          ns,
          "--field-selector",
          "reason=ClearAssignment",
          "-o",
          "json",
        ]),
      ) as { items: { involvedObject?: { name?: string } }[] };
      const told = new Set(events.items.map((e) => e.involvedObject?.name));
      const silent = [...demanded].filter(
        (name) => previous.some((s) => s.key === name) && !told.has(name),
      );
      assert.deepEqual(
        silent,
        [],
        `seed ${SEED}: moved by a pool edit without a ClearAssignment event`,
      );
      const ips = mustAnswer(previous, await announcementScope(narrow));
      // Probed and announced IPs answer; one just assigned may still be in its RFC 5227 probe
      // (DAD-style for IPv6), so an answer is waited for, while two MACs, or a MAC that is no
      // lab node's, fail at once.
      let unanswered: string[] = [];
      await eventually(
        "every announced IP answered by one lab node",
        async () => {
          const asked = unanswered.length > 0 ? unanswered : ips;
          const answers = await answerers(asked);
          for (const ip of asked) probes[ip.includes(":") ? "ndp" : "arp"]++;
          const found = checkAnswers(answers, nodeMacs);
          assert.deepEqual(found.many, [], `seed ${SEED}: more than one MAC answers`);
          assert.deepEqual(found.foreign, [], `seed ${SEED}: a MAC that is no lab node's answers`);
          unanswered = found.silent;
          return unanswered.length === 0;
        },
        20_000,
      ).catch((e: unknown) => {
        if (e instanceof assert.AssertionError) throw e;
        throw new Error(`seed ${SEED}: nobody answers for ${unanswered.join(", ")}`, { cause: e });
      });
      dropped.clear();
      demanded.clear();
      count("quiet check");
    }

    try {
      for (let op = 1; op <= OPS; op++) {
        let roll = rand() * total;
        const [, name, action] = operations.find(([w]) => (roll -= w) < 0) ?? operations[0]!;
        if (!name.includes("Service")) {
          count(name);
          note(name);
        }
        await action();
        previous = await judge();
        if (op % QUIET_EVERY === 0 || op === OPS) {
          note("quiet check");
          await quiet();
        }
      }
    } catch (e) {
      const tail = journal.slice(-20).join("\n  ");
      throw new Error(`${(e as Error).message}\nlast operations:\n  ${tail}`, { cause: e });
    }
    assertIronlbRunning();
    const summary = [...counts].map(([k, v]) => `${k}: ${v}`).join(", ");
    process.stdout.write(
      `# chaos: seed ${SEED}, ${OPS} operations (${summary}); ${checks} invariant checks, ${probes.arp} ARP and ${probes.ndp} NDP probes passed\n`,
    );
  },
);
