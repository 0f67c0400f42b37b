import { checkDType, isFloating } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import { isTensorConvertible } from "../core/tensor_like.js";
import { defineFunction, param, signature } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute1, isTensor } from "./dispatch.js";
import { defineGradients } from "./registry.js";

defineGradients({
  // Gradients flow through casts between float types only, as in TensorFlow.
  Cast: (op, [dy]) => [isFloating(op.inputs[0].dtype) && isFloating(dy.dtype) ? cast(dy, op.inputs[0].dtype) : null],
});

/** tf.cast(x, dtype, name). A no-op when x (a tensor or a variable) already has the dtype. */
export const cast = defineFunction(
  signature(
    "cast",
    "The values converted to another dtype (floats to integers truncate toward zero).",
    [param("x", T.tensor, "A tensor."), param("dtype", T.dtype, "The dtype of the result."), NAME],
    {
      args: () => [[1.5, -2.5], "int32"],
    },
  ),
  (x, dtype, name): Tensor => {
    const dt = checkDType(dtype, "tf.cast");
    if (isTensor(x) && x.dtype === dt) return x;
    // A variable of the dtype already: its value, as TensorFlow's cast converts it to a tensor first (in a graph,
    // an Identity, which launches nothing, where a Cast would be a kernel every step).
    if (isTensorConvertible(x) && x.dtype === dt) return execute1("Identity", [x], {}, name);
    return execute1("Cast", [x], { DstT: dt }, name);
  },
);
