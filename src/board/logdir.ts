/**
 * The logdir as the board sees it: runs are the directories (the logdir itself is run ".") holding event files
 * (names containing "tfevents"), each file read incrementally from the offset where the last read stopped. A
 * record still being written (a truncated tail) is left for the next reload; a corrupt record or an undecodable
 * event stops that file and is listed as an error item for the page, never thrown.
 */
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { EventFileLoader } from "../summary/event_reader.js";
import { RunData } from "./run_data.js";

/** A problem the page shows beside the runs: which file, and what is wrong with it. */
export interface LoadError {
  readonly run: string;
  readonly file: string;
  readonly message: string;
}

export interface Run {
  readonly name: string;
  readonly dir: string;
  readonly data: RunData;
  /** The incremental reader of each event file (summary/event_reader.ts), by file name. */
  readonly files: Map<string, EventFileLoader>;
}

/** How deep runs are looked for below the logdir. */
const MAX_DEPTH = 8;

export class Logdir {
  readonly runs = new Map<string, Run>();
  /** Errors of the logdir itself (missing, unreadable). */
  topError: string | undefined;
  private reloading: Promise<void> | undefined;

  constructor(readonly path: string) {}

  /** Reads what was added since the last reload (one reload at a time; a call during one waits for it). */
  reload(): Promise<void> {
    this.reloading ??= this.doReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  errors(): LoadError[] {
    const out: LoadError[] = [];
    if (this.topError !== undefined) out.push({ run: "", file: this.path, message: this.topError });
    for (const run of this.runs.values()) {
      for (const message of run.data.problems) out.push({ run: run.name, file: "", message });
      for (const [file, loader] of run.files) if (loader.error !== null) out.push({ run: run.name, file, message: loader.error });
    }
    return out;
  }

  private async doReload(): Promise<void> {
    const found = new Map<string, string[]>();
    try {
      await this.walk(this.path, 0, found);
      this.topError = undefined;
    } catch (e) {
      this.topError = `cannot read the logdir: ${(e as Error).message}`;
      return;
    }
    for (const [dir, files] of found) {
      const rel = relative(this.path, dir);
      const name = rel === "" ? "." : rel.split(sep).join("/");
      let run = this.runs.get(name);
      if (run === undefined) this.runs.set(name, (run = { name, dir, data: new RunData(), files: new Map() }));
      for (const f of files.sort()) this.readFile(run, f);
    }
  }

  private async walk(dir: string, depth: number, found: Map<string, string[]>): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.isFile() && e.name.includes("tfevents")) {
        const list = found.get(dir) ?? [];
        list.push(e.name);
        found.set(dir, list);
      } else if (e.isDirectory() && depth < MAX_DEPTH) {
        // A subdirectory that cannot be read is skipped; the logdir itself failing is reported by the caller.
        await this.walk(join(dir, e.name), depth + 1, found).catch(() => undefined);
      }
    }
  }

  private readFile(run: Run, name: string): void {
    let loader = run.files.get(name);
    if (loader === undefined) run.files.set(name, (loader = new EventFileLoader(join(run.dir, name))));
    for (const event of loader.poll()) run.data.add(event);
  }
}
