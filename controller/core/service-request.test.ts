import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIp } from "../../lib/core/ip.js";
import { handlesService, type ServiceInfo, serviceRequest } from "./service-request.js";

const svc = (over: Partial<ServiceInfo> = {}): ServiceInfo => ({
  namespace: "default",
  name: "web",
  annotations: {},
  labels: {},
  type: "LoadBalancer",
  ipFamilies: ["IPv4"],
  ipFamilyPolicy: "SingleStack",
  ports: [{ protocol: "TCP", port: 80 }],
  selector: { app: "web" },
  ...over,
});

test("only LoadBalancer Services of our class are handled (MetalLB's --lb-class rule)", () => {
  const cases: [string, Partial<ServiceInfo>, string, boolean][] = [
    ["no class, default flag", {}, "", true],
    ["ClusterIP", { type: "ClusterIP" }, "", false],
    ["other class, default flag", { loadBalancerClass: "other" }, "", false],
    ["our class", { loadBalancerClass: "ironlb" }, "ironlb", true],
    ["no class, flag set", {}, "ironlb", false],
    ["another class, flag set", { loadBalancerClass: "other" }, "ironlb", false],
  ];
  for (const [name, over, lbClass, want] of cases) {
    assert.equal(handlesService(svc(over), lbClass), want, name);
    const r = serviceRequest(svc(over), lbClass);
    assert.equal(r.ok ? "ok" : r.error.reason, want ? "ok" : "NotHandled", name);
  }
});

test("requested IPs, pool and sharing key come from annotations, new keys winning", () => {
  const r = serviceRequest(
    svc({
      annotations: {
        "metallb.io/loadBalancerIPs": "198.18.0.201",
        "metallb.universe.tf/loadBalancerIPs": "198.18.0.202",
        "metallb.universe.tf/address-pool": "legacy-pool",
        "metallb.io/allow-shared-ip": "web-key",
        "metallb.universe.tf/allow-shared-ip": "old-key",
      },
    }),
    "",
  );
  assert.ok(r.ok);
  assert.deepEqual(r.value.requestedIps.map(formatIp), ["198.18.0.201"]);
  assert.equal(r.value.requestedField, "metallb.io/loadBalancerIPs");
  assert.equal(r.value.pool, "legacy-pool");
  assert.equal(r.value.poolField, "metallb.universe.tf/address-pool");
  assert.equal(r.value.sharingKey, "web-key");
  assert.equal(r.value.sharingKeyField, "metallb.io/allow-shared-ip");
});

test("spec.loadBalancerIP is honoured, and ports/policy/selector become sharing attributes", () => {
  const r = serviceRequest(
    svc({
      loadBalancerIP: "198.18.0.9",
      ports: [{ port: 53, protocol: "udp" }, { port: 53 }],
      externalTrafficPolicy: "Local",
      selector: { b: "2", a: "1" },
    }),
    "",
  );
  assert.ok(r.ok);
  assert.deepEqual(r.value.requestedIps.map(formatIp), ["198.18.0.9"]);
  assert.equal(r.value.requestedField, "spec.loadBalancerIP");
  assert.deepEqual(r.value.ports, ["UDP/53", "TCP/53"]);
  assert.equal(r.value.trafficPolicy, "Local");
  assert.equal(r.value.backendKey, "a=1,b=2");
  assert.equal(r.value.sharingKey, undefined);
});

test("families follow ipFamilies and ipFamilyPolicy", () => {
  const cases: [Partial<ServiceInfo>, string[], string][] = [
    [{}, ["IPv4"], "SingleStack"],
    [{ ipFamilies: ["IPv6"] }, ["IPv6"], "SingleStack"],
    [{ ipFamilies: ["IPv6", "IPv4"], ipFamilyPolicy: "SingleStack" }, ["IPv6"], "SingleStack"],
    [
      { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" },
      ["IPv4", "IPv6"],
      "PreferDualStack",
    ],
    [{ ipFamilies: ["IPv4"], ipFamilyPolicy: "PreferDualStack" }, ["IPv4"], "PreferDualStack"],
    [
      { ipFamilies: ["IPv6", "IPv4"], ipFamilyPolicy: "RequireDualStack" },
      ["IPv6", "IPv4"],
      "RequireDualStack",
    ],
    [{ ipFamilies: [], ipFamilyPolicy: "RequireDualStack" }, ["IPv4", "IPv6"], "RequireDualStack"],
    [
      { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: undefined },
      ["IPv4", "IPv6"],
      "RequireDualStack",
    ],
  ];
  for (const [over, families, policy] of cases) {
    const r = serviceRequest(svc(over), "");
    assert.ok(r.ok, JSON.stringify(over));
    assert.deepEqual([r.value.families, r.value.policy], [families, policy], JSON.stringify(over));
  }
});

test("dual-stack requested IPs are ordered like ipFamilies", () => {
  const annotations = { "metallb.io/loadBalancerIPs": "2001:db8:18::200, 198.18.0.200" };
  const dual = { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "RequireDualStack" };
  const r = serviceRequest(svc({ annotations, ...dual }), "");
  assert.ok(r.ok);
  assert.deepEqual(r.value.requestedIps.map(formatIp), ["198.18.0.200", "2001:db8:18::200"]);
});

test("bad requested IPs are refused naming the field and the value", () => {
  const ann = (value: string): Partial<ServiceInfo> => ({
    annotations: { "metallb.io/loadBalancerIPs": value },
  });
  const dual = { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "RequireDualStack" };
  const cases: [string, Partial<ServiceInfo>, string, string][] = [
    ["garbage", ann("198.18.0.300"), "metallb.io/loadBalancerIPs", "198.18.0.300"],
    [
      "two IPv4",
      ann("198.18.0.1,198.18.0.2"),
      "metallb.io/loadBalancerIPs",
      "198.18.0.1,198.18.0.2",
    ],
    ["empty item", ann("198.18.0.1,"), "metallb.io/loadBalancerIPs", "198.18.0.1,"],
    [
      "legacy key",
      { annotations: { "metallb.universe.tf/loadBalancerIPs": "nope" } },
      "metallb.universe.tf/loadBalancerIPs",
      "nope",
    ],
    ["bad spec IP", { loadBalancerIP: "x" }, "spec.loadBalancerIP", "x"],
    [
      "conflict",
      { ...ann("198.18.0.1"), loadBalancerIP: "198.18.0.2" },
      "spec.loadBalancerIP",
      "198.18.0.2",
    ],
    ["wrong family", ann("2001:db8::1"), "metallb.io/loadBalancerIPs", "2001:db8::1"],
    // The value as written, not its canonical form (::ffff:c612:3).
    ["v4-mapped IPv6", ann("::ffff:198.18.0.3"), "metallb.io/loadBalancerIPs", "::ffff:198.18.0.3"],
    [
      "dual needs two",
      { ...ann("198.18.0.1"), ...dual },
      "metallb.io/loadBalancerIPs",
      "198.18.0.1",
    ],
  ];
  for (const [name, over, field, value] of cases) {
    const r = serviceRequest(svc(over), "");
    assert.ok(!r.ok, name);
    assert.equal(r.error.reason, "RequestedIPUnavailable", name);
    assert.deepEqual([r.error.field, r.error.value], [field, value], name);
    assert.ok(r.error.message.includes(field) && r.error.message.includes(value), r.error.message);
  }
});

test("the same IP in the annotation and in spec.loadBalancerIP is accepted", () => {
  const over = {
    annotations: { "metallb.io/loadBalancerIPs": "198.18.0.7" },
    loadBalancerIP: "198.18.0.7",
  };
  assert.ok(serviceRequest(svc(over), "").ok);
});
