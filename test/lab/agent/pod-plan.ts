/**
 * What the lab kubelet makes of a Pod object: whether it is the agent's to schedule, which ports
 * its server answers, and the `pods/status` it reports once the pod runs. Pure.
 */
import type {
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from "@kubernetes/client-node";

export const DEFAULT_SCHEDULER = "default-scheduler";

export type Protocol = "TCP" | "UDP";
export interface ServedPort {
  readonly port: number;
  readonly protocol: Protocol;
}

export const isTerminal = (pod: V1Pod): boolean =>
  pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

/** Unscheduled and meant for the default scheduler (which the agent stands in for). */
export const wantsScheduling = (pod: V1Pod): boolean =>
  !pod.spec?.nodeName &&
  (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER) === DEFAULT_SCHEDULER &&
  !pod.metadata?.deletionTimestamp &&
  !isTerminal(pod);

/** Every TCP and UDP containerPort of every container, once, sorted (SCTP is not served). */
export function servedPorts(pod: V1Pod): ServedPort[] {
  const seen = new Map<string, ServedPort>();
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      const protocol = p.protocol ?? "TCP";
      if (protocol !== "TCP" && protocol !== "UDP") continue;
      seen.set(`${protocol}/${p.containerPort}`, { port: p.containerPort, protocol });
    }
  }
  return [...seen.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

const CONDITION_TYPES = [
  "PodReadyToStartContainers",
  "Initialized",
  "Ready",
  "ContainersReady",
  "PodScheduled",
] as const;

export interface RunningPod {
  readonly pod: V1Pod;
  readonly podIPs: readonly string[];
  readonly hostIPs: readonly string[];
  /** Becomes startTime / startedAt, and lastTransitionTime of conditions that change now. */
  readonly startedAt: Date;
  /** Stable per pod: the lab's container IDs are `lab://<hash>/<container>`. */
  readonly hash: string;
}

function condition(pod: V1Pod, type: string, now: Date): V1PodCondition {
  const old = pod.status?.conditions?.find((c) => c.type === type);
  const since = old?.status === "True" && old.lastTransitionTime ? old.lastTransitionTime : now;
  return { type, status: "True", lastTransitionTime: since };
}

/** The status a running, ready pod reports (sent as a merge patch of `pods/status`). */
export function runningStatus(r: RunningPod): V1PodStatus {
  const { pod, startedAt } = r;
  const containerStatuses: V1ContainerStatus[] = (pod.spec?.containers ?? []).map((c) => ({
    name: c.name,
    image: c.image ?? "",
    imageID: `lab://${c.image ?? ""}`,
    containerID: `lab://${r.hash}/${c.name}`,
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt } },
  }));
  return {
    phase: "Running",
    conditions: CONDITION_TYPES.map((t) => condition(pod, t, startedAt)),
    hostIP: r.hostIPs[0] ?? "",
    hostIPs: r.hostIPs.map((ip) => ({ ip })),
    podIP: r.podIPs[0] ?? "",
    podIPs: r.podIPs.map((ip) => ({ ip })),
    startTime: pod.status?.startTime ?? startedAt,
    containerStatuses,
  };
}

/** True when the pod already reports Running + Ready with exactly these pod IPs. */
export function showsRunning(pod: V1Pod, podIPs: readonly string[]): boolean {
  const shown = (pod.status?.podIPs ?? []).map((p) => p.ip);
  const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  return (
    pod.status?.phase === "Running" &&
    ready === true &&
    shown.length === podIPs.length &&
    shown.every((ip, i) => ip === podIPs[i])
  );
}

/**
 * Until when a pod being deleted keeps serving: a kubelet runs each container's preStop hook
 * before it stops the container, so a preStop `sleep` of N seconds keeps the pod serving N
 * seconds after the deletion, never beyond the grace period (the lab's containers stop at once
 * otherwise). Undefined when the pod is not being deleted gracefully or has no such hook.
 */
export function servesUntil(pod: V1Pod): Date | undefined {
  const deletion = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds ?? 0;
  if (!deletion || grace <= 0) return undefined;
  const hooks = (pod.spec?.containers ?? []).map((c) => c.lifecycle?.preStop?.sleep?.seconds ?? 0);
  const sleep = Math.min(Math.max(0, ...hooks), grace);
  if (sleep <= 0) return undefined;
  // The apiserver sets deletionTimestamp to the time of the delete plus the grace period.
  return new Date(new Date(deletion).getTime() - (grace - sleep) * 1000);
}
