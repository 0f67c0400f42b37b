import { defineFunction, K, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute1 } from "./dispatch.js";
import { defineGradients } from "./registry.js";

defineGradients({
  CheckNumerics: (_op, [dy]) => [checkNumerics(dy, "Not a number (NaN) or infinity (Inf) values detected in gradient.")],
});

/** tf.debugging.check_numerics(tensor, message, name): passes tensor through, or fails on NaN or Inf. */
export const checkNumerics = defineFunction(
  signature(
    "debugging.check_numerics",
    "The tensor unchanged; raises InvalidArgumentError when it holds NaN or Inf.",
    [param("tensor", T.tensor, "A floating-point tensor."), withDefault("message", K.string, "", "The start of the error message."), NAME],
    { args: () => [[1, 2], "bad"] },
  ),
  (tensor, message, name) => execute1("CheckNumerics", [tensor], { message }, name),
);
