/**
 * Keras's metric functions (per-sample values that the mean metrics average): the accuracies and top-k
 * accuracies. Each returns float32 values of the batch's shape (without the class axis where there is one).
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { shapeStr } from "../../core/shape.js";
import { defineFunction, K, kind, param, signature, withDefault } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { cast } from "../../ops/cast.js";
import { constant, where } from "../../ops/creation.js";
import { equal, greater, less, logicalAnd, logicalOr, multiply } from "../../ops/elementwise.js";
import { expandDims, oneHot, squeeze } from "../../ops/movement.js";
import { argmax, reduceMean, reduceSum } from "../../ops/reduce.js";
import { asDType, toTensor } from "../losses/shapes.js";

const Y_TRUE = param("yTrue", kind<TensorLike>("TensorLike"), "The ground truth values.");
const Y_PRED = param("yPred", kind<TensorLike>("TensorLike"), "The predicted values.");
const K_PARAM = withDefault("k", K.int, 5, "How many of the highest predictions count.");
const PRED_3 = [
  [0.1, 0.9, 0.8],
  [0.05, 0.95, 0],
];

/** keras.metrics.accuracy: 1 where yPred equals yTrue, else 0. */
export const accuracy = defineFunction(
  signature("keras.metrics.accuracy", "1 where the prediction equals the label exactly, else 0.", [Y_TRUE, Y_PRED], {
    args: () => [
      [1, 2, 3, 4],
      [0, 2, 3, 4],
    ],
  }),
  (yTrue, yPred): Tensor => {
    const p = toTensor(yPred);
    const t = asDType(toTensor(yTrue, p.dtype), p.dtype);
    if (t.shape && p.shape && t.shape.length !== p.shape.length) {
      throw new InvalidArgumentError(`accuracy: labels of shape ${shapeStr(t.shape)} and predictions of shape ${shapeStr(p.shape)} must have the same rank`);
    }
    return cast(equal(t, p), "float32");
  },
);

/** keras.metrics.binary_accuracy: the mean over the last axis of (yPred > threshold) == yTrue. */
export const binaryAccuracy = defineFunction(
  signature(
    "keras.metrics.binary_accuracy",
    "How often (yPred > threshold) matches the binary labels, averaged over the last axis.",
    [Y_TRUE, Y_PRED, withDefault("threshold", K.number, 0.5, "Predictions above it count as 1.")],
    {
      args: () => [
        [[1], [1], [0], [0]],
        [[0.98], [1], [0], [0.6]],
      ],
    },
  ),
  (yTrue, yPred, threshold): Tensor => {
    const p = toTensor(yPred);
    const t = asDType(toTensor(yTrue, p.dtype), p.dtype);
    const predicted = cast(greater(p, threshold), p.dtype);
    return reduceMean(cast(equal(t, predicted), "float32"), -1);
  },
);

/** keras.metrics.categorical_accuracy: 1 where the argmax of yPred is the argmax of the one-hot yTrue. */
export const categoricalAccuracy = defineFunction(
  signature("keras.metrics.categorical_accuracy", "1 where the predicted class (argmax) is the one-hot label's class.", [Y_TRUE, Y_PRED], {
    args: () => [
      [
        [0, 0, 1],
        [0, 1, 0],
      ],
      PRED_3,
    ],
  }),
  (yTrue, yPred): Tensor => cast(equal(argmax(toTensor(yTrue), -1), argmax(toTensor(yPred), -1)), "float32"),
);

/** Integer labels of yPred's shape without its class axis (a trailing size-1 axis dropped). */
function sparseLabels(yTrue: TensorLike, p: Tensor): Tensor {
  let t = toTensor(yTrue, "int32");
  if (t.rank !== null && p.rank !== null && t.rank === p.rank && t.shape![t.rank - 1] === 1) t = squeeze(t, [-1]);
  return t.dtype === "int32" || t.dtype === "int64" ? t : cast(t, "int32");
}

/** keras.metrics.sparse_categorical_accuracy: 1 where the argmax of yPred is the integer label. */
export const sparseCategoricalAccuracy = defineFunction(
  signature("keras.metrics.sparse_categorical_accuracy", "1 where the predicted class (argmax) is the integer label.", [Y_TRUE, Y_PRED], {
    args: () => [[[2], [1]], PRED_3],
  }),
  (yTrue, yPred): Tensor => {
    const p = toTensor(yPred);
    const t = sparseLabels(yTrue, p);
    return cast(equal(cast(t, "int64"), argmax(p, -1)), "float32");
  },
);

/**
 * tf.math.in_top_k's rule: the target is in the top k when fewer than k classes score strictly higher (ties
 * at the boundary all count as in), as 1.0 / 0.0.
 */
function inTopK(p: Tensor, labels: Tensor, k: number): Tensor {
  const classes = p.shape?.[p.shape.length - 1];
  if (classes === null || classes === undefined)
    throw new InvalidArgumentError(`top_k_categorical_accuracy: the class axis of ${shapeStr(p.shape)} must be known`);
  const targetScore = reduceSum(multiply(p, oneHot(labels, classes, { dtype: p.dtype })), -1, true);
  const higher = reduceSum(cast(greater(p, targetScore), "float32"), -1);
  return cast(less(higher, k), "float32");
}

/** keras.metrics.top_k_categorical_accuracy: 1 where the one-hot label's class is among the k highest predictions. */
export const topKCategoricalAccuracy = defineFunction(
  signature("keras.metrics.top_k_categorical_accuracy", "1 where the label's class is among the k highest predictions.", [Y_TRUE, Y_PRED, K_PARAM], {
    args: () => [
      [
        [0, 0, 1],
        [0, 1, 0],
      ],
      PRED_3,
      1,
    ],
  }),
  (yTrue, yPred, k): Tensor => {
    const p = toTensor(yPred);
    return inTopK(p, cast(argmax(toTensor(yTrue), -1), "int32"), k);
  },
);

/** keras.metrics.sparse_top_k_categorical_accuracy: 1 where the integer label is among the k highest predictions. */
export const sparseTopKCategoricalAccuracy = defineFunction(
  signature("keras.metrics.sparse_top_k_categorical_accuracy", "1 where the integer label is among the k highest predictions.", [Y_TRUE, Y_PRED, K_PARAM], {
    args: () => [[2, 1], PRED_3, 1],
  }),
  (yTrue, yPred, k): Tensor => {
    const p = toTensor(yPred);
    return inTopK(p, sparseLabels(yTrue, p), k);
  },
);

/**
 * Keras's _filter_top_k: predictions outside each row's k highest set to -1e10 (ties broken by the lower
 * index, as tf.math.top_k does).
 */
export function filterTopK(p: Tensor, k: number): Tensor {
  const classes = p.shape?.[p.shape.length - 1];
  if (classes === null || classes === undefined) throw new InvalidArgumentError(`topK: the class axis of ${shapeStr(p.shape)} must be known`);
  const a = expandDims(p, -1); // [..., i, 1]
  const b = expandDims(p, -2); // [..., 1, j]
  const lowerIndex = new Uint8Array(classes * classes);
  for (let i = 0; i < classes; i++) for (let j = 0; j < i; j++) lowerIndex[i * classes + j] = 1;
  const earlier = constant(
    Array.from(lowerIndex, (x) => x === 1),
    { dtype: "bool", shape: [classes, classes] },
  );
  const beats = logicalOr(greater(b, a), logicalAnd(equal(b, a), earlier));
  const rank = reduceSum(cast(beats, "float32"), -1);
  return where(less(rank, k), p, constant(-1e10, { dtype: p.dtype }));
}
