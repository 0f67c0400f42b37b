/**
 * Dynamic loss scaling, shared by Keras's LossScaleOptimizer and TensorFlow 1's
 * MixedPrecisionLossScaleOptimizer (both keep TensorFlow's DynamicLossScale rule): after `growthSteps`
 * steps in a row with finite gradients the scale doubles (if the double is finite); a step with an Inf or
 * NaN gradient halves it (never below 1) and restarts the count. Written as arithmetic on the variables,
 * so that the same ops update the scale eagerly and in a graph, where no branch is needed for it.
 */
import { executingEagerly } from "../core/context.js";
import { cast } from "../ops/cast.js";
import type { Tensor } from "../core/tensor.js";
import { Operation } from "../graph/operation.js";
import { group } from "../graph/state_ops.js";
import { constant, where } from "../ops/creation.js";
import { add, divide, greaterEqual, isFinite as isFiniteOp, logicalAnd, maximum, multiply } from "../ops/elementwise.js";
import { reduceAll } from "../ops/reduce.js";
import { Variable } from "../variables/variable.js";

/** TensorFlow's defaults: initial scale 2^15, doubled after 2000 finite steps. */
export const DEFAULT_INITIAL_SCALE = 2 ** 15;
export const DEFAULT_GROWTH_STEPS = 2000;

/** Whether every gradient is finite (a bool scalar). */
export function allFinite(grads: readonly Tensor[]): Tensor {
  const each = grads.map((g) => reduceAll(isFiniteOp(g)));
  return each.reduce((a, b) => logicalAnd(a, b), constant(true));
}

/** Updates `scale` (float32) and `goodSteps` (int64) after a step whose gradients were `finite`; graph mode returns the op. */
export function updateLossScale(scale: Variable, goodSteps: Variable, finite: Tensor, growthSteps: number): Operation | null {
  const next = add(goodSteps, constant(1, { dtype: "int64" }));
  const grow = logicalAnd(finite, greaterEqual(next, constant(growthSteps, { dtype: "int64" })));
  const doubled = multiply(scale, 2);
  const grown = where(isFiniteOp(doubled), doubled, scale);
  const newScale = where(finite, where(grow, grown, scale), maximum(divide(scale, 2), 1));
  const zero = constant(0, { dtype: "int64" });
  const newSteps = where(finite, where(grow, zero, next), zero);
  const assigned = [scale.assign(newScale), goodSteps.assign(newSteps)];
  return executingEagerly() ? null : group(assigned.filter((a) => !(a instanceof Variable)) as Tensor[]);
}

/** Each gradient times 1 / scale, in its own dtype (null gradients stay null). */
export function unscaleGradients(grads: readonly (Tensor | null)[], scale: Variable | Tensor): (Tensor | null)[] {
  const reciprocal = divide(1, scale);
  return grads.map((g) => (g === null || g === undefined ? null : multiply(g, g.dtype === "float32" ? reciprocal : cast(reciprocal, g.dtype))));
}

/** The loss times the scale, in the loss's dtype. */
export function scaleLoss(loss: Tensor, scale: Variable | Tensor): Tensor {
  return multiply(loss, loss.dtype === "float32" ? scale : cast(scale, loss.dtype));
}
