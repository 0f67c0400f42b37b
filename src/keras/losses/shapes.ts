/**
 * Keras's shape helpers for losses and metrics (losses_utils.squeeze_or_expand_dimensions): labels,
 * predictions and sample weights that differ by one trailing dimension of size 1 are brought to the same rank,
 * so that `[batch]` labels meet `[batch, 1]` predictions and `[batch]` weights meet `[batch, d]` losses.
 */
import type { DType } from "../../core/dtype.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { isTensor } from "../../ops/dispatch.js";
import { cast } from "../../ops/cast.js";
import { convertToTensor } from "../../ops/creation.js";
import { expandDims, squeeze } from "../../ops/movement.js";

/** A value as a tensor: tensors and variables as they are, JS values as `dtype` constants. */
export function toTensor(x: TensorLike, dtype: DType = "float32"): Tensor {
  return isTensor(x) ? x : convertToTensor(x, { dtype: typeof x === "object" && x !== null && "readForOp" in x ? undefined : dtype });
}

/** The tensor in `dtype` (a cast only when it differs). */
export function asDType(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : cast(x, dtype);
}

const lastDim = (t: Tensor): number | null => (t.shape && t.shape.length > 0 ? t.shape[t.shape.length - 1] : null);

/** Squeezes the last dim of whichever of labels/predictions has one more dimension of size 1 (remove_squeezable_dimensions). */
export function squeezeToMatch(yTrue: Tensor, yPred: Tensor): [Tensor, Tensor] {
  if (yTrue.rank === null || yPred.rank === null) return [yTrue, yPred];
  if (yPred.rank === yTrue.rank + 1 && lastDim(yPred) === 1) return [yTrue, squeeze(yPred, [-1])];
  if (yTrue.rank === yPred.rank + 1 && lastDim(yTrue) === 1) return [squeeze(yTrue, [-1]), yPred];
  return [yTrue, yPred];
}

/** Sample weights of one rank less than `values` gain a trailing dim; of one more (size 1) lose it. */
export function matchWeightRank(values: Tensor, weights: Tensor): Tensor {
  if (values.rank === null || weights.rank === null) return weights;
  if (weights.rank === values.rank + 1 && lastDim(weights) === 1) return squeeze(weights, [-1]);
  if (weights.rank === values.rank - 1 && weights.rank > 0) return expandDims(weights, -1);
  return weights;
}
