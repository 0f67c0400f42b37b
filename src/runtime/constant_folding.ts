import type { Operation } from "../graph/operation.js";
import { isRef, type Plan, type PlanStep, RUNTIME_OPS } from "./plan.js";

/**
 * Constant folding (grappler's constant_folding): a pure node whose inputs are all constants, or folded nodes,
 * computes the same value at every run. The pass marks such nodes `folded` (and the copies of such values to
 * other devices); the executor runs each once per session and device and keeps its value beside the Const
 * values, so later runs, and a captured CUDA graph, launch nothing for it. A node that reads only its input's shape (OnesLike, ZerosLike, Shape, Size, Rank)
 * folds when that shape is fully known, whatever computes the input: a Keras train step traced for one batch
 * size gets its loss gradient's 1/batch-size fill this way.
 *
 * Left alone: stateful and random ops, variable references, nodes under control edges (a TensorFlow 1
 * branch's constants are made dead through them), several outputs, and values larger than FOLD_MAX_ELEMENTS
 * (a constant is held for the session; a large one is better recomputed than kept).
 */

/** The most elements a folded value may hold. */
export const FOLD_MAX_ELEMENTS = 1 << 16;

/** Ops whose value depends on their input's shape and dtype only. */
const SHAPE_ONLY: ReadonlySet<string> = new Set(["OnesLike", "ZerosLike", "Shape", "Size", "Rank"]);

/** Whether the node's single output has a fully known shape of at most FOLD_MAX_ELEMENTS elements. */
function smallKnownOutput(op: Operation): boolean {
  if (op.outputs.length !== 1) return false;
  const s = op.outputs[0].shape;
  if (s === null || s.some((d) => d === null)) return false;
  return (s as number[]).reduce((a, d) => a * d, 1) <= FOLD_MAX_ELEMENTS;
}

function hasKnownShape(op: Operation, input: number): boolean {
  const s = op.inputs[input].shape;
  return s?.every((d) => d !== null) === true;
}

/** The plan with its foldable op steps marked (a new plan; the input is not changed). */
export function foldConstants(plan: Plan): Plan {
  /** Slots whose values are constants: Const outputs and folded nodes' outputs. */
  const constantSlots = new Set<number>();
  let changed = false;
  const steps = plan.steps.map((step): PlanStep => {
    // A constant moved to another device is that device's constant.
    if (step.kind === "copy" && constantSlots.has(step.inputSlots[0]) && step.tensor.op.outputs.length === 1) {
      constantSlots.add(step.outputSlots[0]);
      changed = true;
      return { ...step, folded: true };
    }
    if (step.kind !== "op" || step.op.controlInputs.length > 0 || step.outputSlots.length !== 1) return step;
    const op = step.op;
    if (op.type === "Const") {
      constantSlots.add(step.outputSlots[0]);
      return step;
    }
    if (RUNTIME_OPS.has(op.type) || op.def.stateful || op.def.refInputs !== undefined || step.foldedCast || !smallKnownOutput(op)) return step;
    const fromConstants = step.inputSlots.every(
      (slot, i) => constantSlots.has(slot) || (SHAPE_ONLY.has(op.type) && !isRef(op.inputs[i]) && hasKnownShape(op, i)),
    );
    if (!fromConstants) return step;
    constantSlots.add(step.outputSlots[0]);
    changed = true;
    return { ...step, folded: true };
  });
  return changed ? { ...plan, steps } : plan;
}
