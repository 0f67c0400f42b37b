/**
 * TensorFlow's SavedModel constants (tf.saved_model.tag_constants, signature_constants and the file layout
 * of tensorflow/python/saved_model/constants.py), with the values TensorFlow writes.
 */

/** tf.saved_model.SERVING and friends: the tags a MetaGraphDef is marked with. */
export const tagConstants = Object.freeze({
  SERVING: "serve",
  TRAINING: "train",
  EVAL: "eval",
  GPU: "gpu",
  TPU: "tpu",
});

/** tf.saved_model.signature_constants. */
export const signatureConstants = Object.freeze({
  DEFAULT_SERVING_SIGNATURE_DEF_KEY: "serving_default",
  PREDICT_METHOD_NAME: "tensorflow/serving/predict",
  CLASSIFY_METHOD_NAME: "tensorflow/serving/classify",
  REGRESS_METHOD_NAME: "tensorflow/serving/regress",
  PREDICT_INPUTS: "inputs",
  PREDICT_OUTPUTS: "outputs",
  CLASSIFY_INPUTS: "inputs",
  CLASSIFY_OUTPUT_CLASSES: "classes",
  CLASSIFY_OUTPUT_SCORES: "scores",
  REGRESS_INPUTS: "inputs",
  REGRESS_OUTPUTS: "outputs",
});

/** File and directory names inside a SavedModel directory. */
export const SAVED_MODEL_FILENAME_PB = "saved_model.pb";
export const SAVED_MODEL_FILENAME_PBTXT = "saved_model.pbtxt";
export const VARIABLES_DIRECTORY = "variables";
export const VARIABLES_FILENAME = "variables";
export const ASSETS_DIRECTORY = "assets";
export const SAVED_MODEL_SCHEMA_VERSION = 1n;

/** TF1 collections that name the op run after the variables are restored. */
export const MAIN_OP_KEY = "saved_model_main_op";
export const LEGACY_INIT_OP_KEY = "legacy_init_op";
/** TF1 collection of AssetFileDefs (Any-packed). */
export const ASSETS_KEY = "saved_model_assets";
/** The TF2 signature that initializes assets and tables (run by TF1 loaders, skipped by TF2 loading). */
export const INIT_OP_SIGNATURE_KEY = "__saved_model_init_op";
