/** The speaker's BGP flags and the BGP side built from them (called from speaker/main.ts). */
import type { Registry } from "prom-client";
import type { ApiClient } from "../../../lib/adapters/kube/client.js";
import type { Logger } from "../../../lib/adapters/logger.js";
import { describe } from "../../../lib/adapters/reflector.js";
import { BgpMetrics } from "./bgp-metrics.js";
import { BgpSpeaker } from "./bgp-speaker.js";
import { BgpStatusWriter } from "./bgp-status.js";
import { ConfigStatusWriter } from "./config-status-writer.js";
import { Frr } from "./frr.js";

export const BGP_FLAGS = {
  "bgp-frr-config": {
    env: "IRONLB_BGP_FRR_CONFIG",
    default: "",
    help: "BGP mode: the FRR configuration file this speaker writes (empty: no BGP)",
  },
  "bgp-frr-vty-socket": {
    env: "IRONLB_BGP_FRR_VTY_SOCKET",
    default: "",
    help: "directory of FRR's vty sockets (empty: FRR's default)",
  },
  "bgp-frr-reload": {
    env: "IRONLB_BGP_FRR_RELOAD",
    default: "/usr/lib/frr/frr-reload.py",
    help: "FRR's frr-reload.py",
  },
  "bgp-vtysh": { env: "IRONLB_BGP_VTYSH", default: "vtysh", help: "FRR's vtysh" },
} as const;

type BgpFlagValues = { readonly [K in keyof typeof BGP_FLAGS]: string };

/** The BGP side, or undefined when `--bgp-frr-config` is not given. */
export function bgpSide(
  flags: BgpFlagValues,
  ctx: { kc: ApiClient; node: string; namespace: string; log: Logger; registry: Registry },
): BgpSpeaker | undefined {
  const config = flags["bgp-frr-config"];
  if (config === "") return undefined;
  const log = ctx.log.child({ component: "bgp" });
  const metrics = new BgpMetrics(ctx.registry);
  const frr = new Frr({
    paths: {
      config,
      vtySocket: flags["bgp-frr-vty-socket"] || undefined,
      reload: flags["bgp-frr-reload"],
      vtysh: flags["bgp-vtysh"],
    },
    onApplied: (r) => {
      metrics.reloaded(r.ok ? "ok" : r.stage);
      if (r.ok) log.info("FRR configuration applied", { op: "frr-reload" });
      else
        log.error("FRR refused the configuration; it keeps the last good one", {
          op: "frr-reload",
          reason: r.stage,
          err: describe(r.output.slice(-2000)),
        });
    },
  });
  const status = new BgpStatusWriter(ctx.kc, ctx.namespace, ctx.node);
  const configStatus = new ConfigStatusWriter(ctx.kc, ctx.namespace);
  return new BgpSpeaker({ ...ctx, log, frr, status, configStatus, metrics });
}
