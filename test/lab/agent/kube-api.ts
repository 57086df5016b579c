/**
 * The agent's writes to Kubernetes, as the scheduler and the kubelet make them: a pod binding,
 * the pod's status, and the final deletion that a kubelet would confirm.
 */
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1PodStatus,
} from "@kubernetes/client-node";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const codeOf = (e: unknown): number | undefined => (e as { code?: number }).code;

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export class KubeApi {
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Binds the pod to `node` (pods/binding, with the pod's UID as precondition). */
  async bind(pod: PodRef, node: string): Promise<void> {
    await this.core.createNamespacedPodBinding({
      name: pod.name,
      namespace: pod.namespace,
      body: {
        metadata: { name: pod.name, uid: pod.uid },
        target: { apiVersion: "v1", kind: "Node", name: node },
      },
    });
  }

  /** Merge-patches pods/status; false when the pod is gone. */
  async patchStatus(pod: PodRef, status: V1PodStatus): Promise<boolean> {
    try {
      await this.core.patchNamespacedPodStatus(
        { name: pod.name, namespace: pod.namespace, body: { status } },
        mergePatch,
      );
      return true;
    } catch (e) {
      if (codeOf(e) === 404) return false;
      throw e;
    }
  }

  /** Deletes the pod with grace period 0 (what a kubelet's confirmation amounts to). */
  async finalizeDeletion(pod: PodRef): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({
        name: pod.name,
        namespace: pod.namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.uid } },
      });
    } catch (e) {
      // Gone already, or a new pod of the same name (UID precondition): nothing to finalize.
      if (codeOf(e) !== 404 && codeOf(e) !== 409) throw e;
    }
  }
}
