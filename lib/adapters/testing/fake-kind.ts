/**
 * A fake list/watch source for one kind: `list` returns what it holds, `emit` changes it and
 * delivers the event to the open watch, as the apiserver would (resourceVersion stamped).
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ListWatchSource } from "../reflector.js";

export class FakeKind {
  readonly objects = new Map<string, KubernetesObject>();
  private rv = 1;
  private onEvent: ((type: string, obj: unknown) => void) | undefined;

  source(): ListWatchSource<KubernetesObject> {
    return {
      list: () =>
        Promise.resolve({ items: [...this.objects.values()], resourceVersion: String(this.rv) }),
      watch: (_rv, onEvent) => {
        this.onEvent = onEvent;
        return Promise.resolve({ abort: () => (this.onEvent = undefined) });
      },
    };
  }

  emit(type: "ADDED" | "MODIFIED" | "DELETED", obj: KubernetesObject): void {
    const meta = { ...obj.metadata, resourceVersion: String(++this.rv) };
    const stamped = { ...obj, metadata: meta };
    const key = `${meta.namespace ?? ""}/${meta.name ?? ""}`;
    if (type === "DELETED") this.objects.delete(key);
    else this.objects.set(key, stamped);
    this.onEvent?.(type, stamped);
  }
}
