import type { PyArgs } from "./args.js";
import { checkDType, DType, isFloating } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../eager/tensor_types.js";
import { pyArgs } from "./args.js";
import { execute1, isTensor } from "./dispatch.js";
import { defineGradients } from "./registry.js";

defineGradients({
  // Gradients flow through casts between float types only, as in TensorFlow.
  Cast: (op, [dy]) => [isFloating(op.inputs[0].dtype) && isFloating(dy.dtype) ? cast(dy, op.inputs[0].dtype) : null],
});

/** tf.cast(x, dtype, name). A no-op when x already has the dtype. */
export function cast(x: TensorLike, dtype: DType, ...rest: PyArgs<[name: string], { name?: string }>): Tensor {
  const { name } = pyArgs<{ name: string }>(rest, ["name"]);
  const dt = checkDType(dtype, "tf.cast");
  if (isTensor(x) && x.dtype === dt) return x;
  return execute1("Cast", [x], { DstT: dt }, name);
}
