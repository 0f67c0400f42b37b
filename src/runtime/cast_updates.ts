import type { DType } from "../core/dtype.js";
import { isNarrowFloat } from "../core/half.js";
import { GRADIENT_INPUT } from "../core/schema/training.js";
import type { Operation } from "../graph/operation.js";
import { isRef, keptSlots, OpStep, Plan, stepOps, withFrees } from "./plan.js";

/**
 * Mixed-precision gradient casts folded into the optimizer updates. Float32 variables read through a Cast to
 * float16 or bfloat16 get their gradient in the 16-bit type, and the Cast's gradient widens it to float32 for
 * the update (ApplyGradientDescent, ApplyMomentum, ApplyAdam): a kernel that writes the float32 gradient and
 * one that reads it back, 8 bytes per parameter. Where that Cast is the gradient's only way to its update
 * (nothing else reads its output: not fetched, no other reader, no control edge to or from it, on the update's
 * device), this pass drops the Cast and has the update read the 16-bit gradient; the update's kernel widens
 * each element as it loads it (16-bit to float32 is exact, so the variables come out bit for bit as
 * before). It folds only where the device's backend says its kernel takes that combination of dtypes
 * (Backend.takesNarrowGradient), so a backend without it keeps the Cast.
 *
 * The folded form exists only in the plan, like an epilogue: the graph, and the op table's rule that an
 * update's inputs share one dtype, do not change, so a graph a user builds with a 16-bit gradient for a
 * float32 variable still gets TensorFlow's error. The update step keeps its kind ("op") and remembers the Cast
 * it absorbed (OpStep.foldedCast) for plans and traces. Grouped updates (grouped_updates.ts) group folded
 * updates like any others. The loss-scaled form (a Mul or RealDiv unscaling after the Cast) is not this pattern
 * and is left alone.
 */

/**
 * Gradient Casts folded by the plans compiled so far in this process: how a test sees the pass fire where no
 * plan is printed (a Keras train step's tf.function).
 */
export const castFoldStats = { folded: 0 };

/** Where one Cast folds: the plan indices of the Cast and of the update reading it. */
export interface CastFold {
  readonly cast: number;
  readonly update: number;
}

/** The folds of a plan (pure: `takes` says whether an update's device takes these input dtypes; tests pass one). */
export function findCastFolds(plan: Plan, takes: (update: OpStep, dtypes: readonly DType[]) => boolean): CastFold[] {
  const steps = plan.steps;
  const keep = keptSlots(plan);
  const controlled = new Set<Operation>();
  const producer = new Map<number, number>();
  // One entry per read: an update reading the same slot twice has two readers.
  const reads = new Map<number, number>();
  steps.forEach((s, i) => {
    for (const op of stepOps(s)) for (const c of op.controlInputs) controlled.add(c);
    for (const slot of s.outputSlots) if (slot >= 0) producer.set(slot, i);
    for (const slot of s.inputSlots) reads.set(slot, (reads.get(slot) ?? 0) + 1);
  });
  const folds: CastFold[] = [];
  steps.forEach((u, i) => {
    if (u.kind !== "op" || u.foldedCast) return;
    const g = GRADIENT_INPUT.get(u.op.type);
    if (g === undefined || u.op.inputs[0]?.dtype !== "float32") return;
    const slot = u.inputSlots[g];
    const p = producer.get(slot);
    if (p === undefined || keep.has(slot) || reads.get(slot) !== 1) return;
    const c = steps[p];
    if (c.kind !== "op" || c.op.type !== "Cast" || c.device.backend !== u.device.backend) return;
    const src = c.op.inputs[0];
    if (!isNarrowFloat(src.dtype) || c.op.outputs[0].dtype !== "float32" || isRef(src)) return;
    // A control edge orders (or deadness flows) through the Cast node itself: it stays.
    if (controlled.has(c.op) || c.op.controlInputs.length > 0) return;
    const dtypes = u.op.inputs.map((t, k) => (k === g ? src.dtype : t.dtype));
    if (!takes(u, dtypes)) return;
    folds.push({ cast: p, update: i });
  });
  return folds;
}

/** The plan with each fold's Cast dropped and its update reading the Cast's input; frees recomputed. */
export function foldGradientCasts(plan: Plan, takes: (update: OpStep, dtypes: readonly DType[]) => boolean): Plan {
  const folds = findCastFolds(plan, takes);
  if (folds.length === 0) return plan;
  castFoldStats.folded += folds.length;
  const replaced = new Map<number, OpStep>();
  const dropped = new Set<number>();
  for (const f of folds) {
    const cast = plan.steps[f.cast] as OpStep;
    const update = plan.steps[f.update] as OpStep;
    const g = GRADIENT_INPUT.get(update.op.type)!;
    replaced.set(f.update, {
      ...update,
      inputSlots: update.inputSlots.map((s, k) => (k === g ? cast.inputSlots[0] : s)),
      foldedCast: cast.op,
    });
    dropped.add(f.cast);
  }
  const steps = plan.steps.flatMap((s, i) => (dropped.has(i) ? [] : [replaced.get(i) ?? s]));
  return { ...plan, steps: withFrees(steps, keptSlots(plan)) };
}
