import type { DType, Values } from "./dtype.js";
import type { Shape } from "./shape.js";

/**
 * True on graph tensors (SymbolicTensor), which have no value outside Session.run; false on eager ones. Lets
 * the layers below eager/ and graph/ tell the two kinds apart; a symbol keeps it out of the public API.
 */
export const SYMBOLIC: unique symbol = Symbol("tsflow.symbolic");

/**
 * tf.Tensor: what every op returns. Two kinds exist, as in TensorFlow: an EagerTensor holds a value; a
 * SymbolicTensor is an edge of a tf.Graph whose value exists only inside Session.run. Elementwise ops and
 * reductions are also methods (installed by the op library).
 */
export abstract class Tensor {
  abstract get [SYMBOLIC](): boolean;
  abstract readonly dtype: DType;
  /** Static shape; always fully known for an EagerTensor. */
  abstract readonly shape: Shape;
  abstract readonly rank: number | null;
  abstract dataSync(): Values;
  abstract data(): Promise<Values>;
  abstract arraySync(): unknown;
  abstract array(): Promise<unknown>;
  abstract toString(): string;
  /** "op_name:index" in a graph; an error for eager tensors, as in TensorFlow 2. */
  abstract readonly name: string;
  /** The device the tensor's value lives on (eager) or its op asked for (graph). */
  abstract readonly device: string;
  /** Number of elements, or null while unknown. */
  abstract readonly size: number | null;
  /** The value of a one-element tensor as a number. */
  abstract item(): number;
  /** Releases an eager tensor's buffer; nothing to do for a graph tensor. */
  abstract dispose(): void;
  [Symbol.dispose](): void {
    this.dispose();
  }
}
