/**
 * Reading a SavedModel directory: saved_model.pb and the choice of a MetaGraphDef by its tags.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { DataLossError, NotFoundError } from "../../core/errors.js";
import { fromTextFormat } from "../../io/text_format.js";
import type { MetaGraphDef } from "../../proto/tensorflow/core/protobuf/meta_graph_pb.js";
import { type SavedModel, SavedModelSchema } from "../../proto/tensorflow/core/protobuf/saved_model_pb.js";
import { SAVED_MODEL_FILENAME_PB, SAVED_MODEL_FILENAME_PBTXT, VARIABLES_DIRECTORY, VARIABLES_FILENAME } from "./constants.js";

/** tf.saved_model.contains_saved_model: whether `dir` holds saved_model.pb (or .pbtxt). */
export function containsSavedModel(dir: string): boolean {
  return fs.existsSync(path.join(dir, SAVED_MODEL_FILENAME_PB)) || fs.existsSync(path.join(dir, SAVED_MODEL_FILENAME_PBTXT));
}

/** The SavedModel proto of `dir`. */
export function readSavedModel(dir: string): SavedModel {
  const pb = path.join(dir, SAVED_MODEL_FILENAME_PB);
  if (!fs.existsSync(pb)) {
    const pbtxt = path.join(dir, SAVED_MODEL_FILENAME_PBTXT);
    if (fs.existsSync(pbtxt)) {
      try {
        return fromTextFormat(SavedModelSchema, fs.readFileSync(pbtxt, "utf8"));
      } catch (e) {
        throw new DataLossError(`${pbtxt}: not a SavedModel in protobuf text format (${(e as Error).message})`);
      }
    }
    throw new NotFoundError(`SavedModel file does not exist at: ${dir}${path.sep}{${SAVED_MODEL_FILENAME_PBTXT}|${SAVED_MODEL_FILENAME_PB}}`);
  }
  try {
    return fromBinary(SavedModelSchema, fs.readFileSync(pb));
  } catch (e) {
    throw new DataLossError(`${pb}: not a SavedModel protocol buffer (${(e as Error).message})`);
  }
}

/**
 * The MetaGraphDef whose tags are exactly `tags` (any order); with no tags, the only one there is.
 * TensorFlow's message lists the tag sets that are there.
 */
export function pickMetaGraph(model: SavedModel, tags: readonly string[] | null, dir: string): MetaGraphDef {
  const sets = model.metaGraphs.map((m) => m.metaInfoDef?.tags ?? []);
  if (tags === null) {
    if (model.metaGraphs.length === 1) return model.metaGraphs[0];
    throw new NotFoundError(
      `${dir}: the SavedModel holds ${model.metaGraphs.length} MetaGraphs; pass the tags of one of them: ${sets.map((s) => `[${s.join(", ")}]`).join(", ")}`,
    );
  }
  const want = [...new Set(tags)].sort().join(",");
  const i = sets.findIndex((s) => [...new Set(s)].sort().join(",") === want);
  if (i < 0) {
    throw new NotFoundError(
      `MetaGraphDef associated with tags ${JSON.stringify([...tags])} could not be found in SavedModel, with available tags '${JSON.stringify(sets)}' (${dir})`,
    );
  }
  return model.metaGraphs[i];
}

/** The checkpoint prefix of the variables: `<dir>/variables/variables`. */
export function variablesPrefix(dir: string): string {
  return path.join(dir, VARIABLES_DIRECTORY, VARIABLES_FILENAME);
}
