import { executingEagerly } from "../core/context.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { buildNode } from "../graph/build.js";
import { getOpDef } from "../ops/registry.js";
import { applyToVariableGroupEagerly, applyToVariablesEagerly, Variable } from "./variable.js";

/**
 * Applies training op `type` to `vars` (the ref inputs, in order) with the remaining `inputs`. In a graph
 * it builds the node and returns its output; eagerly it updates the variables at once and returns null.
 */
export function applyTrainingOp(
  type: string,
  vars: readonly Variable[],
  inputs: readonly TensorLike[],
  attrs: Record<string, boolean> = {},
  name?: string,
): Tensor | null {
  if (executingEagerly()) {
    applyToVariablesEagerly(type, vars, inputs, attrs);
    return null;
  }
  // Inside a tf.function trace the update of captured eager variables is ordered after their earlier reads
  // and writes (Variable.tracedWrite); in a TensorFlow 1 graph this is just the node.
  return Variable.tracedWrite(vars, () => buildNode(getOpDef(type)!, [...vars.map((v) => v.ref), ...inputs], attrs, name ?? type)).outputs[0];
}

/** Eagerly, the same training op on several variables at once (an optimizer's step): see Variable.applyEagerlyGroup. */
export function applyTrainingOpGroupEagerly(
  type: string,
  items: readonly { vars: readonly Variable[]; inputs: readonly TensorLike[] }[],
  attrs: Record<string, boolean> = {},
): void {
  applyToVariableGroupEagerly(type, items, attrs);
}
