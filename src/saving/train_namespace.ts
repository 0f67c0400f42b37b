/**
 * tf.train as users see it: the optimizers and global step of src/train plus the checkpoint API of this
 * layer (Saver, latestCheckpoint, ...), which src/train cannot import (it sits below saving).
 */
export * from "../train/index.js";
export { Saver } from "./saver.js";
export { CheckpointReader } from "./checkpoint_reader.js";
export { checkpointExists, getCheckpointState, latestCheckpoint, listVariables, loadCheckpoint, loadVariable, updateCheckpointState } from "./train_api.js";
