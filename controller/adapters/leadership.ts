/**
 * Runs the controller only while this replica holds the leader Lease. Each leader term gets a
 * fresh Controller (reflectors, allocator, work queue), so it passes the startup gate before it
 * allocates anything: a handover moves no IP. Losing the Lease stops the term's Controller at
 * once (no new writes; calls already sent may still land) and the replica stands by again.
 *
 * Probes: /healthz is always 200 (the process is alive). /readyz is 503 until the Lease was read
 * once; then 200 for a standby (it is ready to take over; a rolling update must not wait for it
 * to lead) and, for the leader, once its startup gate is open and the first pass written.
 */
import type { Logger } from "../../lib/adapters/logger.js";
import { EventRecorder } from "../../lib/adapters/events.js";
import { K8sLeaseApi } from "../../lib/adapters/k8s-lease-api.js";
import { LeaderElector } from "../../lib/adapters/leader-elector.js";
import { describe } from "../../lib/adapters/reflector.js";
import type { ElectionTiming } from "../../lib/core/leader-election.js";
import type { Controller, ControllerOptions } from "./controller.js";

export interface LeadershipOptions {
  readonly controller: ControllerOptions;
  readonly build: (opts: ControllerOptions) => Controller;
  readonly lease: { readonly namespace: string; readonly name: string };
  readonly identity: string;
  readonly timing: ElectionTiming;
  readonly log: Logger;
}

export class Leadership {
  private readonly elector: LeaderElector;
  private readonly events: EventRecorder;
  private current: Controller | undefined;

  constructor(private readonly opts: LeadershipOptions) {
    const { kc, metrics } = opts.controller;
    const { namespace, name } = opts.lease;
    const labels = {
      "app.kubernetes.io/name": "ironlb",
      "app.kubernetes.io/component": "controller",
    };
    this.events = new EventRecorder(kc, "metallb-controller", opts.identity);
    const log = opts.log.child({ op: "leader-election" });
    this.elector = new LeaderElector({
      api: new K8sLeaseApi(kc, namespace, name, labels),
      identity: opts.identity,
      timing: opts.timing,
      log,
      events: {
        onStartedLeading: () => {
          metrics.leading(true);
          this.record(`${opts.identity} became leader`);
          this.current = opts.build(opts.controller);
          this.current.start();
        },
        onStoppedLeading: (reason) => {
          metrics.leading(false);
          metrics.trackPending(() => 0); // and lets the stopped term's caches go
          this.current?.stop();
          this.current = undefined;
          log.warn("standing by: the controller stopped", { reason });
        },
        onNewLeader: (holder) => log.info("leader seen", { holder: holder || "(released)" }),
      },
    });
  }

  start(): void {
    this.elector.start();
  }

  /** Stops the controller and releases the Lease, so the standby takes over at once. */
  stop(): Promise<void> {
    return this.elector.stop();
  }

  ready(): true | string {
    if (this.current) return this.current.ready();
    return this.elector.hasDecided ? true : "leader election: the Lease not read yet";
  }

  private record(message: string): void {
    const { namespace, name } = this.opts.lease;
    const ref = { kind: "Lease", apiVersion: "coordination.k8s.io/v1", namespace, name };
    this.events.record(ref, "Normal", "LeaderElection", message).catch((e: unknown) => {
      this.opts.log.warn("could not record the LeaderElection event", { err: describe(e) });
    });
  }
}
