/**
 * Kinds and parameters shared by the ops' declarations (core/signature.ts): the tensor kinds, and the
 * parameters many ops have (`name`, `dtype`, `axis`), so that each is documented once.
 */
import type { DType } from "../core/dtype.js";
import type { Shape } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { kind, optional } from "../core/signature.js";
import type { TensorLike } from "../core/tensor_like.js";

export const T = {
  /** Anything an op converts to a tensor: a tensor, a variable, a number, nested arrays, a typed array. */
  tensor: kind<TensorLike>("TensorLike"),
  tensors: kind<readonly TensorLike[]>("TensorLike[]"),
  dtype: kind<DType>("DType"),
  shape: kind<Shape>("Shape"),
  /** An axis or a list of axes (null: all). */
  axes: kind<number | number[] | Tensor | null>("number | number[] | Tensor | null"),
  axis: kind<number>("number"),
  axisTensor: kind<TensorLike>("number | TensorLike"),
};

export const NAME = optional("name", kind<string>("string"), "A name for the operation.");
