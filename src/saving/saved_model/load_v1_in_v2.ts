import { UnimplementedError } from "../../core/errors.js";
import type { MetaGraphDef } from "../../proto/tensorflow/core/protobuf/meta_graph_pb.js";
import type { RestoredObject } from "./restored.js";

/** tf.saved_model.load of a TensorFlow 1 SavedModel (no object graph). */
export function loadV1InV2(dir: string, _meta: MetaGraphDef): RestoredObject {
  throw new UnimplementedError(`${dir}: a TensorFlow 1 SavedModel; load it with tf.compat.v1.saved_model.loader.load(sess, tags, dir)`);
}
