/**
 * The membership object's writes against the apiserver: create the ConfigMap, or replace its
 * data (one writer, the leader: no read-modify-write needed). A create that finds it there, or
 * a replace that finds it gone, does the other. Every call has a deadline.
 */
import { ApiException, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { withDeadline } from "../../lib/adapters/deadline.js";
import { MEMBERS_KEY, MEMBERS_NAME } from "../../lib/api/speaker-members.js";
import type { MembersStore } from "./member-publisher.js";

const DEADLINE_MS = 10_000;
const codeOf = (e: unknown): number | undefined =>
  e instanceof ApiException ? (e as ApiException<unknown>).code : undefined;

export class K8sMembersStore implements MembersStore {
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async write(text: string, exists: boolean): Promise<void> {
    try {
      await this.call(text, exists);
    } catch (e) {
      if (codeOf(e) !== (exists ? 404 : 409)) throw e;
      await this.call(text, !exists);
    }
  }

  private async call(text: string, exists: boolean): Promise<void> {
    const { namespace } = this;
    const body = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: MEMBERS_NAME,
        namespace,
        labels: { "app.kubernetes.io/name": "ironlb", "app.kubernetes.io/component": "speaker" },
      },
      data: { [MEMBERS_KEY]: text },
    };
    const call = exists
      ? this.core.replaceNamespacedConfigMap({ name: MEMBERS_NAME, namespace, body })
      : this.core.createNamespacedConfigMap({ namespace, body });
    await withDeadline(call, DEADLINE_MS, `write ConfigMap ${namespace}/${MEMBERS_NAME}`);
  }
}
