import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { BgpMetrics } from "./bgp-metrics.js";

const session = (address: string, up: boolean, prefixesSent: number, updatesSent: number) => ({
  address,
  state: up ? "Established" : "Active",
  up,
  prefixesSent,
  updatesSent,
});

test("sessions become MetalLB's BGP metrics; FRR's count restarting after a reset still counts up", async () => {
  const registry = new Registry();
  const metrics = new BgpMetrics(registry);
  const peers = ["198.18.0.1", "198.18.0.2"];
  metrics.setSessions(peers, new Map([["198.18.0.1", session("198.18.0.1", true, 3, 10)]]));
  metrics.setSessions(peers, new Map([["198.18.0.1", session("198.18.0.1", true, 3, 12)]]));
  metrics.setSessions(peers, new Map([["198.18.0.1", session("198.18.0.1", true, 2, 4)]]));
  const text = await registry.metrics();
  const line = (name: string, peer: string) =>
    new RegExp(`^${name}\\{peer="${peer}"\\} (\\S+)$`, "m").exec(text)?.[1];
  assert.equal(line("metallb_bgp_session_up", "198.18.0.1"), "1");
  assert.equal(line("metallb_bgp_session_up", "198.18.0.2"), "0");
  assert.equal(line("metallb_bgp_announced_prefixes_total", "198.18.0.1"), "2");
  assert.equal(line("metallb_bgp_updates_total", "198.18.0.1"), String(10 + 2 + 4));
});
