/**
 * Tells the cluster about address conflicts the L2 announcer saw: a log line, a Warning event
 * `AddressConflict` on every Service using the IP (naming the foreign MAC and the interface),
 * and a trace in each Service's ServiceL2Status (`status.lastAddressConflict`). A flood of
 * forged frames costs the apiserver at most one event per IP per minute and one status write
 * per IP per minute (a write that failed, e.g. the record not created yet, is tried again on a
 * conflict 2 s later at the soonest); what was held back is counted in the next message.
 */
import type { EventRecorder } from "../../lib/adapters/events.js";
import type { Logger } from "../../lib/adapters/logger.js";
import { describe } from "../../lib/adapters/reflector.js";
import type { AddressConflictReport } from "./l2-announcer.js";
import { RateGate } from "./rate-gate.js";
import type { AddressConflictTrace } from "./speaker-status.js";
import { realTimers, type Timers } from "../../lib/adapters/timers.js";

export interface ConflictedService {
  /** `namespace/name`. */
  readonly key: string;
  readonly uid?: string | undefined;
}

export interface ConflictReporterOptions {
  readonly node: string;
  readonly log: Logger;
  readonly events: Pick<EventRecorder, "record">;
  readonly status: {
    recordConflict(
      svc: { namespace: string; name: string },
      t: AddressConflictTrace,
    ): Promise<void>;
  };
  readonly timers?: Timers;
}

const REPORT_INTERVAL_MS = 60_000;
const STATUS_RETRY_MS = 2000;

export function conflictMessage(node: string, c: AddressConflictReport, held: number): string {
  const seen = `IP ${c.ip} is claimed by MAC ${c.mac} on ${c.iface} (${c.evidence})`;
  const more = held > 0 ? `; ${held} more claims on it since the last report` : "";
  if (c.outcome.phase === "probing") {
    const retry = c.outcome.retryInMs / 1000;
    return `${seen} before node "${node}" announced it: held back, probing again in ${retry} s${more}`;
  }
  const defended = c.outcome.defend ? ", defended with a gratuitous announcement" : "";
  return `${seen}: node "${node}" keeps answering for it${defended}${more}`;
}

export class ConflictReporter {
  readonly #events: RateGate;
  readonly #status: RateGate;

  constructor(private readonly opts: ConflictReporterOptions) {
    const timers = opts.timers ?? realTimers;
    this.#events = new RateGate(timers, REPORT_INTERVAL_MS);
    this.#status = new RateGate(timers, STATUS_RETRY_MS);
  }

  report(c: AddressConflictReport, services: readonly ConflictedService[]): void {
    const held = this.#events.admit(c.ip);
    if (held !== undefined) this.#announce(c, services, held);
    if (this.#status.admit(c.ip) !== undefined) void this.#trace(c, services);
  }

  #announce(c: AddressConflictReport, services: readonly ConflictedService[], held: number): void {
    const { log, events, node } = this.opts;
    const message = conflictMessage(node, c, held);
    log.warn(message, { ip: c.ip, iface: c.iface, reason: "AddressConflict" });
    for (const { key, uid } of services) {
      const [namespace = "", name = ""] = key.split("/");
      const ref = { kind: "Service", apiVersion: "v1", namespace, name, uid };
      events.record(ref, "Warning", "AddressConflict", message).catch((e: unknown) => {
        log.warn("event not recorded", { service: key, err: describe(e) });
      });
    }
  }

  async #trace(c: AddressConflictReport, services: readonly ConflictedService[]): Promise<void> {
    const trace: AddressConflictTrace = {
      ip: c.ip,
      mac: c.mac,
      interface: c.iface,
      evidence: c.evidence,
      phase: c.outcome.phase,
      node: this.opts.node,
      time: new Date().toISOString(),
    };
    const writes = services.map(({ key }) => {
      const [namespace = "", name = ""] = key.split("/");
      return this.opts.status.recordConflict({ namespace, name }, trace);
    });
    const results = await Promise.allSettled(writes);
    const failed = results.find((r) => r.status === "rejected");
    if (failed === undefined) this.#status.hold(c.ip, REPORT_INTERVAL_MS);
    else
      this.opts.log.debug("conflict not traced in status yet", {
        ip: c.ip,
        err: describe(failed.reason),
      });
  }
}
