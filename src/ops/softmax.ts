import { tfName } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { shapeStr, shapesCompatible } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { defineFunction, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute, execute1, isTensor } from "./dispatch.js";
import { unbroadcast } from "./grad_util.js";
import { defineGradients, GradOp } from "./registry.js";
import { add, exp, greaterEqual, log, log1p, multiply, negative, subtract } from "./elementwise.js";
import { reduceMax, reduceSum } from "./reduce.js";
import { convertToTensor, where, zerosLike } from "./creation.js";
import { expandDims, stopGradient } from "./movement.js";
import { tidy } from "./executor.js";
import { isKnownZeros } from "./grad_util.js";

/**
 * tf.nn: softmax, log-softmax and the cross-entropy losses, with TensorFlow's op types (Softmax,
 * LogSoftmax, SoftmaxCrossEntropyWithLogits, SparseSoftmaxCrossEntropyWithLogits, L2Loss), numerically
 * stable CPU kernels (src/backends/cpu/kernels/nn.ts) and gradients written with public ops.
 *
 * TensorFlow's kernels take 2-D [batch, classes] inputs and its Python wrappers reshape other ranks; here
 * the ops accept any rank >= 1 with classes on the last axis (the leading dims are the batch), which is
 * the same computation without the reshapes.
 */

/** True when a gradient is known to be all zeros (an unused output): lets a second-order term be skipped. */
function isZeros(t: Tensor): boolean {
  if (isKnownZeros(t)) return true;
  const op = (t as { op?: { type: string } }).op;
  if (op) return op.type === "ZerosLike";
  const v = t.dataSync() as ArrayLike<number>;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

/**
 * Gradient of the losses w.r.t. logits: dLoss * backprop (backprop = softmax - labels, the op's second
 * output), plus the term that flows in through backprop itself (second-order use), as TensorFlow's
 * _SoftmaxCrossEntropyWithLogitsGrad computes it.
 */
function xentLogitsGrad(op: GradOp, gradLoss: Tensor, gradBackprop: Tensor): Tensor {
  const logits = op.inputs[0];
  let g = multiply(expandDims(gradLoss, -1), op.outputs[1]);
  if (!isZeros(gradBackprop)) {
    const sm = execute1("Softmax", [logits]);
    g = add(g, multiply(subtract(gradBackprop, reduceSum(multiply(gradBackprop, sm), -1, true)), sm));
  }
  return g;
}

defineGradients({
  // (dy - sum(dy * y)) * y over the last axis.
  Softmax: (op, [dy]) => {
    const y = op.outputs[0];
    return [multiply(subtract(dy, reduceSum(multiply(dy, y), -1, true)), y)];
  },
  // dy - sum(dy) * softmax over the last axis.
  LogSoftmax: (op, [dy]) => [subtract(dy, multiply(reduceSum(dy, -1, true), exp(op.outputs[0])))],
  // TensorFlow 2 semantics: the gradient also flows to the labels, -log_softmax(logits) * dLoss.
  SoftmaxCrossEntropyWithLogits: (op, [gradLoss, gradBackprop]) => {
    const [logits, labels] = op.inputs;
    const dLogits = xentLogitsGrad(op, gradLoss, gradBackprop);
    const dLabels = multiply(expandDims(gradLoss, -1), negative(execute1("LogSoftmax", [logits])));
    return [unbroadcast(dLogits, logits), unbroadcast(dLabels, labels)];
  },
  // TensorFlow blocks second-order gradients here (PreventGradient); the backprop term is exact, so it is kept.
  SparseSoftmaxCrossEntropyWithLogits: (op, [gradLoss, gradBackprop]) => [xentLogitsGrad(op, gradLoss, gradBackprop), null],
  L2Loss: (op, [dy]) => [multiply(op.inputs[0], dy)],
});

// ---------------------------------------------------------------- public functions

function rankOf(x: TensorLike): number | null {
  if (isTensor(x)) return x.rank;
  return null;
}

/** Whether `axis` names the last axis of x (decidable for -1 or a known rank). */
function isLastAxis(x: Tensor, axis: number): boolean {
  if (axis === -1) return true;
  const r = rankOf(x);
  if (r === null) return false;
  if (axis < -r || axis >= r) throw new InvalidArgumentError(`axis ${axis} is out of range for a tensor of rank ${r}; expected [${-r}, ${r})`);
  return axis === r - 1 || axis === -1;
}

const softmaxParams = [
  param("logits", T.tensor, "A floating-point tensor."),
  optional("axis", kind<number | null>("number | null"), "The class axis; absent: the last."),
  NAME,
  optional("dim", kind<number | null>("number | null"), "TensorFlow 1's deprecated name for axis."),
] as const;

/**
 * Softmax along a non-last axis, built from stable ops: exp(x - max) / sum. (TensorFlow transposes the
 * axis to the end and back; the values and gradients are the same.) The max is held constant for the
 * gradient, which is exact since softmax does not change when every logit shifts.
 */
function shiftedLogits(x: Tensor, axis: number): Tensor {
  return subtract(x, stopGradient(reduceMax(x, axis, true)));
}

/** tf.nn.softmax(logits, axis=-1, name): exp(logits) / sum(exp(logits), axis), computed stably. */
export const softmax = defineFunction(
  signature("nn.softmax", "exp(logits) / sum(exp(logits)) along an axis, computed stably.", softmaxParams, {
    args: () => [
      [
        [1, 2, 3],
        [1, 1, 1],
      ],
      0,
    ],
  }),
  (logits, axisArg, name, dim): Tensor => {
    const a = { axis: axisArg, name, dim };
    // Eagerly, tidy frees the intermediates (a tape keeps its own references to what it needs).
    return tidy(() => {
      const x = convertToTensor(logits, { dtype: isTensor(logits) || ArrayBuffer.isView(logits) ? undefined : "float32" });
      const axis = a.axis ?? a.dim ?? -1;
      if (isLastAxis(x, axis)) return execute1("Softmax", [x], {}, a.name);
      const e = exp(shiftedLogits(x, axis));
      return execute1("RealDiv", [e, reduceSum(e, axis, true)], {}, a.name ?? "Softmax");
    });
  },
);

/** tf.nn.log_softmax(logits, axis=-1, name): logits - log(sum(exp(logits), axis)), computed stably. */
export const logSoftmax = defineFunction(
  signature("nn.log_softmax", "logits - log(sum(exp(logits))) along an axis, computed stably.", softmaxParams, {
    args: () => [
      [
        [1, 2, 3],
        [1, 1, 1],
      ],
      0,
    ],
  }),
  (logits, axisArg, name, dim): Tensor => {
    const a = { axis: axisArg, name, dim };
    return tidy(() => {
      const x = convertToTensor(logits, { dtype: isTensor(logits) || ArrayBuffer.isView(logits) ? undefined : "float32" });
      const axis = a.axis ?? a.dim ?? -1;
      if (isLastAxis(x, axis)) return execute1("LogSoftmax", [x], {}, a.name);
      const s = shiftedLogits(x, axis);
      return execute1("Sub", [s, log(reduceSum(exp(s), axis, true))], {}, a.name ?? "LogSoftmax");
    });
  },
);

const LABELS = param("labels", T.tensor, "The targets, of the logits' shape and dtype.");
const LOGITS = param("logits", T.tensor, "Unscaled log-probabilities.");
const XENT_EXAMPLE = {
  args: () => [
    [
      [0, 1],
      [1, 0],
    ],
    [
      [0.5, 2],
      [1, -1],
    ],
  ],
};

/** Logits as a tensor, and labels converted to the logits' dtype (a JS value adopts it; a tensor must match). */
function logitsAndLabels(fn: string, labelsIn: TensorLike, logitsIn: TensorLike): [Tensor, Tensor] {
  const logits = convertToTensor(logitsIn, { dtype: isTensor(logitsIn) || ArrayBuffer.isView(logitsIn) ? undefined : "float32" });
  const labels = isTensor(labelsIn) ? labelsIn : convertToTensor(labelsIn, { dtype: logits.dtype });
  if (labels.dtype !== logits.dtype) {
    throw new InvalidArgumentError(`${fn}: labels (${tfName(labels.dtype)}) and logits (${tfName(logits.dtype)}) must have the same dtype; use tf.cast`);
  }
  return [logits, labels];
}

/**
 * tf.nn.sigmoid_cross_entropy_with_logits(labels, logits, name), TensorFlow 2's signature; also
 * ({ labels, logits }). Uses TensorFlow's stable form max(x, 0) - x * z + log(1 + exp(-|x|)).
 */
export const sigmoidCrossEntropyWithLogits = defineFunction(
  signature("nn.sigmoid_cross_entropy_with_logits", "Elementwise logistic loss of logits against labels in [0, 1].", [LABELS, LOGITS, NAME], XENT_EXAMPLE),
  (labelsIn, logitsIn, name): Tensor => {
    const a = { name };
    const fn = "sigmoid_cross_entropy_with_logits";
    return tidy(() => {
      const [logits, labels] = logitsAndLabels(fn, labelsIn, logitsIn);
      if (!shapesCompatible(logits.shape, labels.shape)) {
        throw new InvalidArgumentError(`logits and labels must have the same shape (${shapeStr(logits.shape)} vs ${shapeStr(labels.shape)})`);
      }
      const zeros = zerosLike(logits);
      const cond = greaterEqual(logits, zeros);
      const reluLogits = where(cond, logits, zeros);
      const negAbsLogits = where(cond, negative(logits), logits);
      return execute1("AddV2", [subtract(reluLogits, multiply(logits, labels)), log1p(exp(negAbsLogits))], {}, a.name ?? "logistic_loss");
    });
  },
);

/** Cross-entropy along a non-last class axis, from stable ops (TensorFlow transposes the axis to the end instead). */
function xentAlongAxis(logits: Tensor, labels: Tensor, axis: number, name: string | undefined): Tensor {
  const s = shiftedLogits(logits, axis);
  const logp = subtract(s, log(reduceSum(exp(s), axis, true)));
  return execute1("Neg", [reduceSum(multiply(labels, logp), axis)], {}, name);
}

/**
 * tf.nn.softmax_cross_entropy_with_logits(labels, logits, axis=-1, name), TensorFlow 2's (v2) semantics:
 * labels are a probability distribution per row and gradients flow to both logits and labels.
 */
export const softmaxCrossEntropyWithLogits = defineFunction(
  signature(
    "nn.softmax_cross_entropy_with_logits",
    "Cross-entropy between label distributions and softmax(logits), per row (TensorFlow 2's: gradients reach the labels too).",
    [LABELS, LOGITS, withDefault("axis", T.axis, -1, "The class axis."), NAME, optional("dim", T.axis, "TensorFlow 1's deprecated name for axis.")],
    XENT_EXAMPLE,
  ),
  (labelsIn, logitsIn, axisArg, name, dim): Tensor => {
    const a = { axis: dim ?? axisArg, name };
    const fn = "softmax_cross_entropy_with_logits";
    // The op's second output (backprop) is freed by tidy eagerly; a tape keeps its own reference.
    return tidy(() => {
      const [logits, labels] = logitsAndLabels(fn, labelsIn, logitsIn);
      const axis = a.axis;
      if (!isLastAxis(logits, axis)) return xentAlongAxis(logits, labels, axis, a.name);
      return execute("SoftmaxCrossEntropyWithLogits", [logits, labels], {}, a.name)[0];
    });
  },
);

/**
 * tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits, name): labels are class indices (int32
 * or int64) of shape logits.shape[:-1]; an index outside [0, classes) is an InvalidArgumentError.
 */
export const sparseSoftmaxCrossEntropyWithLogits = defineFunction(
  signature(
    "nn.sparse_softmax_cross_entropy_with_logits",
    "Cross-entropy of softmax(logits) at class indices, per row.",
    [param("labels", kind<TensorLike>("TensorLike (int32 | int64)"), "Class indices in [0, classes), of shape logits.shape[:-1]."), LOGITS, NAME],
    {
      args: (tf: { constant: (v: unknown, d: string) => unknown }) => [
        tf.constant([1, 0], "int32"),
        [
          [0.5, 2],
          [1, -1],
        ],
      ],
    },
  ),
  (labels, logitsIn, name): Tensor =>
    tidy(() => {
      const logits = convertToTensor(logitsIn, { dtype: isTensor(logitsIn) || ArrayBuffer.isView(logitsIn) ? undefined : "float32" });
      return execute("SparseSoftmaxCrossEntropyWithLogits", [logits, labels], {}, name)[0];
    }),
);

/** tf.nn.l2_loss(t, name): sum(t ** 2) / 2. */
export const l2Loss = defineFunction(
  signature("nn.l2_loss", "sum(t²) / 2.", [param("t", T.tensor, "A tensor."), NAME], { args: () => [[1, 2, 3]] }),
  (t, name) => execute1("L2Loss", [t], {}, name),
);
