/**
 * tf.data: input pipelines (datasets of tensors; sources, transformations, eager and graph-mode iteration).
 * The composition root (src/index.ts) exposes this module as `tf.data` and `tf.compat.v1.data`.
 */
import { makeCsvDataset } from "./csv.js";
import { AUTOTUNE, Dataset, INFINITE, UNKNOWN } from "./dataset.js";
import { cardinality, copyToDevice, prefetchToDevice } from "./device.js";
import { TextLineDataset, TFRecordDataset } from "./files.js";

export { Dataset, TFRecordDataset, TextLineDataset };
export const INFINITE_CARDINALITY = INFINITE;
export const UNKNOWN_CARDINALITY = UNKNOWN;
export { AUTOTUNE };

export const experimental = {
  AUTOTUNE,
  INFINITE_CARDINALITY: INFINITE,
  UNKNOWN_CARDINALITY: UNKNOWN,
  makeCsvDataset,
  prefetchToDevice,
  copyToDevice,
  cardinality,
};
