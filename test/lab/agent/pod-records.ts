/**
 * What the agent has realised for each pod, one JSON file per pod under the state directory, so
 * a restarted agent adopts its running pods instead of rebuilding them (or finds what to remove).
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface PodRecord {
  /** namespace/name */
  readonly key: string;
  readonly uid: string;
  readonly hash: string;
  readonly node: string;
  readonly hostNetwork: boolean;
  /** The pod's host number in its node's pod CIDRs (absent for hostNetwork pods). */
  readonly index?: number;
  readonly podIPs: readonly string[];
  readonly hostIPs: readonly string[];
  /** The pod server's PID (absent when the pod has no ports or uses the host network). */
  readonly pid?: number;
  /** ISO time the pod started running. */
  readonly startedAt: string;
}

const isRecord = (v: unknown): v is PodRecord => {
  const r = v as Partial<PodRecord> | null;
  return (
    typeof r?.key === "string" &&
    typeof r.uid === "string" &&
    typeof r.hash === "string" &&
    typeof r.node === "string" &&
    Array.isArray(r.podIPs)
  );
};

export class PodRecords {
  constructor(private readonly dir: string) {}

  private path(hash: string): string {
    return join(this.dir, `${hash}.json`);
  }

  logPath(hash: string): string {
    return join(this.dir, `${hash}.log`);
  }

  /** Creates the directory (pod server logs are opened there before the first save). */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async save(record: PodRecord): Promise<void> {
    await writeFile(this.path(record.hash), `${JSON.stringify(record)}\n`);
  }

  async remove(hash: string): Promise<void> {
    await rm(this.path(hash), { force: true });
    await rm(this.logPath(hash), { force: true });
  }

  /** Every readable record; unreadable files are reported through `onBad` and skipped. */
  async load(onBad: (file: string, why: string) => void): Promise<PodRecord[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    const records: PodRecord[] = [];
    for (const file of files.filter((f) => f.endsWith(".json"))) {
      try {
        const parsed: unknown = JSON.parse(await readFile(join(this.dir, file), "utf8"));
        if (isRecord(parsed)) records.push(parsed);
        else onBad(file, "not a pod record");
      } catch (e) {
        onBad(file, e instanceof Error ? e.message : String(e));
      }
    }
    return records;
  }
}
