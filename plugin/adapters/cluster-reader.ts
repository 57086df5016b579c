/**
 * Reads what `kubectl ironlb` reports on: one list per kind, in parallel, each call with a
 * deadline, turned into slim records on arrival. Errors become a PluginApiError saying whether
 * the object was missing (exit 1) or the API could not be reached or refused (exit 3).
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
} from "@kubernetes/client-node";
import type { IPAddressPool, L2Advertisement, ServiceL2Status } from "../../lib/api/metallb.js";
import { METALLB_GROUP, toL2AdvertisementSpec } from "../../lib/api/metallb.js";
import { withDeadline } from "../../lib/adapters/deadline.js";
import type { ClusterSnapshot, EndpointRecord, EventRecord, ServiceRecord } from "../core/model.js";
import {
  endpointRecords,
  eventRecord,
  l2StatusRecord,
  nodeRecord,
  poolRecord,
  serviceRecord,
  speakerLeaseRecord,
} from "./records.js";

const DEADLINE_MS = 15_000;

export type ApiErrorKind = "notFound" | "refused" | "unreachable";

/** Stable codes: IRONLB_PLUGIN_NOT_FOUND, IRONLB_PLUGIN_API_REFUSED, IRONLB_PLUGIN_API_UNREACHABLE. */
export class PluginApiError extends Error {
  readonly code: string;
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
    this.code = `IRONLB_PLUGIN_${{ notFound: "NOT_FOUND", refused: "API_REFUSED", unreachable: "API_UNREACHABLE" }[kind]}`;
  }
}

/** What went wrong in `what`, from an ApiException (HTTP code) or a network error. */
export function apiError(what: string, e: unknown): PluginApiError {
  const code = (e as { code?: unknown }).code;
  if (code === 404) return new PluginApiError("notFound", `${what}: not found`, { cause: e });
  if (typeof code === "number") {
    const body = (e as { body?: unknown }).body;
    const reason = typeof body === "string" ? (/"message":"([^"]*)"/.exec(body)?.[1] ?? "") : "";
    return new PluginApiError(
      "refused",
      `${what}: the API server answered HTTP ${code}${reason ? `: ${reason}` : ""}`,
      { cause: e },
    );
  }
  const message = e instanceof Error ? e.message : String(e);
  return new PluginApiError("unreachable", `${what}: cannot reach the API server (${message})`, {
    cause: e,
  });
}

type Listed<T> = { items: T[] };

export class ClusterReader {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly coordination: CoordinationV1Api;
  private readonly discovery: DiscoveryV1Api;

  /** `namespace`: the controller's, where pools, advertisements, statuses and Leases live. */
  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(request(), DEADLINE_MS, what);
    } catch (e) {
      throw apiError(what, e);
    }
  }

  private metallb<T>(plural: string): Promise<T[]> {
    const { namespace } = this;
    return this.call(`list ${plural} in ${namespace}`, async () => {
      const list = (await this.custom.listNamespacedCustomObject({
        group: METALLB_GROUP,
        version: "v1beta1",
        namespace,
        plural,
      })) as Listed<T>;
      return list.items;
    });
  }

  /** Services of `serviceNamespace`, or of every namespace. */
  private services(serviceNamespace: string | undefined): Promise<ServiceRecord[]> {
    const what = `list services${serviceNamespace ? ` in ${serviceNamespace}` : ""}`;
    return this.call(what, async () => {
      const list = serviceNamespace
        ? await this.core.listNamespacedService({ namespace: serviceNamespace })
        : await this.core.listServiceForAllNamespaces();
      return list.items.map(serviceRecord);
    });
  }

  async snapshot(
    serviceNamespace: string | undefined,
    now: () => number,
  ): Promise<ClusterSnapshot> {
    const { namespace } = this;
    const [pools, advertisements, l2, services, leases, nodes] = await Promise.all([
      this.metallb<IPAddressPool>("ipaddresspools"),
      this.metallb<L2Advertisement>("l2advertisements"),
      this.metallb<ServiceL2Status>("servicel2statuses"),
      this.services(serviceNamespace),
      this.call(`list leases in ${namespace}`, () =>
        this.coordination.listNamespacedLease({ namespace }),
      ),
      this.call("list nodes", () => this.core.listNode()),
    ]);
    return {
      namespace,
      now: now(),
      pools: pools.map(poolRecord),
      advertisements: advertisements.map(toL2AdvertisementSpec),
      services,
      l2Statuses: l2.flatMap((s) => l2StatusRecord(s) ?? []),
      leases: leases.items.flatMap((l) => speakerLeaseRecord(l) ?? []),
      nodes: nodes.items.map(nodeRecord),
    };
  }

  service(namespace: string, name: string): Promise<ServiceRecord> {
    return this.call(`service ${name} in namespace ${namespace}`, async () =>
      serviceRecord(await this.core.readNamespacedService({ name, namespace })),
    );
  }

  endpoints(namespace: string, name: string): Promise<EndpointRecord[]> {
    return this.call(`list endpointslices of ${namespace}/${name}`, async () => {
      const labelSelector = `kubernetes.io/service-name=${name}`;
      const list = await this.discovery.listNamespacedEndpointSlice({ namespace, labelSelector });
      return endpointRecords(list.items);
    });
  }

  events(namespace: string, name: string): Promise<EventRecord[]> {
    return this.call(`list events of ${namespace}/${name}`, async () => {
      const fieldSelector = `involvedObject.kind=Service,involvedObject.name=${name}`;
      const list = await this.core.listNamespacedEvent({ namespace, fieldSelector });
      return list.items.map(eventRecord);
    });
  }
}
