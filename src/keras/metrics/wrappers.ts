/** The mean metrics over a metric function: the accuracies and the regression errors. */
import { ArgsOf, declare, K, parseArgs, signature, withDefault } from "../../core/signature.js";
import { meanAbsoluteError, meanSquaredError } from "../losses/functions.js";
import {
  accuracy,
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  sparseTopKCategoricalAccuracy,
  topKCategoricalAccuracy,
} from "./functions.js";
import { MeanMetricWrapper, METRIC_DTYPE, METRIC_NAME, type MetricFn } from "./reduce.js";

/** The signature of a mean metric with no keywords of its own. */
const plainSignature = (pyName: string, doc: string, defaultName: string) =>
  signature(`keras.metrics.${pyName}`, doc, [METRIC_NAME(defaultName), METRIC_DTYPE], { args: () => ["m"] });
type PlainArgs = ArgsOf<ReturnType<typeof plainSignature>>;

const accuracySignature = plainSignature("Accuracy", "How often predictions equal labels exactly.", "accuracy");
/** tf.keras.metrics.Accuracy(name="accuracy", dtype): how often predictions equal labels exactly. */
export class Accuracy extends MeanMetricWrapper {
  constructor(...args: PlainArgs) {
    const [name, dtype] = parseArgs(accuracySignature, args);
    super(accuracy as unknown as MetricFn, name, dtype);
  }
}
declare(Accuracy, accuracySignature);

const categoricalAccuracySignature = plainSignature(
  "CategoricalAccuracy",
  "How often the predicted class (argmax) is the one-hot label's class.",
  "categorical_accuracy",
);
/** tf.keras.metrics.CategoricalAccuracy(name="categorical_accuracy", dtype): how often the predicted class (argmax) is the one-hot label's class. */
export class CategoricalAccuracy extends MeanMetricWrapper {
  constructor(...args: PlainArgs) {
    const [name, dtype] = parseArgs(categoricalAccuracySignature, args);
    super(categoricalAccuracy as unknown as MetricFn, name, dtype);
  }
}
declare(CategoricalAccuracy, categoricalAccuracySignature);

const sparseCategoricalAccuracySignature = plainSignature(
  "SparseCategoricalAccuracy",
  "How often the predicted class (argmax) is the integer label.",
  "sparse_categorical_accuracy",
);
/** tf.keras.metrics.SparseCategoricalAccuracy(name="sparse_categorical_accuracy", dtype): how often the predicted class (argmax) is the integer label. */
export class SparseCategoricalAccuracy extends MeanMetricWrapper {
  constructor(...args: PlainArgs) {
    const [name, dtype] = parseArgs(sparseCategoricalAccuracySignature, args);
    super(sparseCategoricalAccuracy as unknown as MetricFn, name, dtype);
  }
}
declare(SparseCategoricalAccuracy, sparseCategoricalAccuracySignature);

const meanSquaredErrorSignature = plainSignature("MeanSquaredError", "The mean squared error over all batches.", "mean_squared_error");
/** tf.keras.metrics.MeanSquaredError(name="mean_squared_error", dtype): the mean squared error over all batches. */
export class MeanSquaredError extends MeanMetricWrapper {
  constructor(...args: PlainArgs) {
    const [name, dtype] = parseArgs(meanSquaredErrorSignature, args);
    super(meanSquaredError as unknown as MetricFn, name, dtype);
  }
}
declare(MeanSquaredError, meanSquaredErrorSignature);

const meanAbsoluteErrorSignature = plainSignature("MeanAbsoluteError", "The mean absolute error over all batches.", "mean_absolute_error");
/** tf.keras.metrics.MeanAbsoluteError(name="mean_absolute_error", dtype): the mean absolute error over all batches. */
export class MeanAbsoluteError extends MeanMetricWrapper {
  constructor(...args: PlainArgs) {
    const [name, dtype] = parseArgs(meanAbsoluteErrorSignature, args);
    super(meanAbsoluteError as unknown as MetricFn, name, dtype);
  }
}
declare(MeanAbsoluteError, meanAbsoluteErrorSignature);

const binarySignature = signature(
  "keras.metrics.BinaryAccuracy",
  "How often (prediction > threshold) matches the binary label.",
  [METRIC_NAME("binary_accuracy"), METRIC_DTYPE, withDefault("threshold", K.number, 0.5, "Predictions above it count as 1.")],
  { args: () => ["b", "float32", 0.3] },
);
/** tf.keras.metrics.BinaryAccuracy(name, dtype, threshold=0.5). */
export class BinaryAccuracy extends MeanMetricWrapper {
  constructor(...args: ArgsOf<typeof binarySignature>) {
    const [name, dtype, threshold] = parseArgs(binarySignature, args);
    super(binaryAccuracy as unknown as MetricFn, { name, dtype, fnKwargs: { threshold } });
  }
}
declare(BinaryAccuracy, binarySignature);

const topKSignature = signature(
  "keras.metrics.TopKCategoricalAccuracy",
  "How often the one-hot label's class is among the k highest predictions.",
  [withDefault("k", K.int, 5, "How many of the highest predictions count."), METRIC_NAME("top_k_categorical_accuracy"), METRIC_DTYPE],
  { args: () => [2, "t"] },
);
/** tf.keras.metrics.TopKCategoricalAccuracy(k=5, name, dtype). */
export class TopKCategoricalAccuracy extends MeanMetricWrapper {
  constructor(...args: ArgsOf<typeof topKSignature>) {
    const [k, name, dtype] = parseArgs(topKSignature, args);
    super(topKCategoricalAccuracy as unknown as MetricFn, { name, dtype, fnKwargs: { k } });
  }
}
declare(TopKCategoricalAccuracy, topKSignature);

const sparseTopKSignature = signature(
  "keras.metrics.SparseTopKCategoricalAccuracy",
  "How often the integer label is among the k highest predictions.",
  [withDefault("k", K.int, 5, "How many of the highest predictions count."), METRIC_NAME("sparse_top_k_categorical_accuracy"), METRIC_DTYPE],
  { args: () => [2, "t"] },
);
/** tf.keras.metrics.SparseTopKCategoricalAccuracy(k=5, name, dtype). */
export class SparseTopKCategoricalAccuracy extends MeanMetricWrapper {
  constructor(...args: ArgsOf<typeof sparseTopKSignature>) {
    const [k, name, dtype] = parseArgs(sparseTopKSignature, args);
    super(sparseTopKCategoricalAccuracy as unknown as MetricFn, { name, dtype, fnKwargs: { k } });
  }
}
declare(SparseTopKCategoricalAccuracy, sparseTopKSignature);
