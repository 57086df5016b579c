/** core/v1 Events about an object, as `kubectl describe` shows them. */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { withDeadline } from "./deadline.js";

export interface ObjectRef {
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string | undefined;
}

export type EventType = "Normal" | "Warning";

/**
 * Event creates in flight at once; the rest wait their turn. A speaker records one event per
 * Service it starts announcing: 5,000 new Services would otherwise be as many requests at once.
 */
const MAX_IN_FLIGHT = 8;
/** A create that has not answered by then gives its place up (see ./deadline.ts). */
const DEADLINE_MS = 30_000;

export class EventRecorder {
  private readonly core: CoreV1Api;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    kc: KubeConfig,
    private readonly component: string,
    private readonly instance: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async record(ref: ObjectRef, type: EventType, reason: string, message: string): Promise<void> {
    await this.turn();
    try {
      await withDeadline(this.create(ref, type, reason, message), DEADLINE_MS, "event create");
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the place passes straight to the next in line
      else this.inFlight--;
    }
  }

  /** Resolves holding one of the MAX_IN_FLIGHT places, in order of arrival. */
  private async turn(): Promise<void> {
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private async create(ref: ObjectRef, type: EventType, reason: string, message: string) {
    const now = this.now();
    await this.core.createNamespacedEvent({
      namespace: ref.namespace,
      body: {
        metadata: { generateName: `${ref.name}.`, namespace: ref.namespace },
        involvedObject: {
          kind: ref.kind,
          apiVersion: ref.apiVersion,
          namespace: ref.namespace,
          name: ref.name,
          ...(ref.uid ? { uid: ref.uid } : {}),
        },
        type,
        reason,
        message,
        source: { component: this.component, host: this.instance },
        reportingComponent: this.component,
        reportingInstance: this.instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }
}
