import { InvalidArgumentError } from "../core/errors.js";
import { shapesCompatible, shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../eager/tensor_types.js";
import { executingEagerly } from "../eager/context.js";
import type { Variable } from "../variables/variable.js";
import { applyToVariableGroupEagerly, applyToVariablesEagerly } from "../variables/variable.js";
import { buildNode } from "./dispatch.js";
import { defineOps, getOpDef, OpDef, TensorSpec } from "./registry.js";

/**
 * TensorFlow's training ops (ApplyGradientDescent, ApplyMomentum, ApplyAdam): one fused pass that
 * updates a variable (and its slots) instead of a chain of elementwise ops, each reading and writing
 * every parameter. The first `refInputs.length` inputs are variables; the kernel returns their new
 * values, and the executor (or the eager path) installs them.
 */
function trainingOp(type: string, refs: number, inputNames: string[], attrs: string[] = []): OpDef {
  return {
    type,
    inputNames,
    refInputs: Array.from({ length: refs }, (_, i) => i),
    dtypeGroups: [inputNames.map((_, i) => i)],
    allowedDTypes: ["float32", "float64"],
    stateful: true,
    infer: (inputs: readonly TensorSpec[], _a, name) => {
      const v = inputs[0];
      const grad = inputs[inputNames.indexOf("grad") >= 0 ? inputNames.indexOf("grad") : inputs.length - 1];
      for (const t of [...inputs.slice(1, refs), grad]) {
        if (!shapesCompatible(v.shape, t.shape)) {
          throw new InvalidArgumentError(`${type} ${name}: var and ${t === grad ? "grad" : "slot"} do not have the same shape: ${shapeStr(v.shape)} vs ${shapeStr(t.shape)}`);
        }
      }
      return [{ dtype: v.dtype, shape: v.shape }];
    },
    grad: null,
    doc: attrs.length ? `attrs: ${attrs.join(", ")}` : undefined,
  };
}

defineOps([
  trainingOp("ApplyGradientDescent", 1, ["var", "alpha", "delta"]),
  trainingOp("ApplyMomentum", 2, ["var", "accum", "lr", "grad", "momentum"], ["use_nesterov"]),
  trainingOp("ApplyAdam", 3, ["var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"]),
]);

/**
 * Applies training op `type` to `vars` (the ref inputs, in order) with the remaining `inputs`. In a graph
 * it builds the node and returns its output; eagerly it updates the variables at once and returns null.
 */
export function applyTrainingOp(type: string, vars: readonly Variable[], inputs: readonly TensorLike[], attrs: Record<string, boolean> = {}, name?: string): Tensor | null {
  if (executingEagerly()) {
    applyToVariablesEagerly(type, vars, inputs, attrs);
    return null;
  }
  return buildNode(getOpDef(type)!, [...vars.map((v) => v.ref), ...inputs], attrs, name ?? type).outputs[0];
}

/** Eagerly, the same training op on several variables at once (an optimizer's step): see Variable.applyEagerlyGroup. */
export function applyTrainingOpGroupEagerly(type: string, items: readonly { vars: readonly Variable[]; inputs: readonly TensorLike[] }[], attrs: Record<string, boolean> = {}): void {
  applyToVariableGroupEagerly(type, items, attrs);
}
