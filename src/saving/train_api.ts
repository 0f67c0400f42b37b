/**
 * The public checkpoint functions of tf.train (TensorFlow 1 and 2 share them): latestCheckpoint,
 * getCheckpointState, updateCheckpointState, checkpointExists, listVariables, loadVariable, loadCheckpoint.
 */
import { defineFunction, K, kind, optional, param, positionalOnly, signature, withDefault } from "../core/signature.js";
import type { EagerTensor } from "../eager/tensor.js";
import { CheckpointReader, CKPT_DIR_OR_FILE, TENSOR_NAME } from "./checkpoint_reader.js";
import { type AssignmentMap, initFromCheckpointImpl } from "./init_from_checkpoint.js";
import * as state from "./checkpoint_state.js";

const SKIP_DISK = { skip: "needs a checkpoint on disk (test/checkpoint_saver.test.ts calls it both ways)" };
const DIR = param("checkpointDir", K.string, "The directory holding the checkpoint state file.");
const LATEST = withDefault("latestFilename", K.string, "checkpoint", "The name of the checkpoint state file.");

export const latestCheckpoint = defineFunction(
  signature("train.latest_checkpoint", "The prefix of the newest checkpoint in a directory (per its checkpoint file), or null.", [DIR, LATEST], {
    args: () => ["/nonexistent-tsflow-dir"],
  }),
  (checkpointDir, latestFilename): string | null => state.latestCheckpoint(checkpointDir, latestFilename),
);

export const getCheckpointState = defineFunction(
  signature("train.get_checkpoint_state", "The CheckpointState of a directory (paths made absolute), or null.", [DIR, LATEST], {
    args: () => ["/nonexistent-tsflow-dir"],
  }),
  (checkpointDir, latestFilename): state.CheckpointState | null => state.getCheckpointState(checkpointDir, latestFilename),
);

export const updateCheckpointState = defineFunction(
  signature(
    "compat.v1.train.update_checkpoint_state",
    "Writes a directory's checkpoint state file atomically.",
    [
      param("saveDir", K.string, "The directory."),
      param("modelCheckpointPath", K.string, "The newest checkpoint prefix."),
      optional("allModelCheckpointPaths", kind<string[]>("string[]"), "All kept prefixes, oldest first."),
      optional("latestFilename", K.string, 'The name of the state file (default "checkpoint").'),
      optional("allModelCheckpointTimestamps", kind<number[]>("number[]"), "Seconds since the epoch, one per kept prefix."),
      optional("lastPreservedTimestamp", K.number, "When the last preserved checkpoint was written."),
      withDefault("saveRelativePaths", K.boolean, false, "Store paths relative to saveDir."),
    ],
    SKIP_DISK,
  ),
  (saveDir, modelCheckpointPath, allModelCheckpointPaths, latestFilename, timestamps, lastPreserved, saveRelativePaths): void =>
    state.updateCheckpointState(saveDir, {
      modelCheckpointPath,
      allModelCheckpointPaths,
      latestFilename,
      allModelCheckpointTimestamps: timestamps,
      lastPreservedTimestamp: lastPreserved,
      saveRelativePaths,
    }),
);

export const checkpointExists = defineFunction(
  signature("compat.v1.train.checkpoint_exists", "Whether a complete checkpoint exists at a prefix.", [param("checkpointPrefix", K.string, "The prefix.")], {
    args: () => ["/nonexistent-tsflow-dir/model"],
  }),
  (prefix): boolean => state.checkpointExists(prefix),
);

export const loadCheckpoint = defineFunction(
  signature("train.load_checkpoint", "A CheckpointReader over a checkpoint (getTensor, hasTensor, getVariableToShapeMap, ...).", [CKPT_DIR_OR_FILE], SKIP_DISK),
  (ckptDirOrFile): CheckpointReader => new CheckpointReader(ckptDirOrFile),
);

export const listVariables = defineFunction(
  signature("train.list_variables", "[name, shape] of every tensor in a checkpoint, sorted by name.", [CKPT_DIR_OR_FILE], SKIP_DISK),
  (ckptDirOrFile): [string, number[]][] => Object.entries(new CheckpointReader(ckptDirOrFile).getVariableToShapeMap()),
);

export const loadVariable = defineFunction(
  signature("train.load_variable", "The value of one tensor of a checkpoint.", [CKPT_DIR_OR_FILE, TENSOR_NAME], SKIP_DISK),
  (ckptDirOrFile, name): EagerTensor => new CheckpointReader(ckptDirOrFile).getTensor(name),
);

export const initFromCheckpoint = defineFunction(
  signature(
    "train.init_from_checkpoint",
    "Makes variables start from a checkpoint: graph variables' initializers load its values, eager variables are assigned now.",
    [
      CKPT_DIR_OR_FILE,
      positionalOnly(
        param(
          "assignmentMap",
          kind<AssignmentMap>("{[ckptName: string]: string | Variable}"),
          'Checkpoint names or scopes ("old/") to variable names, scopes or Variables.',
        ),
      ),
    ],
    SKIP_DISK,
  ),
  (ckptDirOrFile, assignmentMap): void => initFromCheckpointImpl(ckptDirOrFile, assignmentMap),
);
