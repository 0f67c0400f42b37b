import type { DType } from "./dtype.js";
import type { Shape } from "./shape.js";
import type { Tensor } from "./tensor.js";
import type { HostValue } from "./values.js";

/**
 * The tensor-like protocol: what an object that is not a Tensor but stands for one (a tf.Variable) offers,
 * so that dispatch, graph building and the tape convert it without importing it (variables/ sits above
 * them). An object takes part by carrying `[TENSOR_LIKE]: true`.
 */
export const TENSOR_LIKE: unique symbol = Symbol.for("tsflow.tensorLike");

export interface TensorConvertible {
  readonly [TENSOR_LIKE]: true;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  /** The key GradientTapes know this value by. */
  readonly tapeId: number;
  /** Tapes that watch accessed variables watch this one when it is read (TensorFlow's trainable). */
  readonly trainable: boolean;
  /** Eagerly: what an op consuming this gets, a new eager tensor its caller disposes (recorded on tapes). */
  readForOp(): Tensor;
  /** Eagerly: the current value, shared (do not dispose). In a graph: the tensor ops read ("W/read"). */
  value(): Tensor;
  /** In graph `g`: the tensor an op built there consumes; an error for another graph. */
  graphValue(g: object): Tensor;
  /** In a graph: the tensor tf.gradients differentiates with respect to (a variable's own output "W:0"). */
  readonly ref: Tensor;
  /** In a graph: the node that control dependencies on this value wait for (a variable's VariableV2 node). */
  readonly op: object;
}

/** Anything an op accepts as an input. */
export type TensorLike = Tensor | TensorConvertible | HostValue;

export function isTensorConvertible(x: unknown): x is TensorConvertible {
  return typeof x === "object" && x !== null && (x as { [TENSOR_LIKE]?: unknown })[TENSOR_LIKE] === true;
}
