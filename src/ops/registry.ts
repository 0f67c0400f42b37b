import type { Attrs } from "../core/schema/types.js";
import { allOpSchemas, type OpType } from "../core/schema/index.js";
import type { OpSchema } from "../core/schema/types.js";
import type { Tensor as AnyTensor } from "../core/tensor.js";

/**
 * The ops layer's view of the op table: each core schema row (core/schema/) with its gradient, which is
 * written with the public op functions and so lives here (TensorFlow's RegisterGradient next to its
 * Python wrappers). Gradients are registered once per op type by the family files (defineGradients).
 */

/** What a gradient function sees of the op it differentiates: symbolic in graphs, concrete on a tape. */
export interface GradOp {
  readonly type: string;
  readonly inputs: readonly AnyTensor[];
  readonly outputs: readonly AnyTensor[];
  readonly attrs: Attrs;
  /**
   * Which inputs need a gradient (depend on a source being differentiated). Rules for expensive ops
   * skip the others: eagerly that is work saved, in a graph nodes not built.
   */
  readonly needsGradient?: readonly boolean[];
}
/** Gradients with respect to each input (null where none flows), given those of each output. */
export type GradFn = (op: GradOp, dys: readonly AnyTensor[]) => (AnyTensor | null)[];

/** A schema row and its gradient: undefined, none registered (an error if one is needed); null, not differentiable. */
export type OpDef = OpSchema<OpType> & { readonly grad?: GradFn | null };

type MutableOpDef = OpSchema<OpType> & { grad?: GradFn | null };
const REGISTRY = new Map<string, MutableOpDef>(allOpSchemas().map((s) => [s.type, { ...s }]));

/** Registers the gradients of some op types (each once): a function, or null for "not differentiable". */
export function defineGradients(grads: { readonly [K in OpType]?: GradFn | null }): void {
  for (const [type, grad] of Object.entries(grads) as [OpType, GradFn | null][]) {
    const def = REGISTRY.get(type)!;
    if (def.grad !== undefined) throw new Error(`the gradient of ${type} is defined twice`);
    def.grad = grad;
  }
}

export function getOpDef(type: string): OpDef | undefined {
  return REGISTRY.get(type);
}
