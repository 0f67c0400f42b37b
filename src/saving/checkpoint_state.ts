/**
 * The `checkpoint` file beside a directory's checkpoints: a text-format CheckpointState naming the latest
 * checkpoint prefix and all those kept, oldest first, with their timestamps. Paths are stored relative to
 * the directory when they lie in it (TensorFlow's save_relative_paths) or as given; readers make relative
 * paths absolute against the directory, as TensorFlow's get_checkpoint_state does. It is replaced
 * atomically, so a reader sees the old file or the new one, never a torn one.
 */
import { create } from "@bufbuild/protobuf";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../io/atomic_file.js";
import { indexFilename } from "../io/tensor_bundle.js";
import { fromTextFormat, toTextFormat } from "../io/text_format.js";
import { type CheckpointState, CheckpointStateSchema } from "../proto/tensorflow/python/training/checkpoint_state_pb.js";
import { logWarning } from "../core/logging.js";

export type { CheckpointState };

export interface CheckpointStateUpdate {
  /** The newest checkpoint prefix. */
  modelCheckpointPath: string;
  /** Every prefix kept, oldest first (model_checkpoint_path is appended when missing). */
  allModelCheckpointPaths?: readonly string[];
  /** Seconds since the epoch, one per kept path. */
  allModelCheckpointTimestamps?: readonly number[];
  lastPreservedTimestamp?: number;
  /** Store paths inside the directory relative to it (TensorFlow's default for the Saver: false). */
  saveRelativePaths?: boolean;
  latestFilename?: string;
}

/** Writes `<dir>/checkpoint` (or latestFilename) atomically and durably. */
export function updateCheckpointState(dir: string, update: CheckpointStateUpdate): void {
  const rel = (p: string) => {
    if (!update.saveRelativePaths || !path.isAbsolute(p)) return p;
    const r = path.relative(dir, p);
    return r.startsWith("..") ? p : r;
  };
  const all = [...(update.allModelCheckpointPaths ?? [])];
  if (all[all.length - 1] !== update.modelCheckpointPath) all.push(update.modelCheckpointPath);
  const state = create(CheckpointStateSchema, {
    modelCheckpointPath: rel(update.modelCheckpointPath),
    allModelCheckpointPaths: all.map(rel),
    allModelCheckpointTimestamps: [...(update.allModelCheckpointTimestamps ?? [])],
    lastPreservedTimestamp: update.lastPreservedTimestamp ?? 0,
  });
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, update.latestFilename ?? "checkpoint"), toTextFormat(CheckpointStateSchema, state));
}

/**
 * The CheckpointState of `dir` with relative paths made absolute against it, or null when the file is
 * missing or cannot be parsed (TensorFlow logs and ignores a bad file the same way).
 */
export function getCheckpointState(dir: string, latestFilename = "checkpoint"): CheckpointState | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, latestFilename), "utf8");
  } catch {
    return null;
  }
  let state: CheckpointState;
  try {
    state = fromTextFormat(CheckpointStateSchema, text);
  } catch (e) {
    logWarning(`${path.join(dir, latestFilename)}: ${(e as Error).message}; checkpoint state ignored`);
    return null;
  }
  if (state.modelCheckpointPath === "") return null;
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.join(dir, p));
  state.modelCheckpointPath = abs(state.modelCheckpointPath);
  state.allModelCheckpointPaths = state.allModelCheckpointPaths.map(abs);
  return state;
}

/** Whether a (V2) checkpoint exists at `prefix`: its .index is written last, so it marks a complete one. */
export function checkpointExists(prefix: string): boolean {
  return fs.existsSync(indexFilename(prefix));
}

/** The latest checkpoint prefix named by `dir`'s checkpoint file, or null when none or it no longer exists. */
export function latestCheckpoint(dir: string, latestFilename = "checkpoint"): string | null {
  const state = getCheckpointState(dir, latestFilename);
  if (state === null || !checkpointExists(state.modelCheckpointPath)) return null;
  return state.modelCheckpointPath;
}
