import type { PyArgs } from "./args.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../eager/tensor_types.js";
import { pyArgs } from "./args.js";
import { execute1 } from "./dispatch.js";
import { defineGradients } from "./registry.js";

defineGradients({
  CheckNumerics: (_op, [dy]) => [checkNumerics(dy, "Not a number (NaN) or infinity (Inf) values detected in gradient.")],
});

/** tf.debugging.check_numerics(tensor, message, name): passes tensor through, or fails on NaN or Inf. */
export function checkNumerics(tensor: TensorLike, ...args: PyArgs<[message: string, name: string], { message?: string; name?: string }>): Tensor {
  const a = pyArgs<{ message: string; name: string }>(args, ["message", "name"]);
  return execute1("CheckNumerics", [tensor], { message: a.message ?? "" }, a.name);
}
