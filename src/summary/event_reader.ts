/**
 * Reading event files: tf.summary.summaryIterator(path) (TensorFlow's tf.compat.v1.train.summary_iterator)
 * and EventFileLoader, the incremental reader a board polls. Both read TFRecord-framed Event protos as
 * TensorFlow 1, TensorFlow 2 and tsflow write them. A file whose last record is still being written ends
 * cleanly before that record (the loader resumes there when the file grows); a corrupt record is a
 * DataLossError from the iterator and an `error` on the loader (the events before it stay readable).
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { fromBinary } from "@bufbuild/protobuf";
import { DataLossError, NotFoundError } from "../core/errors.js";
import { type Event, EventSchema } from "../proto/tensorflow/core/util/event_pb.js";
import { scanRecords } from "./records.js";

function readAll(path: string, where: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(`${path}; No such file or directory [${where}]`);
    throw e;
  }
}

function decodeEvent(payload: Uint8Array, path: string, offset: number): Event {
  try {
    return fromBinary(EventSchema, payload);
  } catch (e) {
    throw new DataLossError(`${path}: the record at offset ${offset} is not an Event proto (${(e as Error).message})`);
  }
}

/** The events of an event file, in order (a truncated last record ends the iteration; corruption throws). */
export function* summaryIterator(path: string): Generator<Event> {
  const where = "tf.summary.summaryIterator";
  const scan = scanRecords(readAll(path, where));
  for (const r of scan.records) yield decodeEvent(r.payload, path, r.offset);
  if (typeof scan.stop === "object") throw new DataLossError(`${path}: ${scan.stop.corrupt} [${where}]`);
}

/**
 * Reads an event file that may still be growing: each poll() returns the events appended since the last
 * one, reading only the new bytes. A record still being written is left for the next poll; a corrupt record
 * (or an undecodable Event) stops the loader with `error` set, keeping what came before.
 */
export class EventFileLoader {
  private offset = 0;
  private error_: string | null = null;
  constructor(readonly path: string) {}

  /** Why this file cannot be read further, or null. */
  get error(): string | null {
    return this.error_;
  }

  /** The bytes read and decoded so far. */
  get position(): number {
    return this.offset;
  }

  poll(): Event[] {
    if (this.error_ !== null) return [];
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch (e) {
      this.error_ = `${this.path}: ${(e as Error).message}`;
      return [];
    }
    let bytes: Uint8Array;
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) {
        this.error_ = `${this.path}: the file shrank from ${this.offset} to ${size} bytes`;
        return [];
      }
      bytes = new Uint8Array(size - this.offset);
      let got = 0;
      while (got < bytes.length) {
        const n = readSync(fd, bytes, got, bytes.length - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
      bytes = bytes.subarray(0, got);
    } finally {
      closeSync(fd);
    }
    const scan = scanRecords(bytes);
    const events: Event[] = [];
    for (const r of scan.records) {
      try {
        events.push(fromBinary(EventSchema, r.payload));
      } catch (e) {
        this.error_ = `${this.path}: the record at offset ${this.offset + r.offset} is not an Event proto (${(e as Error).message})`;
        this.offset += r.offset;
        return events;
      }
    }
    this.offset += scan.end;
    if (typeof scan.stop === "object")
      this.error_ = `${this.path}: ${scan.stop.corrupt.replace(/offset (\d+)/, (_m, o) => `offset ${this.offset - scan.end + Number(o)}`)}`;
    return events;
  }
}
