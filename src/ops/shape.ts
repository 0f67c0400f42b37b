import { isFullyDefined, sizeOf } from "../core/shape.js";
import { currentGraph, executingEagerly } from "../core/context.js";
import type { Tensor } from "../core/tensor.js";
import { defineFunction, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute1, isTensor } from "./dispatch.js";
import { defineGradients } from "./registry.js";
import { INPUT } from "./array_args.js";
import { constant } from "./creation.js";

/**
 * The shape ops (Shape, Size, Rank, BroadcastGradientArgs; the backends' shape family): their gradients
 * (none) and tf.shape, tf.size, tf.rank. Rows in core/schema/shape.ts.
 */

defineGradients({
  Shape: null,
  BroadcastGradientArgs: null,
  Size: null,
  Rank: null,
});

/** tf.shape(input, out_type, name): the dynamic shape, as a tensor. */
export const shape = defineFunction(
  signature(
    "shape",
    "The shape of a tensor, as a tensor (known when the graph runs).",
    [INPUT, withDefault("outType", T.dtype, "int32", "int32 or int64."), NAME],
    { args: () => [[[1, 2, 3]], "int32"] },
  ),
  (input, outType, name) => execute1("Shape", [input], { out_type: outType }, name),
);

/**
 * A graph tensor of the graph now being built, whose static shape may be folded into a constant. A tensor of
 * another graph goes to the op instead, which captures it (a tf.function) or raises, as TensorFlow does.
 */
function ofThisGraph(x: unknown): x is Tensor {
  return !executingEagerly() && isTensor(x) && (x as { graph?: unknown }).graph === currentGraph();
}

/** tf.size(input, out_type=int32, name="Size"). In a graph a fully known shape gives a constant, as in TensorFlow. */
export const size = defineFunction(
  signature("size", "The number of elements, as a tensor.", [INPUT, withDefault("outType", T.dtype, "int32", "int32 or int64."), NAME], {
    args: () => [[[1, 2, 3]], "int32"],
  }),
  (input, outType, name) => {
    if (ofThisGraph(input) && isFullyDefined(input.shape)) return constant(sizeOf(input.shape), { dtype: outType, name: name ?? "Size" });
    return execute1("Size", [input], { out_type: outType }, name);
  },
);

/** tf.rank(input, name="Rank"). In a graph a known rank gives a constant, as in TensorFlow. */
export const rank = defineFunction(signature("rank", "The number of dimensions, as a tensor.", [INPUT, NAME], { args: () => [[[1, 2, 3]]] }), (input, name) => {
  if (ofThisGraph(input) && input.shape !== null) return constant(input.shape.length, { dtype: "int32", name: name ?? "Rank" });
  return execute1("Rank", [input], {}, name);
});
