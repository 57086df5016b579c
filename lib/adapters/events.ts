/** core/v1 Events about an object, as `kubectl describe` shows them. */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";

export interface ObjectRef {
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string | undefined;
}

export type EventType = "Normal" | "Warning";

export class EventRecorder {
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly component: string,
    private readonly instance: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async record(ref: ObjectRef, type: EventType, reason: string, message: string): Promise<void> {
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
