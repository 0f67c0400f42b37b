import type { DType } from "../core/dtype.js";
import type { Dim } from "../core/shape.js";

/**
 * What a dataset says about one component of its elements (TensorFlow's tf.TensorSpec as
 * `dataset.element_spec` shows it): the static shape, `null` where a dimension varies between elements
 * (a batch dimension without dropRemainder, a generator's declared None), and the dtype.
 */
export class TensorSpec {
  /** null: unknown rank. */
  readonly shape: Dim[] | null;
  constructor(
    shape: readonly Dim[] | null,
    readonly dtype: DType,
    readonly name: string | null = null,
  ) {
    this.shape = shape === null ? null : shape.slice();
  }

  /** Whether a concrete shape fits (null dims take any size). */
  isCompatibleWith(shape: readonly number[]): boolean {
    const s = this.shape;
    return s === null || (shape.length === s.length && s.every((d, i) => d === null || d === shape[i]));
  }

  toString(): string {
    const dims = this.shape?.map((d) => (d === null ? "None" : String(d)));
    const shape = dims === undefined ? "<unknown>" : `(${dims.join(", ")}${dims.length === 1 ? "," : ""})`;
    return `TensorSpec(shape=${shape}, dtype=tf.${this.dtype}, name=${this.name === null ? "None" : `'${this.name}'`})`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** The most specific shape both shapes fit (a dimension that differs becomes null). */
export function mostSpecificCompatible(a: readonly Dim[] | null, b: readonly Dim[] | null): Dim[] | null {
  if (a === null || b === null || a.length !== b.length) return null;
  return a.map((d, i) => (d === b[i] ? d : null));
}
