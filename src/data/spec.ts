import type { DType } from "../core/dtype.js";
import type { Dim } from "../core/shape.js";
import { TensorSpec } from "../function/index.js";

/**
 * Dataset element specs are tf.TensorSpec (TensorFlow's `dataset.element_spec`): the static shape, `null`
 * where a dimension varies between elements (a batch dimension without dropRemainder, a generator's declared
 * None), and the dtype.
 */
export { TensorSpec };

/** A spec of `shape` (copied; null: unknown rank) and `dtype`. */
export function tensorSpec(shape: readonly Dim[] | null, dtype: DType): TensorSpec {
  return new TensorSpec(shape === null ? null : [...shape], dtype);
}

/** Whether a concrete shape fits a spec's shape (null dims take any size, a null shape any rank). */
export function shapeFits(spec: TensorSpec, shape: readonly number[]): boolean {
  const s = spec.shape;
  return s === null || (shape.length === s.length && s.every((d, i) => d === null || d === shape[i]));
}

/** The most specific shape both shapes fit (a dimension that differs becomes null). */
export function mostSpecificCompatible(a: readonly Dim[] | null, b: readonly Dim[] | null): Dim[] | null {
  if (a === null || b === null || a.length !== b.length) return null;
  return a.map((d, i) => (d === b[i] ? d : null));
}
