/**
 * The lab scheduler's decision: which node an unscheduled pod goes to. Candidates are the lab's
 * nodes that are Ready, not cordoned and match the pod's `spec.nodeSelector`; the one running
 * the fewest pods wins, ties by name, so replicas spread over the nodes. Pure.
 */
import { err, ok, type Result } from "../../../lib/core/result.js";

export interface NodeCandidate {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ready: boolean;
  readonly unschedulable: boolean;
}

export interface Placement {
  readonly nodeSelector?: Readonly<Record<string, string>>;
}

export const matchesSelector = (
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/** The node for the pod, or why none fits (the pod then stays Pending, as with kube-scheduler). */
export function chooseNode(
  pod: Placement,
  nodes: readonly NodeCandidate[],
  load: ReadonlyMap<string, number>,
): Result<string, string> {
  if (nodes.length === 0) return err("no lab nodes");
  const selected = nodes.filter((n) => matchesSelector(pod.nodeSelector, n.labels));
  if (selected.length === 0) {
    const want = Object.entries(pod.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`);
    return err(`no lab node matches nodeSelector ${want.join(",")}`);
  }
  const fit = selected.filter((n) => n.ready && !n.unschedulable);
  if (fit.length === 0) return err("every matching node is not Ready or is cordoned");
  const loadOf = (name: string): number => load.get(name) ?? 0;
  const best = fit.reduce((a, b) => {
    const diff = loadOf(a.name) - loadOf(b.name);
    return diff < 0 || (diff === 0 && a.name < b.name) ? a : b;
  });
  return ok(best.name);
}
