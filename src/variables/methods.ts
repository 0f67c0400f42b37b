import { installTensorMethods, type TensorMethods } from "../ops/methods.js";
import { Variable } from "./variable.js";

// Variables take the tensor methods (v.add(x), v.matmul(w), ...) as tensors do.
installTensorMethods(Variable.prototype);

declare module "./variable.js" {
  interface Variable extends TensorMethods {}
}
