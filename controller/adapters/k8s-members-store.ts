/**
 * The membership object's writes against the apiserver: create the ConfigMap, or replace its
 * data (one writer, the leader: no read-modify-write needed). A create that finds it there, or
 * a replace that finds it gone, does the other. Every call has a deadline.
 */
import type { ApiClient } from "../../lib/adapters/kube/client.js";
import { ApiError } from "../../lib/adapters/kube/errors.js";
import { resourcePath } from "../../lib/adapters/kube/paths.js";
import { MEMBERS_KEY, MEMBERS_NAME } from "../../lib/api/speaker-members.js";
import type { MembersStore } from "./member-publisher.js";

const DEADLINE_MS = 10_000;
const codeOf = (e: unknown): number | undefined => (e instanceof ApiError ? e.code : undefined);

export class K8sMembersStore implements MembersStore {
  constructor(
    private readonly kc: ApiClient,
    private readonly namespace: string,
  ) {}

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
    const opts = { deadlineMs: DEADLINE_MS };
    const collection = resourcePath({ group: "", version: "v1", plural: "configmaps", namespace });
    await (exists
      ? this.kc.replace(`${collection}/${MEMBERS_NAME}`, body, opts)
      : this.kc.create(collection, body, opts));
  }
}
