/**
 * KerasTensor: the symbolic value of the functional API (what tf.keras.Input returns and what layers return
 * when called on one). It knows its shape (batch dimension null), its dtype and the layer call that made it;
 * engine/functional.ts walks these back from a model's outputs to its inputs.
 */
import type { DType } from "../../core/dtype.js";
import type { Shape } from "../../core/shape.js";

/** The layer call that produced a KerasTensor: the functional graph's node (Keras's Node). */
export interface KerasNode {
  /** The layer called (typed loosely here so that this leaf needs no import of the Layer class). */
  readonly layer: object;
  readonly inputs: readonly KerasTensor[];
  readonly outputs: readonly KerasTensor[];
  /** The call's keyword arguments other than the inputs (training is decided when the model runs). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Whether the layer was called with an array of inputs (rather than one tensor) and returned an array. */
  readonly listInput: boolean;
  readonly listOutput: boolean;
}

export class KerasTensor {
  /** Set once the node that outputs this tensor is recorded. */
  node: KerasNode | null = null;
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    readonly name: string,
  ) {}

  get rank(): number | null {
    return this.shape === null ? null : this.shape.length;
  }
  toString(): string {
    const dims =
      this.shape === null ? "<unknown>" : `(${this.shape.map((d) => (d === null ? "None" : String(d))).join(", ")}${this.shape.length === 1 ? "," : ""})`;
    return `KerasTensor(type_spec=TensorSpec(shape=${dims}, dtype=tf.${this.dtype}, name='${this.name}'), name='${this.name}')`;
  }
}
