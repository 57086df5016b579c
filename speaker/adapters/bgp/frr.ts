/**
 * FRR, driven through its own tools: the configuration file is applied with frr-reload.py
 * (`--test` first, then `--reload`), session state is read with vtysh. Applying is debounced and
 * serialised; a configuration FRR refuses leaves the file and FRR on the last good one (a failed
 * reload is rolled back by reloading that file again). Constructors do no I/O.
 */
import { execFile } from "node:child_process";
import { rename, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute } from "node:path";
import { reloadChanges } from "../../core/bgp/reload-changes.js";

export interface FrrPaths {
  /** The configuration file (FRR's integrated frr.conf). */
  readonly config: string;
  /** Directory of the daemons' vty sockets; undefined: FRR's default. */
  readonly vtySocket: string | undefined;
  readonly reload: string;
  readonly vtysh: string;
}

export interface CommandResult {
  readonly code: number;
  readonly output: string;
}
/** Runs a program with arguments; the output is stdout and stderr together. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

export const execRunner: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });

export type ApplyResult =
  | { readonly ok: true; readonly changed: boolean }
  | { readonly ok: false; readonly stage: "write" | "test" | "reload"; readonly output: string };

export interface FrrOptions {
  readonly paths: FrrPaths;
  readonly run?: CommandRunner;
  /** Quiet time before applying, so a burst of changes is one reload. */
  readonly debounceMs?: number;
  readonly onApplied?: (result: ApplyResult, text: string) => void;
}

export class Frr {
  private readonly run: CommandRunner;
  private lastGood: string | undefined;
  private pending: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: FrrOptions) {
    this.run = opts.run ?? execRunner;
  }

  /** The configuration FRR runs, as IronLB last applied it. */
  get applied(): string | undefined {
    return this.lastGood;
  }

  /** Applies `text` after the debounce; a later call replaces an earlier one not yet applied. */
  apply(text: string): void {
    // Nothing new: a pending change keeps its place in time (a steady stream of passes that
    // render the same text must not postpone it forever).
    if (text === (this.pending ?? this.lastGood)) return;
    this.pending = text;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next !== undefined) void this.applyNow(next).then((r) => this.opts.onApplied?.(r, next));
    }, this.opts.debounceMs ?? 500);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Applies `text` at once (after any apply under way). */
  applyNow(text: string): Promise<ApplyResult> {
    const next = this.chain.then(() => this.applyOnce(text));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private reloadArgs(mode: "--test" | "--reload", file: string): string[] {
    const { paths } = this.opts;
    const args = [mode, "--stdout", "--confdir", dirname(paths.config)];
    if (paths.vtySocket !== undefined)
      args.push("--vty_socket", paths.vtySocket, "--rundir", paths.vtySocket);
    if (isAbsolute(paths.vtysh)) args.push("--bindir", dirname(paths.vtysh));
    return [...args, file];
  }

  private async applyOnce(text: string): Promise<ApplyResult> {
    if (text === this.lastGood) return { ok: true, changed: false };
    const { config, reload } = this.opts.paths;
    const candidate = `${config}.ironlb-new`;
    try {
      await writeFile(candidate, text, { mode: 0o640 });
    } catch (e) {
      return { ok: false, stage: "write", output: e instanceof Error ? e.message : String(e) };
    }
    const tested = await this.run(reload, this.reloadArgs("--test", candidate));
    if (tested.code !== 0) {
      await rm(candidate, { force: true });
      return { ok: false, stage: "test", output: tested.output };
    }
    const reloaded = await this.run(reload, this.reloadArgs("--reload", candidate));
    if (reloaded.code !== 0 && !(await this.runs(candidate))) {
      await rm(candidate, { force: true });
      // Back to the last good configuration, still in the file.
      if (this.lastGood !== undefined) await this.run(reload, this.reloadArgs("--reload", config));
      return { ok: false, stage: "reload", output: reloaded.output };
    }
    await rename(candidate, config);
    this.lastGood = text;
    return { ok: true, changed: true };
  }

  /**
   * Whether FRR runs `file` already: `--test` finds nothing to add or delete. frr-reload.py's
   * second pass runs every added line again, and FRR 8.4 refuses a repeated
   * `neighbor X graceful-restart` ("not valid at this moment"), so the reload that adds one exits
   * 13 although FRR runs the whole file; what FRR runs decides, not the exit code.
   */
  private async runs(file: string): Promise<boolean> {
    const tested = await this.run(this.opts.paths.reload, this.reloadArgs("--test", file));
    return tested.code === 0 && reloadChanges(tested.output).length === 0;
  }

  /** `vtysh -c COMMAND`, against this FRR's sockets. */
  async show(command: string): Promise<CommandResult> {
    const { vtysh, vtySocket, config } = this.opts.paths;
    const socket = vtySocket === undefined ? [] : ["--vty_socket", vtySocket];
    return this.run(vtysh, [...socket, "--config_dir", dirname(config), "-c", command]);
  }
}
