/** Keras's functional forms of the merge layers: `tf.keras.layers.add([a, b])` is `new Add()([a, b])`. */
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { KerasTensor } from "../engine/keras_tensor.js";
import type { Layer } from "../engine/layer.js";
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from "./merge.js";

/** `tf.keras.layers.add([a, b])` and the like: a new merge layer called on the inputs (tensors or KerasTensors). */
interface MergeFunction {
  (inputs: readonly KerasTensor[], options?: { name?: string }): KerasTensor;
  (inputs: readonly Tensor[], options?: { name?: string }): Tensor;
}
interface ConcatenateFunction {
  (inputs: readonly KerasTensor[], axis?: number, options?: { name?: string }): KerasTensor;
  (inputs: readonly Tensor[], axis?: number, options?: { name?: string }): Tensor;
  (inputs: readonly KerasTensor[], options: { axis?: number; name?: string }): KerasTensor;
  (inputs: readonly Tensor[], options: { axis?: number; name?: string }): Tensor;
}
const INPUTS = param("inputs", kind<readonly Tensor[] | readonly KerasTensor[]>("Tensor[] | KerasTensor[]"), "The tensors to merge.");
const LAYER_NAME = optional("name", K.string, "The merge layer's name.");
const mergeExample = { args: (tf: { constant: (v: number[]) => unknown }) => [[tf.constant([1, 5]), tf.constant([3, 2])]] };
function mergeFunction(pyName: string, doc: string, make: (name: string | undefined) => Layer): MergeFunction {
  return defineFunction(signature(`keras.layers.${pyName}`, doc, [INPUTS, LAYER_NAME], mergeExample), (inputs, name) =>
    make(name)(inputs as readonly Tensor[]),
  ) as unknown as MergeFunction;
}
export const add = mergeFunction("add", "Add()(inputs): the elementwise sum.", (name) => new Add({ name }));
export const subtract = mergeFunction("subtract", "Subtract()(inputs): the first input minus the second.", (name) => new Subtract({ name }));
export const multiply = mergeFunction("multiply", "Multiply()(inputs): the elementwise product.", (name) => new Multiply({ name }));
export const average = mergeFunction("average", "Average()(inputs): the elementwise mean.", (name) => new Average({ name }));
export const maximum = mergeFunction("maximum", "Maximum()(inputs): the elementwise maximum.", (name) => new Maximum({ name }));
export const minimum = mergeFunction("minimum", "Minimum()(inputs): the elementwise minimum.", (name) => new Minimum({ name }));
export const concatenate = defineFunction(
  signature(
    "keras.layers.concatenate",
    "Concatenate(axis)(inputs): the inputs joined along an axis.",
    [INPUTS, withDefault("axis", K.int, -1, "The axis to join along."), LAYER_NAME],
    {
      args: (tf) => [[tf.constant([[1, 5]]), tf.constant([[3, 2]])], 0],
    },
  ),
  (inputs, axis, name) => new Concatenate({ axis, name })(inputs as readonly Tensor[]),
) as unknown as ConcatenateFunction;
