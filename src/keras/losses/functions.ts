/**
 * tf.keras.losses' functions: per-sample losses (the mean over the last axis, or over `axis`), as Keras
 * computes them. Probabilities are clipped to [1e-7, 1 - 1e-7] (Keras's backend epsilon); `fromLogits` goes
 * through the fused cross-entropy ops of ops/softmax.ts (stable and one kernel each).
 */
import { InvalidArgumentError } from "../../core/errors.js";
import { shapeStr } from "../../core/shape.js";
import { defineFunction, K, kind, param, signature, withDefault } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { abs, add, divide, lessEqual, log, maximum, minimum, multiply, negative, square, squaredDifference, subtract } from "../../ops/elementwise.js";
import { cast } from "../../ops/cast.js";
import { where } from "../../ops/creation.js";
import { reduceMean, reduceSum } from "../../ops/reduce.js";
import { sigmoidCrossEntropyWithLogits, softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits } from "../../ops/softmax.js";
import { squeeze, transpose } from "../../ops/movement.js";
import { asDType, squeezeToMatch, toTensor } from "./shapes.js";

/** Keras's backend epsilon (tf.keras.backend.epsilon()). */
export const EPSILON = 1e-7;

const Y_TRUE = param("yTrue", kind<TensorLike>("TensorLike"), "The ground truth values.");
const Y_PRED = param("yPred", kind<TensorLike>("TensorLike"), "The predicted values.");
const FROM_LOGITS = withDefault("fromLogits", K.boolean, false, "Whether yPred holds logits (unnormalized scores) rather than probabilities.");
const LABEL_SMOOTHING = withDefault("labelSmoothing", K.number, 0, "In [0, 1]: squeezes the labels towards the uniform distribution (0.5 for binary).");
const AXIS = withDefault("axis", K.int, -1, "The axis the loss is computed along (the class axis).");
const EXAMPLE = {
  args: () => [
    [
      [0, 1],
      [0, 0],
    ],
    [
      [0.6, 0.4],
      [0.4, 0.6],
    ],
  ],
};

/** yPred as a float tensor and yTrue in its dtype, the trailing size-1 dim of either squeezed to match (LossFunctionWrapper). */
export function prepare(yTrueIn: TensorLike, yPredIn: TensorLike): [Tensor, Tensor] {
  const yPred = toTensor(yPredIn);
  const yTrue = asDType(toTensor(yTrueIn, yPred.dtype), yPred.dtype);
  return squeezeToMatch(yTrue, yPred);
}

/** clip_by_value(x, lo, hi): the gradient flows where x is inside [lo, hi]. */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  return minimum(maximum(x, lo), hi);
}

/** keras.losses.mean_squared_error: mean((yPred - yTrue)²) over the last axis. */
export const meanSquaredError = defineFunction(
  signature("keras.losses.mean_squared_error", "The mean squared error per sample (over the last axis).", [Y_TRUE, Y_PRED], EXAMPLE),
  (yTrue, yPred): Tensor => {
    const [t, p] = prepare(yTrue, yPred);
    return reduceMean(squaredDifference(p, t), -1);
  },
);

/** keras.losses.mean_absolute_error: mean(|yPred - yTrue|) over the last axis. */
export const meanAbsoluteError = defineFunction(
  signature("keras.losses.mean_absolute_error", "The mean absolute error per sample (over the last axis).", [Y_TRUE, Y_PRED], EXAMPLE),
  (yTrue, yPred): Tensor => {
    const [t, p] = prepare(yTrue, yPred);
    return reduceMean(abs(subtract(p, t)), -1);
  },
);

/** keras.losses.huber: 0.5 e² where |e| <= delta, else delta (|e| - 0.5 delta); mean over the last axis. */
export const huber = defineFunction(
  signature(
    "keras.losses.huber",
    "The Huber loss per sample: quadratic for errors up to delta, linear beyond (mean over the last axis).",
    [Y_TRUE, Y_PRED, withDefault("delta", K.number, 1, "Where the loss turns from quadratic to linear.")],
    EXAMPLE,
  ),
  (yTrue, yPred, delta): Tensor => {
    const [t, p] = prepare(yTrue, yPred);
    const error = subtract(p, t);
    const absError = abs(error);
    const quadratic = multiply(square(error), 0.5);
    const linear = subtract(multiply(absError, delta), 0.5 * delta * delta);
    return reduceMean(where(lessEqual(absError, delta), quadratic, linear), -1);
  },
);

/** Elementwise binary cross-entropy of probabilities, as Keras's backend computes it (clipped, + epsilon in the logs). */
function binaryCrossentropyOfProbabilities(target: Tensor, output: Tensor): Tensor {
  const p = clip(output, EPSILON, 1 - EPSILON);
  const pos = multiply(target, log(add(p, EPSILON)));
  const neg = multiply(subtract(1, target), log(add(subtract(1, p), EPSILON)));
  return negative(add(pos, neg));
}

/** keras.losses.binary_crossentropy. */
export const binaryCrossentropy = defineFunction(
  signature(
    "keras.losses.binary_crossentropy",
    "The binary cross-entropy per sample (mean over axis).",
    [Y_TRUE, Y_PRED, FROM_LOGITS, LABEL_SMOOTHING, AXIS],
    EXAMPLE,
  ),
  (yTrue, yPred, fromLogits, labelSmoothing, axis): Tensor => {
    let [t, p] = prepare(yTrue, yPred);
    if (labelSmoothing) t = add(multiply(t, 1 - labelSmoothing), 0.5 * labelSmoothing);
    const elementwise = fromLogits ? sigmoidCrossEntropyWithLogits(t, p) : binaryCrossentropyOfProbabilities(t, p);
    return reduceMean(elementwise, axis);
  },
);

function classCount(p: Tensor, axis: number, what: string): number {
  const rank = p.rank;
  const dim = rank === null ? null : p.shape![axis < 0 ? rank + axis : axis];
  if (dim === null || dim === undefined) throw new InvalidArgumentError(`${what}: the class axis ${axis} of yPred ${shapeStr(p.shape)} must be known`);
  return dim;
}

/** keras.losses.categorical_crossentropy: labels are one-hot (or a distribution) along axis. */
export const categoricalCrossentropy = defineFunction(
  signature(
    "keras.losses.categorical_crossentropy",
    "The categorical cross-entropy per sample, labels one-hot along axis.",
    [Y_TRUE, Y_PRED, FROM_LOGITS, LABEL_SMOOTHING, AXIS],
    {
      args: () => [
        [
          [0, 1, 0],
          [0, 0, 1],
        ],
        [
          [0.05, 0.95, 0],
          [0.1, 0.8, 0.1],
        ],
      ],
    },
  ),
  (yTrue, yPred, fromLogits, labelSmoothing, axis): Tensor => {
    let [t, p] = prepare(yTrue, yPred);
    if (labelSmoothing) t = add(multiply(t, 1 - labelSmoothing), labelSmoothing / classCount(p, axis, "categorical_crossentropy"));
    if (fromLogits) return softmaxCrossEntropyWithLogits(t, p, axis);
    // Keras renormalizes the probabilities along the axis, then clips.
    const q = clip(divide(p, reduceSum(p, axis, true)), EPSILON, 1 - EPSILON);
    return negative(reduceSum(multiply(t, log(q)), axis));
  },
);

/**
 * keras.losses.sparse_categorical_crossentropy: labels are class indices (any integer dtype, or floats
 * holding integers) of yPred's shape without the class axis (a trailing dim of size 1 is allowed). Labels
 * outside [0, classes) are an InvalidArgumentError from the op.
 */
export const sparseCategoricalCrossentropy = defineFunction(
  signature(
    "keras.losses.sparse_categorical_crossentropy",
    "The categorical cross-entropy per sample, labels as class indices.",
    [Y_TRUE, Y_PRED, FROM_LOGITS, AXIS],
    {
      args: () => [
        [1, 2],
        [
          [0.05, 0.95, 0],
          [0.1, 0.8, 0.1],
        ],
      ],
    },
  ),
  (yTrue, yPredIn, fromLogits, axis): Tensor => {
    let p = toTensor(yPredIn);
    let labels = toTensor(yTrue, "int32");
    const rank = p.rank;
    if (rank !== null && axis !== -1 && axis !== rank - 1) {
      // Move the class axis last (TensorFlow transposes the same way).
      const a = axis < 0 ? rank + axis : axis;
      const perm = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== a), a];
      p = transpose(p, perm);
    }
    if (labels.rank !== null && rank !== null && labels.rank === rank && labels.shape![rank - 1] === 1) labels = squeeze(labels, [-1]);
    if (labels.dtype !== "int32" && labels.dtype !== "int64") labels = cast(labels, "int32");
    if (labels.shape && p.shape) {
      const want = p.shape.slice(0, -1);
      const ok = labels.shape.length === want.length && labels.shape.every((d, i) => d === null || want[i] === null || d === want[i]);
      if (!ok) {
        throw new InvalidArgumentError(
          `sparse_categorical_crossentropy: labels of shape ${shapeStr(labels.shape)} do not match predictions of shape ${shapeStr(p.shape)} (expected labels of shape ${shapeStr(want)}, class indices)`,
        );
      }
    }
    const logits = fromLogits ? p : log(clip(p, EPSILON, 1 - EPSILON));
    // The op takes any rank (classes last), so Keras's flattening is not needed.
    return sparseSoftmaxCrossEntropyWithLogits(labels, logits);
  },
);
