/**
 * A fake ClusterWriter over an in-memory set of Services: writes change the Services as the
 * apiserver would (so a later reconcile sees them), calls are recorded, and failures can be
 * scripted per Service.
 */
import { err, ok, type Result } from "../../lib/core/result.js";
import type {
  ClusterWriter,
  ServiceRef,
  ServiceView,
  ServiceWrite,
  WriteFailure,
} from "../../controller/core/cluster-writer.js";
import type { EventSpec, ServiceCondition } from "../../controller/core/service-outcome.js";
import type { ServiceInfo } from "../../controller/core/service-request.js";

export interface ShownState {
  readonly ingress?: readonly string[];
  readonly pool?: string;
  readonly condition?: ServiceCondition;
}

/** A plain IPv4 LoadBalancer Service in "default", port 80. */
export const lbServiceInfo = (name: string, over: Partial<ServiceInfo> = {}): ServiceInfo => ({
  namespace: "default",
  name,
  annotations: {},
  labels: {},
  type: "LoadBalancer",
  ipFamilies: ["IPv4"],
  ports: [{ port: 80 }],
  selector: {},
  ...over,
});

export const lbService = (
  name: string,
  shown: ShownState = {},
  over: Partial<ServiceInfo> = {},
) => {
  const info = lbServiceInfo(name, over);
  const view: ServiceView = {
    ref: { namespace: "default", name, uid: `uid-${name}` },
    info,
    shown: { ingress: shown.ingress ?? [], pool: shown.pool, condition: shown.condition },
    conditions: [],
    generation: 1,
  };
  return view;
};

export class FakeCluster implements ClusterWriter {
  readonly services = new Map<string, ServiceView>();
  readonly writes: { key: string; ingress: readonly string[] | undefined; pool: unknown }[] = [];
  readonly events: { key: string; reason: string }[] = [];
  /** Scripted failures per Service key, used up in order. */
  readonly failures = new Map<string, WriteFailure[]>();

  add(view: ServiceView): string {
    const key = `${view.ref.namespace}/${view.ref.name}`;
    this.services.set(key, view);
    return key;
  }

  view = (key: string): ServiceView | undefined => this.services.get(key);

  writeService(write: ServiceWrite): Promise<Result<void, WriteFailure>> {
    const key = `${write.ref.namespace}/${write.ref.name}`;
    this.writes.push({ key, ingress: write.status?.ingress, pool: write.pool });
    const failure = this.failures.get(key)?.shift();
    if (failure) return Promise.resolve(err(failure));
    const current = this.services.get(key);
    if (!current) return Promise.resolve(err({ kind: "gone", message: "404" }));
    const { shown } = current;
    const status = write.status;
    this.services.set(key, {
      ...current,
      shown: {
        ingress: status ? status.ingress : shown.ingress,
        condition: status ? status.condition : shown.condition,
        pool: write.pool === undefined ? shown.pool : (write.pool ?? undefined),
      },
    });
    return Promise.resolve(ok(undefined));
  }

  recordEvent(ref: ServiceRef, event: EventSpec): void {
    this.events.push({ key: `${ref.namespace}/${ref.name}`, reason: event.reason });
  }

  /** Services whose Events were forgotten (deleted), in order. */
  readonly forgotten: string[] = [];

  forgetEvents(key: string): void {
    this.forgotten.push(key);
  }

  /** Where each Service's ingress stands now. */
  ingress(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, v] of this.services) out[key] = v.shown.ingress.join(",");
    return out;
  }
}
