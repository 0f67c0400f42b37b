/**
 * Writing a file so that readers see either its old content or the whole new one, even when the process
 * is killed or the machine loses power mid-write: the bytes go to a temporary file in the same directory
 * (so rename stays on one file system), which is fsynced, renamed over the target, and then the directory
 * is fsynced so that the rename itself is durable.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fsyncInBackground, type PendingSync } from "./background_sync.js";

/** A temporary file that becomes `target` on commit(); abort() removes it. */
export class AtomicFile {
  readonly target: string;
  readonly tmpPath: string;
  private fd: number;
  private written = 0;
  private pendingSync: PendingSync | null = null;
  private syncedSize = 0;

  constructor(target: string) {
    this.target = target;
    this.tmpPath = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    this.fd = fs.openSync(this.tmpPath, "w");
  }

  /** Bytes written so far (the offset the next write lands at). */
  get size(): number {
    return this.written;
  }

  write(bytes: Uint8Array): void {
    writeAll(this.fd, bytes);
    this.written += bytes.length;
  }

  /**
   * Starts making the bytes written so far durable on the sync thread (io/background_sync.ts), so that the
   * caller can work while the disk does; commit() waits for it.
   */
  syncInBackground(): void {
    this.pendingSync?.wait();
    this.pendingSync = fsyncInBackground(this.fd);
    this.syncedSize = this.written;
  }

  commit(options: { syncDir?: boolean } = {}): void {
    const pending = this.pendingSync;
    this.pendingSync = null;
    if (pending !== null) pending.wait();
    if (pending === null || this.written !== this.syncedSize) fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    fs.renameSync(this.tmpPath, this.target);
    if (options.syncDir !== false) fsyncDir(path.dirname(this.target));
  }

  abort(): void {
    // The sync thread may still hold the descriptor: closed first, its number could go to another file.
    const pending = this.pendingSync;
    this.pendingSync = null;
    try {
      pending?.wait();
    } catch {
      // the file is being discarded: its fsync error does not matter
    }
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    fs.rmSync(this.tmpPath, { force: true });
  }
}

/** Replaces `target` with `bytes` atomically and durably. */
export function writeFileAtomic(target: string, bytes: Uint8Array | string): void {
  const f = new AtomicFile(target);
  try {
    f.write(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
    f.commit();
  } catch (e) {
    f.abort();
    throw e;
  }
}

/** Makes the entries of `dir` (creations, renames, deletions) durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** writeSync until every byte is out (one call may write fewer, and takes at most 2 GiB). */
function writeAll(fd: number, bytes: Uint8Array): void {
  const CHUNK = 1 << 30;
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, Math.min(CHUNK, bytes.length - off));
}
