/**
 * fsync on a thread of its own, so that the caller keeps working while the disk does: a checkpoint save
 * computes its CRC-32Cs and builds its .index while the data file's fsync runs (docs/BENCHMARKS.md,
 * "Checkpoints"). The API stays synchronous: fsyncInBackground() posts a request, and the caller's
 * PendingSync.wait() sleeps in Atomics.wait until it is done, throwing the fsync's error if it failed.
 *
 * Requests sit in a small ring of slots on a SharedArrayBuffer, each with a state that whoever takes it
 * claims by compare-and-swap: the sync thread claims posted slots in order, and a caller that comes to
 * wait for a request not yet claimed (the thread still booting, or gone) claims it and syncs itself, so a
 * wait never depends on the thread being alive. File descriptors are process-wide, so the thread's fsync
 * reaches the caller's file; the caller must not close the descriptor before wait() returns.
 */
import * as fs from "node:fs";
import * as util from "node:util";
import { Worker } from "node:worker_threads";

const RING = 32;
const POSTED = 0;
const READY = 1;
const SLOTS = 2;
/** Slot i is [state, fd, errno] at SLOTS + 3 i. */
const FREE = 0;
const QUEUED = 1;
const CLAIMED = 2;
const SYNCED = 3;
const FAILED = 4;

/** The thread's whole program (CommonJS, evaluated: no file to resolve in the source tree or the package). */
const WORKER_SOURCE = `
const { workerData: ctl } = require("node:worker_threads");
const fs = require("node:fs");
Atomics.store(ctl, ${READY}, 1);
let next = 0;
for (;;) {
  Atomics.wait(ctl, ${POSTED}, next);
  const posted = Atomics.load(ctl, ${POSTED});
  for (; next < posted; next++) {
    const at = ${SLOTS} + 3 * (next % ${RING});
    if (Atomics.compareExchange(ctl, at, ${QUEUED}, ${CLAIMED}) !== ${QUEUED}) continue;
    let state = ${SYNCED};
    try {
      fs.fsyncSync(ctl[at + 1]);
    } catch (e) {
      ctl[at + 2] = typeof e.errno === "number" ? e.errno : -5;
      state = ${FAILED};
    }
    Atomics.store(ctl, at, state);
    Atomics.notify(ctl, at);
  }
}
`;

/** An fsync under way; wait() returns once the file's written bytes are durable. */
export interface PendingSync {
  wait(): void;
  /** Whether it has finished: waited for, or done by the sync thread (wait() then returns or throws at once). */
  settled(): boolean;
}

let ctl: Int32Array | null = null;
let threadFailed = false;
let enabled = true;

/**
 * Turns the sync thread off (every fsync then runs in wait(), on the caller's thread) or back on: the
 * checkpoint benchmark times both in one process (bench/checkpoint.ts).
 */
export function setBackgroundSync(on: boolean): void {
  enabled = on;
}

function syncThread(): Int32Array | null {
  if (!enabled) return null;
  if (ctl !== null || threadFailed) return ctl;
  const shared = new Int32Array(new SharedArrayBuffer((SLOTS + 3 * RING) * 4));
  try {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: shared });
    // A thread that dies leaves its requests to their callers' wait(), and later ones are never posted.
    worker.on("error", () => {
      threadFailed = true;
      ctl = null;
    });
    // Unref'd: a program exits normally while the thread sleeps between requests.
    worker.unref();
  } catch {
    // No threads here (resource limits, a restricted embedder): every fsync runs in wait() instead.
    threadFailed = true;
    return null;
  }
  ctl = shared;
  return ctl;
}

/** A request the caller's thread runs itself, in wait(). */
function inline(fd: number): PendingSync {
  let waited = false;
  return {
    settled: () => waited,
    wait() {
      if (waited) return;
      waited = true;
      fs.fsyncSync(fd);
    },
  };
}

/** Starts fsync(fd) on the sync thread (started on first use); the caller must wait() before closing fd. */
export function fsyncInBackground(fd: number): PendingSync {
  const c = syncThread();
  if (c === null) return inline(fd);
  const seq = Atomics.load(c, POSTED);
  const at = SLOTS + 3 * (seq % RING);
  // Every slot still held by a request nobody has waited for yet: no queue to join, so sync when asked.
  if (Atomics.load(c, at) !== FREE) return inline(fd);
  c[at + 1] = fd;
  c[at + 2] = 0;
  Atomics.store(c, at, QUEUED);
  Atomics.store(c, POSTED, seq + 1);
  Atomics.notify(c, POSTED);
  let waited = false;
  return {
    settled: () => waited || Atomics.load(c, at) >= SYNCED,
    wait() {
      if (waited) return;
      waited = true;
      if (Atomics.compareExchange(c, at, QUEUED, CLAIMED) === QUEUED) {
        // The thread has not taken it: do it here rather than depend on the thread.
        Atomics.store(c, at, FREE);
        fs.fsyncSync(fd);
        return;
      }
      for (let s = Atomics.load(c, at); s === CLAIMED; s = Atomics.load(c, at)) Atomics.wait(c, at, s);
      const failed = Atomics.load(c, at) === FAILED;
      const errno = c[at + 2];
      Atomics.store(c, at, FREE);
      if (failed) throw syncError(errno, fd);
    },
  };
}

/** The error fs.fsyncSync would have thrown, rebuilt from the errno the thread saw. */
function syncError(errno: number, fd: number): NodeJS.ErrnoException {
  const code = util.getSystemErrorName(errno);
  const e: NodeJS.ErrnoException = new Error(`${code}: fsync of file descriptor ${fd} failed`);
  e.errno = errno;
  e.code = code;
  e.syscall = "fsync";
  return e;
}
