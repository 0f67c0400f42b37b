/**
 * The event file writer behind tf.summary.createFileWriter and tf.compat.v1.summary.FileWriter: one file
 * `events.out.tfevents.<secs>.<host>.<pid>.<n>.v2` per writer (as TensorFlow 2 names them), whose first
 * record is Event{file_version: "brain.Event:2"}. Events are framed into an in-memory queue; the queue is
 * written to the file (one write for all of it) when it holds `maxQueue` events, and written and fsynced every
 * `flushMillis` (an unref'd timer, so it never keeps the process alive), at flush(), at close() and when the
 * process exits. So a training step pays for a protobuf encoding and a CRC, never for a system call, and
 * every event queued before flush() returned is on disk.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { FailedPreconditionError, NotFoundError, PermissionDeniedError, UnknownError } from "../core/errors.js";
import { type Event, EventSchema } from "../proto/tensorflow/core/util/event_pb.js";
import { frameRecord } from "./records.js";

export interface EventFileWriterOptions {
  /** Events held in memory before they are written (TensorFlow's max_queue, default 10). */
  readonly maxQueue?: number;
  /** The longest an event waits in memory, in milliseconds (TensorFlow's flush_millis, default 120000). */
  readonly flushMillis?: number;
  /** Appended to the file name (TensorFlow 2 appends ".v2"). */
  readonly filenameSuffix?: string;
}

/** Writers still open, flushed when the process exits (TensorFlow flushes its writers at exit too). */
const OPEN = new Set<EventFileWriter>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const w of OPEN) w.flush();
  });
}

/** A per-process counter in file names, so two writers opened in the same second get different files. */
let fileCounter = 0;

function ioError(e: unknown, what: string): Error {
  const err = e as NodeJS.ErrnoException;
  const msg = `${what}: ${err.message}`;
  if (err.code === "EACCES" || err.code === "EPERM" || err.code === "EROFS") return new PermissionDeniedError(msg);
  if (err.code === "ENOENT" || err.code === "ENOTDIR") return new NotFoundError(msg);
  return new UnknownError(msg);
}

export class EventFileWriter {
  readonly logdir: string;
  private readonly maxQueue: number;
  private readonly flushMillis: number;
  private readonly suffix: string;
  private fd: number | null = null;
  private path_ = "";
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(logdir: string, options: EventFileWriterOptions = {}) {
    this.logdir = logdir;
    this.maxQueue = options.maxQueue ?? 10;
    this.flushMillis = options.flushMillis ?? 120_000;
    this.suffix = options.filenameSuffix ?? ".v2";
    this.open();
  }

  /** The event file being written. */
  get path(): string {
    return this.path_;
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** Opens a new event file (at construction, and by reopen() after close()). */
  open(): void {
    if (this.fd !== null) return;
    try {
      mkdirSync(this.logdir, { recursive: true });
    } catch (e) {
      throw ioError(e, `cannot create the log directory ${this.logdir}`);
    }
    const secs = Math.floor(Date.now() / 1000);
    const name = `events.out.tfevents.${String(secs).padStart(10, "0")}.${hostname()}.${process.pid}.${++fileCounter}${this.suffix}`;
    const path = join(this.logdir, name);
    try {
      this.fd = openSync(path, "wx");
    } catch (e) {
      throw ioError(e, `cannot create the event file ${path}`);
    }
    this.path_ = path;
    OPEN.add(this);
    installExitHook();
    this.add(create(EventSchema, { wallTime: secs, what: { case: "fileVersion", value: "brain.Event:2" } }));
    this.flush();
    if (this.flushMillis > 0 && Number.isFinite(this.flushMillis)) {
      this.timer = setInterval(() => this.flush(), this.flushMillis);
      this.timer.unref();
    }
  }

  /** Queues one event (framed now, written at the next flush). */
  add(event: Event): void {
    if (this.fd === null) throw new FailedPreconditionError(`the event writer of ${this.logdir} is closed (reopen() it first)`);
    this.addRecord(toBinary(EventSchema, event));
  }

  /** Queues an already serialized Event. */
  addRecord(payload: Uint8Array): void {
    if (this.fd === null) throw new FailedPreconditionError(`the event writer of ${this.logdir} is closed (reopen() it first)`);
    const framed = frameRecord(payload);
    this.queue.push(framed);
    this.queuedBytes += framed.length;
    // A full queue goes to the OS in one write; the fsync is kept for flush()/close()/the timer.
    if (this.queue.length >= this.maxQueue) this.flush(false);
  }

  /** Writes every queued event in one write and (unless `sync` is false) fsyncs the file. */
  flush(sync = true): void {
    if (this.fd === null) return;
    if (this.queue.length > 0) {
      const all = new Uint8Array(this.queuedBytes);
      let at = 0;
      for (const r of this.queue) {
        all.set(r, at);
        at += r.length;
      }
      this.queue = [];
      this.queuedBytes = 0;
      let done = 0;
      try {
        while (done < all.length) done += writeSync(this.fd, all, done, all.length - done);
      } catch (e) {
        throw ioError(e, `cannot write the event file ${this.path_}`);
      }
    }
    if (!sync) return;
    try {
      fsyncSync(this.fd);
    } catch (e) {
      throw ioError(e, `cannot sync the event file ${this.path_}`);
    }
  }

  /** Flushes and closes the file; reopen() starts a new one. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    closeSync(this.fd);
    this.fd = null;
    OPEN.delete(this);
  }
}
