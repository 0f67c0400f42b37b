import type { DType } from "../core/dtype.js";

/**
 * The dtype that autocast variables read as (Keras's enable_auto_cast_variables): a Keras layer sets it to
 * its compute dtype around its call, so that a float32 weight of a mixed-precision layer reaches the ops as
 * float16 or bfloat16 (a Cast, differentiable, the gradient arriving back in float32). Null: no autocast.
 */
let current: DType | null = null;

export function autocastDType(): DType | null {
  return current;
}

export function withAutocast<T>(dtype: DType | null, fn: () => T): T {
  const saved = current;
  current = dtype;
  try {
    return fn();
  } finally {
    current = saved;
  }
}
