import { Iterator, makeInitializableIterator, makeOneShotIterator } from "./graph_iterator.js";
import { AUTOTUNE, Dataset, experimental, INFINITE_CARDINALITY, TextLineDataset, TFRecordDataset, UNKNOWN_CARDINALITY } from "./index.js";

/** tf.compat.v1.data: tf.data plus TensorFlow 1's iterator functions. */
export const compatV1Data = {
  Dataset,
  TFRecordDataset,
  TextLineDataset,
  Iterator,
  makeOneShotIterator,
  makeInitializableIterator,
  AUTOTUNE,
  INFINITE_CARDINALITY,
  UNKNOWN_CARDINALITY,
  experimental,
};
