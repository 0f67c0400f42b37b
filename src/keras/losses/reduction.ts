/** Keras's loss reductions (losses_utils.compute_weighted_loss): weights broadcast onto per-sample losses, then reduced. */
import { InvalidArgumentError } from "../../core/errors.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { cast } from "../../ops/cast.js";
import { divide, multiply } from "../../ops/elementwise.js";
import { reduceMean, reduceSum } from "../../ops/reduce.js";
import { size } from "../../ops/shape.js";
import { asDType, matchWeightRank, toTensor } from "./shapes.js";

/** tf.keras.losses.Reduction's values ("auto" is Keras 2's name for the default, sum over the batch size). */
export type Reduction = "sum_over_batch_size" | "sum" | "none" | "auto";
const REDUCTIONS: readonly string[] = ["sum_over_batch_size", "sum", "none", "auto"];

export function checkReduction(r: string, who: string): Reduction {
  if (!REDUCTIONS.includes(r)) throw new InvalidArgumentError(`${who}: invalid reduction "${r}"; expected one of ${REDUCTIONS.join(", ")}`);
  return r as Reduction;
}

/** The weighted losses reduced: "none" keeps them, "sum" adds them, "sum_over_batch_size" divides the sum by their count. */
export function computeWeightedLoss(losses: Tensor, sampleWeight: TensorLike | null | undefined, reduction: Reduction): Tensor {
  let weighted = losses;
  if (sampleWeight !== null && sampleWeight !== undefined) {
    const w = matchWeightRank(losses, asDType(toTensor(sampleWeight, losses.dtype), losses.dtype));
    weighted = multiply(losses, w);
  }
  if (reduction === "none") return weighted;
  if (reduction === "sum") return reduceSum(weighted);
  // sum_over_batch_size. Of a known, non-empty batch it is the mean: one reduction where a sum and a division
  // would be two kernels every step.
  const n = weighted.size;
  if (n === null) {
    const total = reduceSum(weighted);
    return divide(total, cast(size(weighted), total.dtype));
  }
  return n === 0 ? multiply(reduceSum(weighted), 0) : reduceMean(weighted);
}
