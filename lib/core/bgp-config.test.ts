import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { BFDProfile, BGPAdvertisement, BGPPeer, Community } from "../api/bgp.js";
import { parseCommunity } from "./bgp-advertisement.js";
import { bgpConfig } from "./bgp-config.js";
import { parseDuration } from "./bgp-peer.js";

const ns = "metallb-system";
const config = (o: {
  peers?: BGPPeer[];
  advertisements?: BGPAdvertisement[];
  bfdProfiles?: BFDProfile[];
  communities?: Community[];
}) =>
  bgpConfig({
    namespace: ns,
    peers: o.peers ?? [],
    advertisements: o.advertisements ?? [],
    bfdProfiles: o.bfdProfiles ?? [],
    communities: o.communities ?? [],
  });
const peer = (spec: BGPPeer["spec"]): BGPPeer => ({
  metadata: { name: "p" },
  spec: { myASN: 64512, peerASN: 64513, peerAddress: "198.18.0.1", ...spec },
});
const fieldsOf = (c: ReturnType<typeof config>) => c.errors.map((e) => `${e.field}=${e.value}`);

describe("BGP configuration validation", () => {
  test("Go durations in seconds", () => {
    const cases: [string, number | undefined][] = [
      ["90s", 90],
      ["9m0s", 540],
      ["1h", 3600],
      ["1m30s", 90],
      ["0s", 0],
      ["0", 0],
      ["1500ms", 1.5],
      ["90", undefined],
      ["s", undefined],
      ["-3s", undefined],
    ];
    for (const [text, want] of cases) assert.equal(parseDuration(text), want, text);
  });

  test("communities: standard and large, in range", () => {
    assert.deepEqual(parseCommunity("65535:65282"), { kind: "standard", value: "65535:65282" });
    assert.deepEqual(parseCommunity("large:1:2:4294967295"), {
      kind: "large",
      value: "1:2:4294967295",
    });
    for (const bad of ["65536:1", "1:2:3", "large:1:2", "a:b", ""])
      assert.equal(parseCommunity(bad), undefined, bad);
  });

  test("timers: MetalLB's defaults, keepalive from hold", () => {
    const [a] = config({ peers: [peer({})] }).peers;
    assert.deepEqual([a?.keepaliveTime, a?.holdTime], [30, 90]);
    const [b] = config({ peers: [peer({ holdTime: "9m0s", keepaliveTime: "0s" })] }).peers;
    assert.deepEqual([b?.keepaliveTime, b?.holdTime], [0, 540]);
    const [c] = config({ peers: [peer({ holdTime: "30s" })] }).peers;
    assert.deepEqual([c?.keepaliveTime, c?.holdTime], [10, 30]);
  });

  test("each mistake is named with its field and value; the peer is left out", () => {
    const cases: [BGPPeer["spec"], string][] = [
      [{ peerAddress: "198.18.0.300" }, "spec.peerAddress=198.18.0.300"],
      [{ myASN: 4294967296 }, "spec.myASN=4294967296"],
      [{ holdTime: "2s" }, "spec.holdTime=2s"],
      [{ holdTime: "90" }, "spec.holdTime=90"],
      [{ holdTime: "10s", keepaliveTime: "20s" }, "spec.keepaliveTime=20s"],
      [{ connectTime: "1.5s" }, "spec.connectTime=1.5s"],
      [{ vrf: "red" }, "spec.vrf=red"],
      [{ bfdProfile: "none" }, "spec.bfdProfile=none"],
      [{ sourceAddress: "eth0" }, "spec.sourceAddress=eth0"],
      [{ routerID: "2001:db8::1" }, "spec.routerID=2001:db8::1"],
      [{ password: "two words" }, "spec.password=<redacted>"],
      [
        { passwordSecret: { name: "s", namespace: "other" } },
        "spec.passwordSecret.namespace=other",
      ],
      [
        { nodeSelectors: [{ matchExpressions: [{ key: "a", operator: "Near" }] }] },
        'spec.nodeSelectors[0]={"matchExpressions":[{"key":"a","operator":"Near"}]}',
      ],
    ];
    for (const [spec, want] of cases) {
      const c = config({ peers: [peer(spec)] });
      assert.deepEqual(fieldsOf(c), [want], JSON.stringify(spec));
      assert.equal(c.peers.length, 0);
      assert.match(c.errors[0]?.message ?? "", /^BGPPeer "p": spec\./);
    }
  });

  test("advertisement mistakes: unknown community alias, bad lengths", () => {
    const c = config({
      advertisements: [
        { metadata: { name: "a" }, spec: { communities: ["NO_SUCH"], aggregationLength: 33 } },
      ],
      communities: [
        { metadata: { name: "c" }, spec: { communities: [{ name: "X", value: "1:99999" }] } },
      ],
    });
    assert.deepEqual(fieldsOf(c), [
      "spec.communities[0].value=1:99999",
      "spec.aggregationLength=33",
      "spec.communities[0]=NO_SUCH",
    ]);
    assert.equal(c.advertisements.length, 0);
  });

  // MetalLB's reference data beside the checkout (../shared in the project's layout).
  const root = join(import.meta.dirname, "..", "..");
  const compat = [join(root, "..", "shared"), join(root, "..", "..", "shared")]
    .map((d) => join(d, "compat", "metallb"))
    .find((d) => existsSync(d));
  test(
    "every MetalLB BGP sample is valid, but for the VRF one (refused with its field)",
    { skip: compat === undefined },
    () => {
      const objs = readdirSync(compat ?? "")
        .filter((f) => /^(bgp|simple_pool_adv_bgp)/.test(f))
        .flatMap((f) =>
          parseAllDocuments(readFileSync(join(compat ?? "", f), "utf8")).map(
            (d) => d.toJS() as { kind: string },
          ),
        );
      const of = <T>(kind: string) => objs.filter((o) => o.kind === kind) as T[];
      const named = (peers: BGPPeer[]) =>
        peers.map((p, i) => ({ ...p, metadata: { name: `${p.metadata?.name}-${i}` } }));
      const c = config({
        peers: named(of<BGPPeer>("BGPPeer")),
        advertisements: of<BGPAdvertisement>("BGPAdvertisement"),
        bfdProfiles: of<BFDProfile>("BFDProfile"),
        communities: of<Community>("Community"),
      });
      assert.deepEqual(fieldsOf(c), ["spec.vrf=red"]);
      assert.ok(
        c.peers.length === 4 && c.advertisements.length === 6,
        `${c.peers.length} ${c.advertisements.length}`,
      );
    },
  );
});
