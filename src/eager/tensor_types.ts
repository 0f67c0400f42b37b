import type { Tensor } from "../core/tensor.js";
import type { Variable } from "../variables/variable.js";
import type { HostValue } from "../core/values.js";

/** A tensor of either mode: concrete (eager, session results) or symbolic (a graph edge). */
export type AnyTensor = Tensor;
/** Anything an op accepts as an input. */
export type TensorLike = Tensor | Variable | HostValue;
