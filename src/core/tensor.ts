import type { DType, Values } from "./dtype.js";
import type { Shape } from "./shape.js";

/**
 * tf.Tensor: what every op returns. Two kinds exist, as in TensorFlow: an EagerTensor holds a value; a
 * SymbolicTensor is an edge of a tf.Graph whose value exists only inside Session.run. Elementwise ops and
 * reductions are also methods (installed by the op library).
 */
export abstract class Tensor {
  abstract readonly dtype: DType;
  /** Static shape; always fully known for an EagerTensor. */
  abstract readonly shape: Shape;
  abstract readonly rank: number | null;
  abstract dataSync(): Values;
  abstract data(): Promise<Values>;
  abstract arraySync(): unknown;
  abstract array(): Promise<unknown>;
  abstract toString(): string;
}
