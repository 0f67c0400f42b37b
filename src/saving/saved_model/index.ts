/**
 * tf.saved_model and tf.compat.v1.saved_model: SavedModels read and written (see docs/ARCHITECTURE.md,
 * "SavedModels").
 */
import { defineFunction, kind, param, signature } from "../../core/signature.js";
import { notImplemented } from "../../core/unimplemented.js";
import { Builder, signatureDefUtils, simpleSave, utils } from "./builder_v1.js";
import { signatureConstants, tagConstants } from "./constants.js";
import { load } from "./load.js";
import { loaderLoad } from "./loader_v1.js";
import { containsSavedModel as contains } from "./reader.js";
import { save } from "./save.js";

/** tf.saved_model.contains_saved_model(export_dir). */
const containsSavedModel = defineFunction(
  signature(
    "saved_model.contains_saved_model",
    "Whether the directory holds a SavedModel (saved_model.pb or saved_model.pbtxt).",
    [param("exportDir", kind<string>("string"), "The directory.")],
    { args: () => ["/nonexistent"] },
  ),
  (exportDir): boolean => contains(exportDir),
);

/** tf.saved_model (TensorFlow 2). */
export const savedModel = {
  load,
  save,
  containsSavedModel,
  ...tagConstants,
  ...signatureConstants,
  SaveOptions: notImplemented("tf.saved_model.SaveOptions"),
  LoadOptions: notImplemented("tf.saved_model.LoadOptions"),
  Asset: notImplemented("tf.saved_model.Asset"),
};

/** tf.compat.v1.saved_model (TensorFlow 1). */
export const compatV1SavedModel = {
  loader: { load: loaderLoad },
  load: loaderLoad,
  tagConstants,
  signatureConstants,
  containsSavedModel,
  ...tagConstants,
  ...signatureConstants,
  Builder,
  simpleSave,
  signatureDefUtils,
  utils,
};
