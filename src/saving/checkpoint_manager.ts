/**
 * tf.train.CheckpointManager: numbered checkpoints of one tf.train.Checkpoint in a directory
 * (`<directory>/<checkpointName>-N`), the newest `maxToKeep` kept (plus one every
 * `keepCheckpointEveryNHours`), the `checkpoint` file naming them. A save writes the new checkpoint
 * completely (bundle files synced and renamed, .index last), records it in the `checkpoint` file, and only
 * then deletes the old ones, recording the state again after: a crash at any point leaves the last good
 * checkpoint restorable and named. State (paths, timestamps) is recovered from the `checkpoint` file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InvalidArgumentError } from "../core/errors.js";
import { ArgsOf, declare, K, kind, optional, param, parseArgs, signature, withDefault } from "../core/signature.js";
import type { EagerTensor } from "../eager/tensor.js";
import { initScope } from "../function/index.js";
import { constant } from "../ops/creation.js";
import type { Variable } from "../variables/variable.js";
import { Checkpoint } from "./checkpoint.js";
import { getCheckpointState, updateCheckpointState } from "./checkpoint_state.js";

const managerSignature = signature(
  "train.CheckpointManager",
  "Saves numbered checkpoints of a tf.train.Checkpoint in a directory and deletes old ones.",
  [
    param("checkpoint", kind<Checkpoint>("tf.train.Checkpoint"), "The checkpoint to save and restore."),
    param("directory", K.string, "The directory of the checkpoints and of the `checkpoint` file."),
    optional("maxToKeep", K.int, "How many of the newest checkpoints to keep (null: all)."),
    optional("keepCheckpointEveryNHours", K.number, "Besides those, keep one checkpoint every this many hours."),
    withDefault("checkpointName", K.string, "ckpt", "The prefix of the checkpoint files in the directory."),
    optional("stepCounter", kind<Variable>("Variable"), "The training step counter that checkpointInterval is measured in."),
    optional("checkpointInterval", K.int, "Save only when stepCounter advanced by at least this much since the last save."),
    optional("initFn", kind<() => void>("() => void"), "Called by restoreOrInitialize when there is no checkpoint."),
  ],
  { args: (tf) => [new tf.train.Checkpoint({ v: new tf.Variable(1) }), "/tmp/tsflow-signature-example-checkpoint-manager", 3] },
);
const saveSignature = signature(
  "train.CheckpointManager.save",
  "Saves a new checkpoint (numbered by the save counter) and deletes those no longer kept; returns its prefix.",
  [
    optional("checkpointNumber", K.int, "The number of the checkpoint (default: the checkpoint's save_counter after incrementing it)."),
    withDefault("checkInterval", K.boolean, true, "Skip the save when checkpointInterval steps have not passed (as TensorFlow's check_interval)."),
  ],
);

function readInt(v: Variable): number {
  return Number((v.value() as EagerTensor).item());
}

export class CheckpointManager {
  readonly checkpoint: Checkpoint;
  readonly directory: string;
  readonly maxToKeep: number | null;
  readonly keepCheckpointEveryNHours: number | null;
  readonly checkpointInterval: number | null;
  readonly #prefix: string;
  readonly #stepCounter: Variable | null;
  readonly #initFn: (() => void) | null;
  /** The checkpoints that may still be deleted, oldest first, with their save times (seconds). */
  readonly #maybeDelete = new Map<string, number>();
  #latest: string | null = null;
  #lastPreserved: number;
  #lastCheckpointStep: number | null = null;

  constructor(...args: ArgsOf<typeof managerSignature>) {
    const [checkpoint, directory, maxToKeep, keepEvery, checkpointName, stepCounter, checkpointInterval, initFn] = parseArgs(managerSignature, args);
    if (!(checkpoint instanceof Checkpoint))
      throw new InvalidArgumentError(`tf.train.CheckpointManager: checkpoint must be a tf.train.Checkpoint, got ${String(checkpoint)}`);
    if (maxToKeep !== undefined && maxToKeep !== null && maxToKeep <= 0) {
      throw new InvalidArgumentError(`tf.train.CheckpointManager: maxToKeep must be positive or null, got ${maxToKeep}`);
    }
    if (checkpointInterval !== undefined && checkpointInterval !== null && !stepCounter) {
      throw new InvalidArgumentError("tf.train.CheckpointManager: stepCounter must be given with checkpointInterval");
    }
    this.checkpoint = checkpoint;
    this.directory = directory;
    this.maxToKeep = maxToKeep ?? null;
    this.keepCheckpointEveryNHours = keepEvery ?? null;
    this.checkpointInterval = checkpointInterval ?? null;
    this.#prefix = path.join(directory, checkpointName);
    this.#stepCounter = stepCounter ?? null;
    this.#initFn = initFn ?? null;
    const now = Date.now() / 1000;
    const state = getCheckpointState(directory);
    if (state === null) {
      // A second back, so that a manager re-created at once still keeps its first checkpoints by the hour rule.
      this.#lastPreserved = now - 1;
      return;
    }
    this.#latest = state.modelCheckpointPath;
    this.#lastPreserved = state.lastPreservedTimestamp;
    const paths = state.allModelCheckpointPaths;
    const stamps = state.allModelCheckpointTimestamps.length === paths.length ? state.allModelCheckpointTimestamps : paths.map(() => this.#lastPreserved);
    paths.forEach((p, i) => {
      // A clock that went back must not make old checkpoints look new.
      const t = Math.min(stamps[i], now);
      if (t > this.#lastPreserved) this.#maybeDelete.set(p, t);
    });
  }

  /** The newest checkpoint's prefix, or null. */
  get latestCheckpoint(): string | null {
    return this.#latest;
  }
  /** The checkpoints kept and managed (oldest first), the latest last. */
  get checkpoints(): string[] {
    return [...this.#maybeDelete.keys()];
  }

  /**
   * Saves `<directory>/<checkpointName>-N` and returns its prefix (null when checkpointInterval says not yet).
   * Old checkpoints are deleted only after the new one is complete and recorded.
   */
  save(...args: ArgsOf<typeof saveSignature>): string | null {
    const [checkpointNumber, checkInterval] = parseArgs(saveSignature, args);
    if (this.checkpointInterval !== null) {
      const step = readInt(this.#stepCounter!);
      if (this.#lastCheckpointStep !== null) {
        if (step === this.#lastCheckpointStep) return null;
        if (checkInterval && step < this.#lastCheckpointStep + this.checkpointInterval) return null;
      }
      this.#lastCheckpointStep = step;
    }
    const counter = this.checkpoint.saveCounter;
    const n = initScope(() => {
      counter.assignAdd(constant(1, { dtype: "int64" }));
      return checkpointNumber ?? readInt(counter);
    });
    const saved = this.checkpoint.write(`${this.#prefix}-${n}`);
    const now = Date.now() / 1000;
    // A checkpoint written again under the same number moves to the end of the queue.
    this.#maybeDelete.delete(saved);
    this.#maybeDelete.set(saved, now);
    this.#latest = saved;
    this.#recordState();
    this.#sweep();
    this.#recordState();
    return saved;
  }

  /** Restores the latest checkpoint and returns its prefix; without one calls initFn and returns null. */
  restoreOrInitialize(): string | null {
    if (this.#latest !== null) {
      this.checkpoint.restore(this.#latest);
      if (this.checkpointInterval !== null) this.#lastCheckpointStep = readInt(this.#stepCounter!);
      return this.#latest;
    }
    this.#initFn?.();
    return null;
  }

  #recordState(): void {
    if (this.#latest === null) return;
    const paths = [...this.#maybeDelete.keys()];
    updateCheckpointState(this.directory, {
      modelCheckpointPath: this.#latest,
      allModelCheckpointPaths: paths,
      allModelCheckpointTimestamps: [...this.#maybeDelete.values()],
      lastPreservedTimestamp: this.#lastPreserved,
      saveRelativePaths: true,
    });
  }

  /** Deletes the oldest checkpoints beyond maxToKeep, except one per keepCheckpointEveryNHours. */
  #sweep(): void {
    if (!this.maxToKeep) return;
    while (this.#maybeDelete.size > this.maxToKeep) {
      const [oldest, stamp] = this.#maybeDelete.entries().next().value as [string, number];
      this.#maybeDelete.delete(oldest);
      if (this.keepCheckpointEveryNHours !== null && stamp - this.keepCheckpointEveryNHours * 3600 >= this.#lastPreserved) {
        // Kept on disk, no longer listed (TensorFlow does not let the list grow without bound either).
        this.#lastPreserved = stamp;
        continue;
      }
      deleteCheckpointFiles(oldest);
    }
  }
}

/** Removes a checkpoint's files: the .index first (it marks the checkpoint complete), then its data shards. */
function deleteCheckpointFiles(prefix: string): void {
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  fs.rmSync(`${prefix}.index`, { force: true });
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const data = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.data-\\d{5}-of-\\d{5}$`);
  for (const name of names) if (data.test(name)) fs.rmSync(path.join(dir, name), { force: true });
}

declare(CheckpointManager, managerSignature);
declare(CheckpointManager.prototype.save, saveSignature);
