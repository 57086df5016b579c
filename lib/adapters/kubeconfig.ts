/** API access for a binary: the given kubeconfig file, or the Pod's in-cluster credentials. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiClient, type ApiClientOptions } from "./kube/client.js";

export type { ApiClientOptions } from "./kube/client.js";

/**
 * The API client of a binary: one keep-alive agent shared by its calls, which name it in their
 * User-Agent (lib/adapters/kube/). `file` "" means the Pod's in-cluster config.
 */
export function loadApiClient(file: string, client: ApiClientOptions): ApiClient {
  return ApiClient.load(file, client);
}

/** IronLB's version, from the package.json above this module (source tree or image). */
export function ironlbVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "ironlb" && pkg.version) return pkg.version;
    } catch {
      // not here: look one directory up
    }
    const up = dirname(dir);
    if (up === dir) return "unknown";
    dir = up;
  }
}
