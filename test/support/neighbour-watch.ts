/**
 * When the client's neighbour entry for an IP changes: `ip monitor neigh` in the client namespace,
 * each line time-stamped on arrival (the client namespace shares the host's clock).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { CLIENT_NS } from "./e2e.js";

export interface NeighbourChange {
  readonly at: number;
  readonly mac: string;
}

export interface NeighbourWatch {
  /** Grows while the watch runs: every notification naming the IP with a MAC. */
  readonly changes: readonly NeighbourChange[];
  /** The first change at or after `from` to a MAC other than `old`. */
  firstMoveAfter(from: number, old: string): NeighbourChange | undefined;
  stop(): void;
}

export function watchNeighbour(ip: string): NeighbourWatch {
  const child = spawn("ip", ["-n", CLIENT_NS, "monitor", "neigh"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const changes: NeighbourChange[] = [];
  const prefix = `${ip} `;
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (!line.startsWith(prefix) && !line.startsWith(`Deleted ${prefix}`)) return;
    const mac = /lladdr ([0-9a-f:]{17})/.exec(line)?.[1];
    if (mac && !line.startsWith("Deleted")) changes.push({ at: Date.now(), mac });
  });
  return {
    changes,
    firstMoveAfter: (from, old) => changes.find((c) => c.at >= from && c.mac !== old),
    stop: () => child.kill("SIGKILL"),
  };
}
