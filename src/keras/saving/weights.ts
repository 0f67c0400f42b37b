/**
 * model.saveWeights / model.loadWeights in TensorFlow's checkpoint format, as TF 2.x Keras writes it: an
 * object-based checkpoint whose root is the model (`layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE`,
 * `optimizer/iter/...` and the optimizer's slots once compiled and trained), the `checkpoint` file beside it
 * naming it (relative path), written through tf.train.Checkpoint's machinery (saving/checkpoint.ts).
 * HDF5 (`.h5`, Keras 3's `.weights.h5`) is not supported.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AlreadyExistsError, InvalidArgumentError, UnimplementedError } from "../../core/errors.js";
import { indexFilename } from "../../io/tensor_bundle.js";
import { type CheckpointLoadStatus, readObjectGraphCheckpoint, writeObjectGraphCheckpoint } from "../../saving/checkpoint.js";
import { updateCheckpointState } from "../../saving/checkpoint_state.js";
import type { Model } from "../engine/model.js";

/** Refuses the formats tsflow does not write (HDF5 and Keras 3's zip), naming the one it does. */
export function checkWeightsFormat(filepath: string, saveFormat: string | undefined, who: string): void {
  if (typeof filepath !== "string" || filepath === "") throw new InvalidArgumentError(`${who}: filepath must be a non-empty string`);
  const h5 = /\.(h5|hdf5|keras)$/i.test(filepath) || (saveFormat !== undefined && saveFormat !== "tf");
  if (h5) {
    throw new UnimplementedError(
      `${who}("${filepath}"${saveFormat ? `, { saveFormat: "${saveFormat}" }` : ""}): HDF5 and Keras 3's .keras/.weights.h5 files are not supported; ` +
        `tsflow writes TensorFlow's checkpoint format (saveFormat "tf"): use a path without that extension, e.g. "ckpt/weights"`,
    );
  }
}

/** Writes the model's weights (and its optimizer's state, once compiled) as a TensorFlow checkpoint at `filepath`. */
export function saveWeights(model: Model, filepath: string, overwrite: boolean, saveFormat: string | undefined): void {
  checkWeightsFormat(filepath, saveFormat, "saveWeights");
  if (!overwrite && fs.existsSync(indexFilename(filepath))) {
    throw new AlreadyExistsError(`saveWeights: ${indexFilename(filepath)} exists and overwrite is false`);
  }
  writeObjectGraphCheckpoint(model, filepath);
  // As Keras: the directory's `checkpoint` file names this checkpoint, so tf.train.latestCheckpoint(dir) finds it.
  // The path is made absolute first so that the file holds it relative to its directory ("weights"), whatever the cwd.
  const abs = path.resolve(filepath);
  updateCheckpointState(path.dirname(abs), { modelCheckpointPath: abs, allModelCheckpointPaths: [abs], saveRelativePaths: true });
}

/**
 * Restores weights saved by saveWeights (or by TensorFlow's Keras) by object graph; values of layers or optimizer
 * slots not made yet are restored when they are (deferred). Returns the restore's status.
 */
export function loadWeights(model: Model, filepath: string, byName: boolean, skipMismatch: boolean): CheckpointLoadStatus {
  checkWeightsFormat(filepath, undefined, "loadWeights");
  if (skipMismatch && !byName) throw new InvalidArgumentError("When calling model.loadWeights, skipMismatch can only be set to true when byName is true.");
  if (byName) {
    throw new UnimplementedError(
      `Weights may only be loaded based on topology into Models when loading TensorFlow-formatted weights (got byName=true to loadWeights("${filepath}"))`,
    );
  }
  const status = readObjectGraphCheckpoint(model, filepath);
  // A built model must find its weights there (a subclassed model not built yet restores them when it builds).
  if (model.built && model.weights.length > 0) status.assertNontrivialMatch();
  return status;
}
