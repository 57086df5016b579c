/** API access for a binary: the given kubeconfig file, or the Pod's in-cluster credentials. */
import { KubeConfig } from "@kubernetes/client-node";

export function loadKubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromCluster();
  return kc;
}
