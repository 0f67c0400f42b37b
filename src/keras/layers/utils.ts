/**
 * What the built-in layers share: argument kinds and normalization (int-or-tuple arguments, data formats,
 * paddings), the window arithmetic of computeOutputShape, input checks with Keras's messages, and shapes
 * that mix a dynamic batch dimension with static ones.
 */
import type { DType } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import type { Dim, Shape } from "../../core/shape.js";
import { kind } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { cast } from "../../ops/cast.js";
import { isFloating } from "../../core/dtype.js";
import { concat, slice } from "../../ops/movement.js";
import { shape as shapeOp } from "../../ops/shape.js";
import type { Layer } from "../engine/layer.js";
import type { ActivationArg } from "../activations.js";
import type { ConstraintArg } from "../constraints.js";
import type { InitializerArg } from "../initializers.js";
import type { RegularizerArg } from "../regularizers.js";

export const ACTIVATION = kind<ActivationArg>("string | ((x: Tensor) => Tensor) | null");
export const INITIALIZER = kind<InitializerArg>("string | Initializer | ((shape, dtype) => TensorLike)");
export const REGULARIZER = kind<RegularizerArg>("string | Regularizer");
export const CONSTRAINT = kind<ConstraintArg>("string | Constraint");

export const INT_OR_TUPLE = kind<number | readonly number[]>("number | number[]");
export type Padding = "valid" | "same" | "causal";
export const PADDING = kind<Padding>('"valid" | "same"');
export type DataFormat = "channels_last" | "channels_first";
export const DATA_FORMAT = kind<DataFormat | "channelsLast" | "channelsFirst">('"channels_last" | "channels_first"');
export const SHAPE = kind<readonly (number | null)[]>("(number | null)[]");

/** An int or a tuple of n ints (Keras's conv_utils.normalize_tuple). */
export function normTuple(layer: string, what: string, v: number | readonly number[], n: number): number[] {
  if (typeof v === "number") return new Array<number>(n).fill(v);
  const list = Array.from(v);
  if (list.length !== n || list.some((d) => !Number.isInteger(d))) {
    throw new InvalidArgumentError(`${layer}: the \`${what}\` argument must be a tuple of ${n} integers, received: [${list}]`);
  }
  return list;
}

/** "channels_last" | "channels_first" (camelCase accepted); null: Keras's default, channels_last. */
export function normDataFormat(layer: string, v: string | null | undefined): DataFormat {
  if (v === null || v === undefined) return "channels_last";
  const s = v.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  if (s !== "channels_last" && s !== "channels_first") {
    throw new InvalidArgumentError(`${layer}: the \`data_format\` argument must be one of "channels_first", "channels_last". Received: ${v}`);
  }
  return s;
}

export function normPadding(layer: string, v: string, allowed: readonly Padding[] = ["valid", "same"]): Padding {
  const p = v.toLowerCase() as Padding;
  if (!allowed.includes(p))
    throw new InvalidArgumentError(`${layer}: the \`padding\` argument must be one of ${allowed.map((a) => `"${a}"`).join(", ")}. Received: ${v}`);
  return p;
}

/** tf.nn's layout string for a Keras data format and a number of spatial dimensions. */
export function opFormat(df: DataFormat, nSpatial: number): string {
  const spatial = ["W", "HW", "DHW"][nSpatial - 1];
  return df === "channels_first" ? `NC${spatial}` : `N${spatial}C`;
}

/** The output length of a window over `length` (Keras's conv_utils.conv_output_length). */
export function convOutputLength(length: Dim, filter: number, padding: Padding, stride: number, dilation = 1): Dim {
  if (length === null) return null;
  const dilated = (filter - 1) * dilation + 1;
  const out = padding === "valid" ? length - dilated + 1 : length;
  return Math.floor((out + stride - 1) / stride);
}

/** The output length of a transposed convolution (Keras's conv_utils.deconv_output_length). */
export function deconvOutputLength(length: Dim, filter: number, padding: Padding, outputPadding: number | null, stride: number, dilation = 1): Dim {
  if (length === null) return null;
  const f = (filter - 1) * dilation + 1;
  if (outputPadding === null) return padding === "valid" ? length * stride + Math.max(f - stride, 0) : length * stride;
  const pad = padding === "same" ? Math.floor(f / 2) : 0;
  return (length - 1) * stride + f - 2 * pad + outputPadding;
}

/** Keras's "(None, 28, 28, 1)" rendering of a shape, for messages. */
export function pyShape(s: Shape): string {
  if (s === null) return "<unknown>";
  return `(${s.map((d) => (d === null ? "None" : String(d))).join(", ")}${s.length === 1 ? "," : ""})`;
}

/** One input's shape (layers of one input refuse a list). */
export function single(layer: Layer, inputShape: Shape | Shape[]): Dim[] {
  if (inputShape !== null && inputShape.length > 0 && Array.isArray(inputShape[0])) {
    throw new InvalidArgumentError(`Layer "${layer.name}" expects 1 input, but it received ${inputShape.length} input tensors.`);
  }
  if (inputShape === null) throw new InvalidArgumentError(`Layer "${layer.name}" needs an input of known rank`);
  return inputShape as Dim[];
}

/** Several inputs' shapes (merge layers). */
export function several(layer: Layer, inputShape: Shape | Shape[]): Shape[] {
  if (inputShape === null || inputShape.length === 0 || !Array.isArray(inputShape[0])) {
    throw new InvalidArgumentError(`Layer "${layer.name}" should be called on a list of inputs.`);
  }
  return inputShape as Shape[];
}

/** Keras's InputSpec checks, with its messages (which name the layer, the expectation and the received shape). */
export interface InputSpec {
  ndim?: number;
  minNdim?: number;
  /** axis -> size (negative axes count from the end). */
  axes?: { readonly [axis: number]: number };
}
export function checkInput(layer: Layer, shape: Shape, spec: InputSpec, index = 0): void {
  if (shape === null) return;
  const head = `Input ${index} of layer "${layer.name}" is incompatible with the layer:`;
  if (spec.ndim !== undefined && shape.length !== spec.ndim) {
    throw new InvalidArgumentError(`${head} expected ndim=${spec.ndim}, found ndim=${shape.length}. Full shape received: ${pyShape(shape)}`);
  }
  if (spec.minNdim !== undefined && shape.length < spec.minNdim) {
    throw new InvalidArgumentError(`${head} expected min_ndim=${spec.minNdim}, found ndim=${shape.length}. Full shape received: ${pyShape(shape)}`);
  }
  for (const [k, size] of Object.entries(spec.axes ?? {})) {
    const axis = Number(k);
    const d = shape[axis < 0 ? shape.length + axis : axis];
    if (d !== null && d !== undefined && d !== size) {
      throw new InvalidArgumentError(`${head} expected axis ${axis} of input shape to have value ${size}, but received input with shape ${pyShape(shape)}`);
    }
  }
}

/** The input as the layer's dtype (Keras casts floating inputs to the layer's compute dtype). */
export function asLayerDType(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype || !isFloating(dtype) ? x : cast(x, dtype);
}

/** Only one input tensor (layers of one input). */
export function oneTensor(layer: Layer, inputs: Tensor | readonly Tensor[]): Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new InvalidArgumentError(`Layer "${layer.name}" expects 1 input, but it received ${inputs.length} input tensors.`);
    return inputs[0];
  }
  return inputs as Tensor;
}

/**
 * A shape for reshape-like ops: [batch, ...rest] where rest is static. A static batch (or a -1 that is the
 * only unknown) stays a constant; otherwise the batch comes from the input at run time.
 */
export function batchAndRest(x: Tensor, rest: readonly number[]): TensorLike {
  const b = x.shape?.[0] ?? null;
  if (b !== null) return new Int32Array([b, ...rest]);
  if (!rest.includes(-1)) return new Int32Array([-1, ...rest]);
  return concat([slice(shapeOp(x), [0], [1]), new Int32Array(rest)], 0);
}

/** The product of the dims, or null when one is unknown. */
export function prodOrNull(dims: readonly Dim[]): number | null {
  let p = 1;
  for (const d of dims) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}
