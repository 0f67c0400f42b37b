/**
 * tf.train as users see it: the optimizers and global step of src/train plus the checkpoint API of this
 * layer (Saver, latestCheckpoint, Checkpoint, CheckpointManager, ...), which src/train cannot import (it
 * sits below saving). Explicit exports shadow the star export's names.
 */
export * from "../train/index.js";
export { Saver } from "./saver.js";
export { CheckpointReader } from "./checkpoint_reader.js";
export {
  checkpointExists,
  getCheckpointState,
  initFromCheckpoint,
  latestCheckpoint,
  listVariables,
  loadCheckpoint,
  loadVariable,
  updateCheckpointState,
} from "./train_api.js";
export { Checkpoint, CheckpointLoadStatus, InitializationOnlyStatus } from "./checkpoint.js";
export { CheckpointManager } from "./checkpoint_manager.js";
export { exportMetaGraph, importMetaGraph, writeGraph } from "./meta_graph.js";
