/**
 * tf.keras.Input and InputLayer: the entry of a functional model. Input(shape) makes an InputLayer and
 * returns its one KerasTensor, whose batch dimension is unknown unless batchSize is given.
 */
import type { DType } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import type { Shape } from "../../core/shape.js";
import { defineFunction, K, kind, optional, signature } from "../../core/signature.js";
import { recordNode } from "./functional.js";
import { KerasTensor } from "./keras_tensor.js";
import { Layer } from "./layer.js";

let inputCount = 0;
/** Keras numbers inputs from 1: input_1, input_2, ... */
function inputName(): string {
  inputCount += 1;
  return `input_${inputCount}`;
}
/** Restarts input names (tf.keras.backend.clearSession). */
export function resetInputNames(): void {
  inputCount = 0;
}

export class InputLayer extends Layer {
  readonly isInputLayer = true;
  /** The KerasTensor this layer outputs. */
  readonly output: KerasTensor;
  constructor(args: { inputShape?: Shape; batchSize?: number; batchInputShape?: Shape; dtype?: DType; name?: string } = {}) {
    const batchInputShape = args.batchInputShape ?? (args.inputShape !== undefined ? [args.batchSize ?? null, ...(args.inputShape ?? [])] : undefined);
    if (!batchInputShape) throw new InvalidArgumentError("InputLayer: give inputShape or batchInputShape");
    super({ name: args.name ?? inputName(), dtype: args.dtype ?? "float32", batchInputShape });
    this.built = true;
    this.output = new KerasTensor(batchInputShape, this.dtype, this.name);
    const node = { layer: this, inputs: [], outputs: [this.output], options: {}, listInput: false, listOutput: false };
    this.output.node = node;
    recordNode(this, node);
  }
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  /** Keras's InputLayer config: batch_input_shape, dtype, sparse, ragged, name. */
  override getConfig(): Record<string, unknown> {
    return { batchInputShape: [...(this.batchInputShape ?? [])], dtype: this.dtype, sparse: false, ragged: false, name: this.name };
  }
  /** From Keras's config (Keras 3 spells the shape batch_shape); sparse and ragged inputs are not supported. */
  static override fromConfig<T extends Layer>(this: unknown, config: Record<string, unknown>): T {
    if (config.sparse === true || config.ragged === true)
      throw new InvalidArgumentError(`InputLayer ${String(config.name)}: sparse and ragged inputs are not supported`);
    const batchInputShape = (config.batchInputShape ?? config.batchShape) as Shape | undefined;
    return new InputLayer({ batchInputShape, dtype: config.dtype as DType | undefined, name: config.name as string | undefined }) as unknown as T;
  }
}

/** tf.keras.Input(shape, batch_size, name, dtype, sparse, tensor, ragged, type_spec). */
export const Input = defineFunction(
  signature(
    "keras.Input",
    "The entry of a functional model: a KerasTensor of the given shape (without the batch dimension).",
    [
      optional("shape", kind<Shape>("Shape"), "The shape without the batch dimension (null dims: unknown)."),
      optional("batchSize", K.int, "A fixed batch size (default: unknown)."),
      optional("name", K.string, "The input layer's name (default input_1, input_2, ...)."),
      optional("dtype", kind<DType>("DType"), "The dtype (default float32)."),
      optional("sparse", K.boolean, "Not supported (sparse tensors are not implemented)."),
      optional("tensor", kind<unknown>("unknown"), "Not supported."),
      optional("ragged", K.boolean, "Not supported."),
      optional("batchShape", kind<Shape>("Shape"), "The shape with the batch dimension (instead of shape and batchSize)."),
    ],
    { args: () => [[4], 2, "inp"] },
  ),
  (shape, batchSize, name, dtype, sparse, tensor, ragged, batchShape): KerasTensor => {
    if (sparse || ragged || tensor !== undefined) throw new InvalidArgumentError("tf.keras.Input: sparse, ragged and tensor inputs are not supported");
    if (shape === undefined && batchShape === undefined)
      throw new InvalidArgumentError("tf.keras.Input: please provide to Input a `shape` or a `batchShape` argument");
    const layer = new InputLayer({ inputShape: shape ?? undefined, batchSize, batchInputShape: batchShape ?? undefined, dtype, name });
    return layer.output;
  },
);
