/** API access for a binary: the given kubeconfig file, or the Pod's in-cluster credentials. */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

export interface ApiClientOptions {
  /** Sent as User-Agent on every request, e.g. "ironlb-controller/0.1.0". */
  readonly userAgent: string;
  /** Connections kept open to the apiserver (requests beyond wait for one). */
  readonly maxSockets: number;
}

/**
 * A KubeConfig whose API clients share one keep-alive agent and name themselves. Stock
 * @kubernetes/client-node 1.4 builds a new agent, hence a new TCP+TLS connection, for every
 * call, and sends `node-fetch/1.0` as User-Agent. Credentials are still applied per call (a
 * projected ServiceAccount token is re-read when it rotates); the TLS material (CA, client
 * certificate) is read once, when the agent is made. Watches keep their own connections.
 */
class SharedAgentKubeConfig extends KubeConfig {
  #agent: http.Agent | undefined;

  constructor(private readonly opts: ApiClientOptions) {
    super();
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setAgent(await this.agent());
    context.setHeaderParam("User-Agent", this.opts.userAgent);
  }

  override async applyToFetchOptions(opts: https.RequestOptions) {
    const init = await super.applyToFetchOptions(opts);
    // applyToFetchOptions always returns a node-fetch Headers object.
    (init.headers as unknown as { set(k: string, v: string): void }).set(
      "User-Agent",
      this.opts.userAgent,
    );
    return init;
  }

  private async agent(): Promise<http.Agent> {
    if (this.#agent) return this.#agent;
    const probe: https.RequestOptions = {};
    await this.applyToHTTPSOptions(probe);
    const made = probe.agent;
    const keep = { keepAlive: true, maxSockets: this.opts.maxSockets };
    // A proxy agent is kept as made (it is reused from now on all the same).
    if (made instanceof https.Agent) this.#agent = new https.Agent({ ...made.options, ...keep });
    else if (made instanceof http.Agent)
      this.#agent = made.constructor === http.Agent ? new http.Agent(keep) : made;
    else
      throw new Error(
        `kubeconfig: no HTTP agent for cluster ${this.getCurrentCluster()?.server ?? "?"}`,
      );
    return this.#agent;
  }
}

export function loadKubeConfig(file: string, client?: ApiClientOptions): KubeConfig {
  const kc = client ? new SharedAgentKubeConfig(client) : new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromCluster();
  return kc;
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
