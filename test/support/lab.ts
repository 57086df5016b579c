/**
 * Test support: a running lab control plane and clients for it. Starts the lab when it is not up
 * (`test/lab/lab.sh up` reuses a running one), so an integration test only asks for it.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { ApiClient } from "../../lib/adapters/kube/client.js";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const labDir = join(repoRoot, ".lab");
export const kubeconfigPath = join(labDir, "kubeconfig");

export interface ControlPlane {
  readonly kubeconfigPath: string;
  readonly kc: KubeConfig;
  /** IronLB's own API client for the lab (lib/adapters/kube/). */
  readonly client: ApiClient;
  readonly core: CoreV1Api;
  /** Runs kubectl against the lab with the admin kubeconfig; returns stdout. */
  kubectl(args: readonly string[], input?: string): string;
  /** Creates the namespace unless it exists. */
  ensureNamespace(name: string): void;
}

/** Why a root-only tier cannot run here, or undefined when it can. */
export function rootSkipReason(): string | undefined {
  return process.getuid?.() === 0
    ? undefined
    : "needs root (network namespaces); run `make test` as root to include this tier";
}

function labScript(command: "up" | "status"): void {
  execFileSync("bash", [join(repoRoot, "test/lab/lab.sh"), command], {
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/** The lab's control plane, started if needed. Throws when it cannot be started. */
export function useControlPlane(): ControlPlane {
  try {
    labScript("status");
  } catch {
    labScript("up");
  }
  if (!existsSync(kubeconfigPath)) throw new Error(`lab is up but ${kubeconfigPath} is missing`);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const kubectlBin = join(labDir, "bin", "kubectl");
  const kubectl = (args: readonly string[], input?: string): string =>
    execFileSync(kubectlBin, ["--kubeconfig", kubeconfigPath, ...args], {
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      ...(input === undefined ? {} : { input }),
    });
  return {
    kubeconfigPath,
    kc,
    client: ApiClient.load(kubeconfigPath, { userAgent: "ironlb-test", maxSockets: 8 }),
    core: kc.makeApiClient(CoreV1Api),
    kubectl,
    ensureNamespace: (name) => {
      kubectl(["apply", "-f", "-"], `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n`);
    },
  };
}

/** A namespace name unique to this test run. */
export const uniqueName = (prefix: string): string =>
  `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6).toString(36)}`;
