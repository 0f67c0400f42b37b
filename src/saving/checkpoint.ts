/**
 * tf.train.Checkpoint: TensorFlow 2's object-based checkpoints. `new tf.train.Checkpoint({ model, optimizer,
 * step })` makes a root object whose children are the given objects (sorted by name, as TensorFlow does),
 * plus `save_counter` once it exists. write(prefix) stores every value reachable from the root in a tensor
 * bundle under TensorFlow's keys (`model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE`), with the
 * TrackableObjectGraph under `_CHECKPOINTABLE_OBJECT_GRAPH`; save(prefix) numbers the checkpoint
 * (`prefix-N`, N = save_counter) and points the directory's `checkpoint` file at it. restore(path) matches
 * the stored object graph against the live objects (object-graph-based-restoration, deferred for objects made
 * later) and returns a status with TensorFlow's assertions.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InvalidArgumentError, NotFoundError } from "../core/errors.js";
import { ArgsOf, declare, kind, param, parseArgs, positionalOnly, optional, signature } from "../core/signature.js";
import type { EagerTensor } from "../eager/tensor.js";
import { initScope } from "../function/index.js";
import { BundleReader, BundleWriter, indexFilename } from "../io/tensor_bundle.js";
import { toBinary } from "@bufbuild/protobuf";
import { constant } from "../ops/creation.js";
import { TrackableObjectGraphSchema } from "../proto/tensorflow/core/protobuf/trackable_object_graph_pb.js";
import { Variable } from "../variables/variable.js";
import { updateCheckpointState } from "./checkpoint_state.js";
import { leafValue } from "./leaf_values.js";
import { OBJECT_GRAPH_PROTO_KEY, serializeObjectGraph } from "./object_graph.js";
import { CheckpointRestore, readObjectGraph } from "./restore.js";
import { isTrackable, onTrackableChanged, trackableChanged, trackableChildren } from "./trackable.js";

const checkpointSignature = signature(
  "train.Checkpoint",
  "Groups trackable objects (variables, Keras models and optimizers, lists and objects of them) to save and restore them by object graph.",
  [
    positionalOnly(
      optional(
        "objects",
        kind<Record<string, unknown>>("{ [name: string]: Trackable }"),
        "The objects to checkpoint, by name (Python's keyword arguments); `root` names an object whose children become the checkpoint's.",
      ),
    ),
  ],
  { args: (tf) => [{ v: new tf.Variable(1) }] },
);
const prefixSignature = (name: string, doc: string) =>
  signature(name, doc, [param("filePrefix", kind<string>("string"), "The path prefix of the checkpoint files.")]);
const saveSignature = prefixSignature(
  "train.Checkpoint.save",
  "Saves a numbered checkpoint `<filePrefix>-<save_counter>` and updates the directory's `checkpoint` file.",
);
const writeSignature = prefixSignature("train.Checkpoint.write", "Writes a checkpoint at exactly `filePrefix` (no numbering, no `checkpoint` file).");
const restoreSignature = signature("train.Checkpoint.restore", "Restores from a checkpoint by object graph; objects created later are restored when created.", [
  param("savePath", kind<string | null>("string | null"), "The checkpoint prefix (or a SavedModel directory); null: nothing is restored."),
]);
const readSignature = signature("train.Checkpoint.read", "Reads a checkpoint written by write() (no save counter is created).", [
  param("savePath", kind<string>("string"), "The checkpoint prefix (or a SavedModel directory)."),
]);

/** The prefix a user's restore path names: a SavedModel directory means its variables/variables bundle. */
function resolvePrefix(savePath: string): string {
  if (fs.existsSync(indexFilename(savePath))) return savePath;
  let isDir = false;
  try {
    isDir = fs.statSync(savePath).isDirectory();
  } catch {
    // not there: reported below
  }
  if (isDir) {
    const inSavedModel = path.join(savePath, "variables", "variables");
    if (fs.existsSync(indexFilename(inSavedModel))) return inSavedModel;
    throw new NotFoundError(`${savePath} is a directory without a checkpoint; pass a checkpoint prefix, e.g. tf.train.latestCheckpoint("${savePath}")`);
  }
  throw new NotFoundError(`Failed to find any matching files for ${savePath} (no ${indexFilename(savePath)})`);
}

/**
 * Writes the values of everything reachable from `root` (any trackable: a Checkpoint, a Keras model for
 * saveWeights) with its object graph at exactly `filePrefix`, durably; returns `filePrefix`.
 */
export function writeObjectGraphCheckpoint(root: object, filePrefix: string): string {
  const { graph, values } = serializeObjectGraph(root);
  fs.mkdirSync(path.dirname(filePrefix), { recursive: true });
  const writer = new BundleWriter(filePrefix);
  try {
    for (const v of values) {
      const t = leafValue(v.leaf, v.path);
      writer.add(v.key, t.dtype, t.shape, t.values);
    }
    writer.add(OBJECT_GRAPH_PROTO_KEY, "string", [], [toBinary(TrackableObjectGraphSchema, graph)]);
    writer.finish();
  } catch (e) {
    writer.abort();
    throw e;
  }
  return filePrefix;
}

/**
 * Restores the checkpoint at `savePath` (a prefix or a SavedModel directory) into the objects under `root`
 * by object graph; values of objects made later are assigned when they are. `optional` leaves are not
 * required by the status's assertions.
 */
export function readObjectGraphCheckpoint(root: object, savePath: string, optional: readonly object[] = []): CheckpointLoadStatus {
  if (typeof savePath !== "string" || savePath === "") {
    throw new InvalidArgumentError(`tf.train.Checkpoint.restore: savePath must be a checkpoint prefix, got ${String(savePath)}`);
  }
  const prefix = resolvePrefix(savePath);
  const reader = BundleReader.open(prefix);
  const graph = readObjectGraph(reader, prefix);
  if (graph === null) {
    throw new InvalidArgumentError(
      `${prefix} is a name-based checkpoint (written by tf.train.Saver, no ${OBJECT_GRAPH_PROTO_KEY}); restore it with tf.train.Saver, or read its tensors with tf.train.loadCheckpoint`,
    );
  }
  return new CheckpointLoadStatus(new CheckpointRestore(root, prefix, reader, graph, optional));
}

/** What restore() returns: TensorFlow's CheckpointLoadStatus. */
export class CheckpointLoadStatus {
  readonly #restore: CheckpointRestore;
  constructor(restore: CheckpointRestore) {
    this.#restore = restore;
  }
  /**
   * Asserts that every value in the checkpoint was matched to an object and assigned, and that every object
   * with a value (variables, optimizer slots) under the root got one. Throws tf.errors.NotFoundError naming them.
   */
  assertConsumed(): this {
    const r = this.#restore;
    const unresolved = r.unresolvedCheckpointValues();
    if (unresolved.length > 0) throw CheckpointRestore.unresolvedError(r.prefix, unresolved);
    this.assertExistingObjectsMatched();
    return this;
  }
  /** Asserts that every object with a value under the root (as it is now) was matched to a checkpoint value; the checkpoint may hold more. */
  assertExistingObjectsMatched(): this {
    const r = this.#restore;
    const unmatched = r.unmatchedLiveValues();
    if (unmatched.length > 0) throw CheckpointRestore.unmatchedError(r.prefix, unmatched);
    return this;
  }
  /** Asserts that something besides the root was matched (the checkpoint belongs to this program at all). */
  assertNontrivialMatch(): this {
    const r = this.#restore;
    if (r.matchedCount <= 1) {
      throw new NotFoundError(`${r.prefix}: nothing except the root object matched a checkpointed value; the checkpoint does not match the objects restored`);
    }
    return this;
  }
  /** Says a partial restore is intended (tsflow does not warn about unmatched values anyway). */
  expectPartial(): this {
    return this;
  }
  /** TensorFlow 1's graph-mode restore ops: eagerly values are assigned already. */
  runRestoreOps(_session?: unknown): void {}
  /** Eagerly nothing to run: restored values are assigned, the others keep their initial values. */
  initializeOrRestore(_session?: unknown): void {}
  /** Stops the deferred restorations this restore still waits for. */
  close(): void {
    this.#restore.close();
  }
}

/** What restore(null) returns: nothing is restored (TensorFlow's InitializationOnlyStatus). */
export class InitializationOnlyStatus {
  #fail(): never {
    throw new NotFoundError("No checkpoint specified (savePath=null); nothing is being restored.");
  }
  assertConsumed(): this {
    this.#fail();
  }
  assertExistingObjectsMatched(): this {
    this.#fail();
  }
  assertNontrivialMatch(): this {
    this.#fail();
  }
  expectPartial(): this {
    return this;
  }
  runRestoreOps(_session?: unknown): void {}
  initializeOrRestore(_session?: unknown): void {}
  close(): void {}
}

export class Checkpoint {
  readonly #objects: [string, object][];
  /** The `root` object, whose children are the checkpoint's own first children. */
  readonly #root: object | null;
  #saveCounter: Variable | null = null;

  constructor(...args: ArgsOf<typeof checkpointSignature>) {
    const [objects] = parseArgs(checkpointSignature, args);
    const entries = Object.entries(objects ?? {});
    for (const [name, value] of entries) {
      if (name === "save_counter" || name === "saveCounter") {
        throw new InvalidArgumentError(`tf.train.Checkpoint: "${name}" is reserved for the checkpoint's own save counter`);
      }
      if (!isTrackable(value)) {
        throw new InvalidArgumentError(
          `tf.train.Checkpoint was expecting ${name} to be a trackable object (a tf.Variable, a Keras layer, model or optimizer, an array or object of them), got ${String(value)}`,
        );
      }
    }
    this.#root = (objects?.root as object | undefined) ?? null;
    // The root's new children are the checkpoint's: a restore waiting on the checkpoint hears of them.
    if (this.#root) onTrackableChanged(this.#root, () => trackableChanged(this));
    // TensorFlow sets the keyword arguments as attributes in sorted order.
    this.#objects = entries.filter(([n]) => n !== "root").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) as [string, object][];
  }

  /** The trackable protocol: the objects by name, then save_counter. */
  _trackableChildren(): readonly (readonly [string, unknown])[] {
    const own: (readonly [string, unknown])[] = this.#root ? [...trackableChildren(this.#root), ...this.#objects] : [...this.#objects];
    if (this.#saveCounter) own.push(["save_counter", this.#saveCounter]);
    return own;
  }

  /** The number of save() calls (an int64 variable, saved as `save_counter`; made on first use). */
  get saveCounter(): Variable {
    return this.#maybeCreateSaveCounter();
  }
  #maybeCreateSaveCounter(): Variable {
    if (!this.#saveCounter) {
      this.#saveCounter = initScope(() => new Variable(constant(0, { dtype: "int64" }), { name: "save_counter", trainable: false, dtype: "int64" }));
      trackableChanged(this);
    }
    return this.#saveCounter;
  }

  /** Writes the checkpoint at `filePrefix` (files `<filePrefix>.index`, `<filePrefix>.data-00000-of-00001`) and returns it. */
  write(...args: ArgsOf<typeof writeSignature>): string {
    const [filePrefix] = parseArgs(writeSignature, args);
    return writeObjectGraphCheckpoint(this, filePrefix);
  }

  /** Increments save_counter, writes `<filePrefix>-<save_counter>`, makes it the directory's latest checkpoint and returns its prefix. */
  save(...args: ArgsOf<typeof saveSignature>): string {
    const [filePrefix] = parseArgs(saveSignature, args);
    const counter = this.#maybeCreateSaveCounter();
    const n = initScope(() => {
      counter.assignAdd(constant(1, { dtype: "int64" }));
      return (counter.value() as EagerTensor).item();
    });
    const saved = this.write(`${filePrefix}-${n}`);
    updateCheckpointState(path.dirname(filePrefix), { modelCheckpointPath: saved, allModelCheckpointPaths: [saved], saveRelativePaths: true });
    return saved;
  }

  /** Reads a checkpoint into the objects; values of objects not created yet are assigned when they are. */
  read(...args: ArgsOf<typeof readSignature>): CheckpointLoadStatus {
    const [savePath] = parseArgs(readSignature, args);
    return this.#read(savePath, []);
  }

  #read(savePath: string, optional: readonly object[]): CheckpointLoadStatus {
    return readObjectGraphCheckpoint(this, savePath, optional);
  }

  /**
   * Restores the checkpoint at `savePath` (a prefix, as save() returns it, or a SavedModel directory) and makes
   * save_counter (restored from it when present). null restores nothing.
   */
  restore(...args: ArgsOf<typeof restoreSignature>): CheckpointLoadStatus | InitializationOnlyStatus {
    const [savePath] = parseArgs(restoreSignature, args);
    if (savePath === null || savePath === undefined) return new InitializationOnlyStatus();
    // restore() makes save_counter, which takes the checkpoint's value when it has one; a counter made by this
    // call is not required to be in the checkpoint (a SavedModel's variables have none).
    const made = this.#saveCounter === null;
    const counter = this.#maybeCreateSaveCounter();
    return this.#read(savePath, made ? [counter] : []);
  }

  toString(): string {
    return `<tf.train.Checkpoint ${this.#objects.map(([n]) => n).join(", ")}>`;
  }
}

declare(Checkpoint, checkpointSignature);
declare(Checkpoint.prototype.save, saveSignature);
declare(Checkpoint.prototype.write, writeSignature);
declare(Checkpoint.prototype.restore, restoreSignature);
declare(Checkpoint.prototype.read, readSignature);
