/**
 * tf.keras.metrics: stateful metric objects (updateState / result / resetState, callable), the metric
 * functions, get(), and resolveMetric, which the engine uses to turn compile's strings into metric objects
 * ("accuracy" becoming the binary, categorical or sparse categorical accuracy as Keras decides).
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { defineFunction, kind, param, signature } from "../../core/signature.js";
import type { Shape } from "../../core/shape.js";
import { meanAbsoluteError, meanSquaredError } from "../losses/functions.js";
import { snakeCase } from "../losses/index.js";
import { AUC, Precision, Recall } from "./confusion.js";
import {
  accuracy,
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  sparseTopKCategoricalAccuracy,
  topKCategoricalAccuracy,
} from "./functions.js";
import { Metric } from "./metric.js";
import { Mean, MeanMetricWrapper, type MetricFn, Sum } from "./reduce.js";
import {
  Accuracy,
  BinaryAccuracy,
  CategoricalAccuracy,
  MeanAbsoluteError,
  MeanSquaredError,
  SparseCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  TopKCategoricalAccuracy,
} from "./wrappers.js";

export { Metric, Mean, Sum, MeanMetricWrapper, Precision, Recall, AUC };
export type { MetricFn };
export { Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy };
export { MeanSquaredError, MeanAbsoluteError };
export { accuracy, binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy, sparseTopKCategoricalAccuracy };
export { meanSquaredError, meanAbsoluteError };
export const mse = meanSquaredError;
export const mae = meanAbsoluteError;

/** Metric functions by Keras's snake_case name. */
const FUNCTIONS: Record<string, MetricFn> = {
  accuracy: accuracy as unknown as MetricFn,
  binary_accuracy: binaryAccuracy as unknown as MetricFn,
  categorical_accuracy: categoricalAccuracy as unknown as MetricFn,
  sparse_categorical_accuracy: sparseCategoricalAccuracy as unknown as MetricFn,
  top_k_categorical_accuracy: topKCategoricalAccuracy as unknown as MetricFn,
  sparse_top_k_categorical_accuracy: sparseTopKCategoricalAccuracy as unknown as MetricFn,
  mean_squared_error: meanSquaredError as unknown as MetricFn,
  mse: meanSquaredError as unknown as MetricFn,
  mean_absolute_error: meanAbsoluteError as unknown as MetricFn,
  mae: meanAbsoluteError as unknown as MetricFn,
  acc: accuracy as unknown as MetricFn,
};
/** Metric classes by name, for get("AUC") and resolveMetric("precision"). */
const CLASSES: Record<string, new () => Metric> = {
  Mean,
  Sum,
  Accuracy,
  BinaryAccuracy,
  CategoricalAccuracy,
  SparseCategoricalAccuracy,
  TopKCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  MeanSquaredError,
  MeanAbsoluteError,
  Precision,
  Recall,
  AUC,
};
const CLASS_BY_SNAKE: Record<string, new () => Metric> = { precision: Precision, recall: Recall, auc: AUC };

/**
 * tf.keras.metrics.get(identifier): a metric function for a name ("accuracy", "acc",
 * "sparse_categorical_accuracy", "sparseCategoricalAccuracy", "mse"), a new metric object for a class name
 * ("AUC", "Precision"), the identifier itself for a function or a Metric.
 */
export const get = defineFunction(
  signature(
    "keras.metrics.get",
    "The metric for a name (Keras's snake_case or camelCase), a function or a Metric object.",
    [param("identifier", kind<string | MetricFn | Metric>("string | MetricFn | Metric"), "A metric name, function or object.")],
    { args: () => ["accuracy"] },
  ),
  (identifier): MetricFn | Metric => {
    if (typeof identifier === "function") return identifier;
    if (typeof identifier === "string") {
      const cls = CLASSES[identifier];
      if (cls) return new cls();
      const fn = FUNCTIONS[snakeCase(identifier)];
      if (fn) return fn;
      const byName = CLASS_BY_SNAKE[snakeCase(identifier)];
      if (byName) return new byName();
      throw new InvalidArgumentError(`Unknown metric function: '${identifier}'. Known: ${[...Object.keys(FUNCTIONS), ...Object.keys(CLASSES)].join(", ")}`);
    }
    throw new InvalidArgumentError(`Could not interpret metric identifier: ${String(identifier)}`);
  },
);

/** What resolveMetric knows of the output it measures (all optional; Keras decides from the shapes first). */
export interface MetricContext {
  /** The labels' shape (with the batch dimension). */
  yTrueShape?: Shape;
  /** The predictions' shape (with the batch dimension). */
  yPredShape?: Shape;
  /** The loss compiled for this output: a name, function or Loss object. */
  loss?: unknown;
}

type AccuracyKind = "binary" | "sparse" | "categorical";

/** Keras's choice for "accuracy": binary when yPred has one column, sparse when the labels have one less dim (or one column), else categorical. */
function accuracyKind(ctx: MetricContext): AccuracyKind {
  const t = ctx.yTrueShape;
  const p = ctx.yPredShape;
  if (t && p) {
    const tLast = t[t.length - 1];
    const pLast = p[p.length - 1];
    if (pLast === 1) return "binary";
    if (t.length < p.length || (tLast === 1 && pLast !== 1)) return "sparse";
    return "categorical";
  }
  const loss = ctx.loss;
  const name =
    typeof loss === "string"
      ? snakeCase(loss)
      : typeof loss === "function"
        ? snakeCase((loss as { name?: string }).name ?? "")
        : typeof loss === "object" && loss !== null
          ? snakeCase((loss as { name?: string }).name ?? "")
          : "";
  if (name.includes("sparse_categorical")) return "sparse";
  if (name.includes("binary")) return "binary";
  return "categorical";
}

/**
 * A metric object for compile's `metrics` entry: strings as Keras resolves them ("accuracy" / "acc" by the
 * shapes or the loss; "crossentropy" / "ce" likewise), functions wrapped in a MeanMetricWrapper named after
 * them, Metric objects as they are.
 */
export function resolveMetric(identifier: string | MetricFn | Metric, ctx: MetricContext = {}): Metric {
  if (identifier instanceof Metric) return identifier;
  if (typeof identifier === "function") return new MeanMetricWrapper(identifier, snakeCase(identifier.name || "metric"));
  if (identifier === "accuracy" || identifier === "acc") {
    const kind = accuracyKind(ctx);
    const fn = kind === "binary" ? binaryAccuracy : kind === "sparse" ? sparseCategoricalAccuracy : categoricalAccuracy;
    return new MeanMetricWrapper(fn as unknown as MetricFn, identifier);
  }
  const got = get(identifier);
  if (got instanceof Metric) return got;
  return new MeanMetricWrapper(got, identifier);
}
