import type { DType } from "../core/dtype.js";
import { isFloating } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import { isFullyDefined, shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { Attrs } from "../core/schema/types.js";
import { biasFormat } from "../core/schema/conv.js";
import { channelsFirst, FORMATS } from "../core/geometry/window.js";
import type { TensorLike } from "../core/tensor_like.js";
import { pyArgs, PyArgs } from "./args.js";
import { execute, execute1, isTensor } from "./dispatch.js";
import { currentExecutor } from "./executor.js";
import { defineGradients, getOpDef, GradFn, GradOp } from "./registry.js";
import { cast } from "./cast.js";
import { add, greaterEqual, maximum, multiply, realdiv, rsqrt, squaredDifference, square, subtract } from "./elementwise.js";
import { reduceMean, reduceSum } from "./reduce.js";
import { constant, convertToTensor, reshape, stopGradient, zerosLike } from "./array.js";
import { randomUniform } from "./random.js";

/**
 * Gradients of the convolution-network ops (rows and shape functions in core/schema/conv.ts) and the
 * tf.nn functions for convolutions, pooling, bias, normalization, dropout and resizing.
 */

/** A tensor's shape as an int32 input: a constant when static, else a Shape op. */
function shapeOf(t: Tensor): TensorLike {
  return isFullyDefined(t.shape) ? new Int32Array(t.shape) : execute1("Shape", [t], { out_type: "int32" });
}

/** Gives a graph tensor the static shape of `like` (Tensor.set_shape), where a Shape op hid it from inference. */
function refine(t: Tensor, like: Tensor): Tensor {
  if (like.shape !== null) currentExecutor().refineShape(t, like.shape);
  return t;
}

function defineConvGradients<F extends "Conv2D" | "DepthwiseConv2dNative">(fwd: F): void {
  const bi = `${fwd}BackpropInput` as const;
  const bf = `${fwd}BackpropFilter` as const;
  const grads: { [K in F | typeof bi | typeof bf]: GradFn } = {
    [fwd]: (op: GradOp, [dy]: readonly Tensor[]) => {
      const [x, f] = op.inputs;
      // The input gradient of a network's first layer is rarely wanted: skip it when nothing needs it.
      const dx = op.needsGradient?.[0] === false ? null : refine(execute1(bi, [shapeOf(x), f, dy], op.attrs), x);
      const df = op.needsGradient?.[1] === false ? null : refine(execute1(bf, [x, shapeOf(f), dy], op.attrs), f);
      return [dx, df];
    },
    [bi]: (op: GradOp, [g]: readonly Tensor[]) => {
      const [, f, dy] = op.inputs;
      return [null, refine(execute1(bf, [g, shapeOf(f), dy], op.attrs), f), execute1(fwd, [g, f], op.attrs)];
    },
    [bf]: (op: GradOp, [g]: readonly Tensor[]) => {
      const [x, , dy] = op.inputs;
      return [refine(execute1(bi, [shapeOf(x), g, dy], op.attrs), x), null, execute1(fwd, [x, g], op.attrs)];
    },
  } as { [K in F | typeof bi | typeof bf]: GradFn };
  defineGradients(grads);
}
defineConvGradients("Conv2D");
defineConvGradients("DepthwiseConv2dNative");

function definePoolGradients<M extends "MaxPool" | "MaxPool3D", A extends "AvgPool" | "AvgPool3D">(max: M, avg: A): void {
  const maxGrad = `${max}Grad` as const;
  const maxGradGrad = `${max}GradGrad` as const;
  const avgGrad = `${avg}Grad` as const;
  defineGradients({
    [max]: (op: GradOp, [dy]: readonly Tensor[]) => [execute1(maxGrad, [op.inputs[0], op.outputs[0], dy], op.attrs)],
    [maxGrad]: (op: GradOp, [g]: readonly Tensor[]) => [zerosLike(op.inputs[0]), zerosLike(op.inputs[1]), execute1(maxGradGrad, [op.inputs[0], op.inputs[1], g], op.attrs)],
    [maxGradGrad]: (op: GradOp, [g]: readonly Tensor[]) => [zerosLike(op.inputs[0]), zerosLike(op.inputs[1]), execute1(maxGrad, [op.inputs[0], op.inputs[1], g], op.attrs)],
    [avg]: (op: GradOp, [dy]: readonly Tensor[]) => [refine(execute1(avgGrad, [shapeOf(op.inputs[0]), dy], op.attrs), op.inputs[0])],
    [avgGrad]: (op: GradOp, [g]: readonly Tensor[]) => [null, execute1(avg, [g], op.attrs)],
  } as { [K in M | A | typeof maxGrad | typeof maxGradGrad | typeof avgGrad]: GradFn });
}
definePoolGradients("MaxPool", "AvgPool");
definePoolGradients("MaxPool3D", "AvgPool3D");

defineGradients({
  MaxPoolWithArgmax: (op, [dy]) => [execute1("MaxPoolGradWithArgmax", [op.inputs[0], dy, op.outputs[1]], op.attrs)],
  MaxPoolGradWithArgmax: (op, [g]) => [zerosLike(op.inputs[0]), execute1("MaxPoolGradGradWithArgmax", [op.inputs[0], g, op.inputs[2]], op.attrs), null],
  MaxPoolGradGradWithArgmax: (op, [g]) => [zerosLike(op.inputs[0]), execute1("MaxPoolGradWithArgmax", [op.inputs[0], g, op.inputs[2]], op.attrs), null],
});

// ---------------------------------------------------------------- bias, batch norm, LRN, resize

function imageHW(t: Tensor, op: string): Int32Array {
  const s = t.shape;
  if (s === null || s[1] === null || s[2] === null) {
    throw new UnimplementedError(`gradient of ${op} needs the image height and width known when the graph is built, got ${shapeStr(s)}`);
  }
  return new Int32Array([s[1], s[2]]);
}

defineGradients({
  BiasAdd: (op, [dy]) => [dy, execute1("BiasAddGrad", [dy], { data_format: op.attrs.data_format })],
  BiasAddGrad: (op, [g]) => {
      // The gradient of a channel sum spreads the channel vector back over every position.
      const x = op.inputs[0];
      const r = x.rank;
      if (r === null) throw new UnimplementedError("gradient of BiasAddGrad needs the rank of its input");
      const ax = biasFormat("BiasAddGrad", op.attrs, r) as number;
      const keep = Array.from({ length: r }, (_, i) => (i === ax ? -1 : 1));
      return [execute1("BroadcastTo", [reshape(g, new Int32Array(keep)), shapeOf(x)])];
    },
  FusedBatchNormV3: (op, [dy]) => {
      const training = op.attrs.is_training as boolean;
      const [x, scale] = op.inputs;
      const rs1 = training ? op.outputs[3] : op.inputs[3];
      const rs2 = training ? op.outputs[4] : op.inputs[4];
      const [dx, dscale, doffset] = execute("FusedBatchNormGradV3", [dy, x, scale, rs1, rs2, op.outputs[5]], {
        epsilon: op.attrs.epsilon, data_format: op.attrs.data_format, is_training: training,
      });
      return [dx, dscale, doffset, null, null];
    },
  LRN: (op, [dy]) => [execute1("LRNGrad", [dy, op.inputs[0], op.outputs[0]], op.attrs)],
  ResizeBilinear: (op, [dy]) => [
      isFloating(op.inputs[0].dtype) ? execute1("ResizeBilinearGrad", [dy, op.inputs[0]], op.attrs) : null,
      null,
    ],
  ResizeNearestNeighbor: (op, [dy]) => [execute1("ResizeNearestNeighborGrad", [dy, imageHW(op.inputs[0], "ResizeNearestNeighbor")], op.attrs), null],
  ResizeNearestNeighborGrad: (op, [g]) => [execute1("ResizeNearestNeighbor", [g, imageHW(op.inputs[0], "ResizeNearestNeighborGrad")], op.attrs), null],
});

// ---------------------------------------------------------------- argument helpers for the public API

type IntOrList = number | readonly number[];
type Padding = string | readonly (readonly [number, number])[] | readonly (readonly number[])[];

/**
 * A strides/dilations/ksize argument as the full per-dimension list: an int, or a list of 1, N (spatial
 * dims) or N+2 entries, as tf.nn accepts them.
 */
function fullList(op: string, what: string, v: IntOrList | undefined | null, nSpatial: number, cf: boolean): number[] {
  const rank = nSpatial + 2;
  if (v === undefined || v === null) return new Array<number>(rank).fill(1);
  const list = typeof v === "number" ? [v] : Array.from(v, Number);
  let spatial: number[];
  if (list.length === 1) spatial = new Array<number>(nSpatial).fill(list[0]);
  else if (list.length === nSpatial) spatial = list;
  else if (list.length === rank) return list;
  else throw new InvalidArgumentError(`${op}: ${what} should be of length 1, ${nSpatial} or ${rank}, got [${list}]`);
  return cf ? [1, 1, ...spatial] : [1, ...spatial, 1];
}

/** padding as TensorFlow's attrs: "SAME"/"VALID", or explicit pairs for every dimension (EXPLICIT). */
function paddingAttrs(op: string, padding: Padding | undefined, rank: number): { padding: string; explicit_paddings: number[] } {
  if (padding === undefined) throw new InvalidArgumentError(`${op}: padding is required ("SAME", "VALID" or explicit pairs)`);
  if (typeof padding === "string") {
    const p = padding.toUpperCase();
    if (p !== "SAME" && p !== "VALID") throw new InvalidArgumentError(`${op}: padding must be "SAME", "VALID" or a list of pairs, got '${padding}'`);
    return { padding: p, explicit_paddings: [] };
  }
  if (!Array.isArray(padding) || padding.length !== rank || padding.some((p) => !Array.isArray(p) || p.length !== 2)) {
    throw new InvalidArgumentError(`${op}: explicit padding must be a list of ${rank} [before, after] pairs, got ${JSON.stringify(padding)}`);
  }
  return { padding: "EXPLICIT", explicit_paddings: padding.flatMap((p) => [Number(p[0]), Number(p[1])]) };
}

function toTensor(x: TensorLike, dtype?: DType): Tensor {
  return isTensor(x) ? x : convertToTensor(x, { dtype: dtype ?? (x instanceof Float64Array ? "float64" : "float32") });
}

/** Drops a size-1 axis with a Reshape (static shapes), or TensorFlow's Squeeze when too little is known. */
function dropAxis(y: Tensor, axis: number, name?: string): Tensor {
  const s = y.shape;
  if (s !== null) {
    const kept = s.filter((_, i) => i !== axis);
    const unknown = kept.filter((d) => d === null).length;
    if (unknown <= 1) return reshape(y, new Int32Array(kept.map((d) => d ?? -1)), { name });
  }
  if (getOpDef("Squeeze")) return execute1("Squeeze", [y], { squeeze_dims: [axis] }, name);
  throw new UnimplementedError(`cannot drop axis ${axis} of a tensor of shape ${shapeStr(s)} without knowing more of its shape`);
}

function expandAxis(x: Tensor, axis: number): Tensor {
  return execute1("ExpandDims", [x, new Int32Array([axis])]);
}

// ---------------------------------------------------------------- convolutions

export interface Conv2DOptions {
  strides?: IntOrList;
  padding?: Padding;
  dataFormat?: string;
  dilations?: IntOrList;
  name?: string;
}

function convAttrs(op: string, a: { strides?: IntOrList; padding?: Padding; dataFormat?: string; dilations?: IntOrList }, nSpatial: number, fmtOp = op): Attrs {
  const rank = nSpatial + 2;
  const dataFormat = a.dataFormat ?? FORMATS[rank][0];
  const cf = channelsFirst(fmtOp, dataFormat, rank);
  if (a.strides === undefined) throw new InvalidArgumentError(`${op}: strides is required`);
  return {
    strides: fullList(op, "strides", a.strides, nSpatial, cf),
    ...paddingAttrs(op, a.padding, rank),
    data_format: dataFormat,
    dilations: fullList(op, "dilations", a.dilations, nSpatial, cf),
  };
}

/**
 * tf.nn.conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name): input
 * [batch, in_height, in_width, in_channels] (NHWC) or [batch, in_channels, in_height, in_width] (NCHW),
 * filters [filter_height, filter_width, in_channels, out_channels].
 */
export function conv2d(input: TensorLike, filters: TensorLike, ...args: PyArgs<[strides: IntOrList, padding: Padding, dataFormat: string, dilations: IntOrList, name: string], Conv2DOptions>): Tensor {
  const a = pyArgs<Conv2DOptions>(args, ["strides", "padding", "dataFormat", "dilations", "name"]);
  return execute1("Conv2D", [input, filters], convAttrs("Conv2D", a, 2), a.name);
}

export interface Conv2DTransposeOptions extends Conv2DOptions {
  outputShape?: TensorLike;
}

/**
 * tf.nn.conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",
 * dilations=None, name): the gradient of conv2d with respect to its input (op Conv2DBackpropInput);
 * filters are [height, width, output_channels, in_channels].
 */
export function conv2dTranspose(
  input: TensorLike, filters: TensorLike,
  ...args: PyArgs<[outputShape: TensorLike, strides: IntOrList, padding: Padding, dataFormat: string, dilations: IntOrList, name: string], Conv2DTransposeOptions>
): Tensor {
  const a = pyArgs<Conv2DTransposeOptions>(args, ["outputShape", "strides", "padding", "dataFormat", "dilations", "name"]);
  if (a.outputShape === undefined) throw new InvalidArgumentError("conv2d_transpose: output_shape is required");
  const os = Array.isArray(a.outputShape) ? new Int32Array(a.outputShape as number[]) : a.outputShape;
  const attrs = convAttrs("Conv2DBackpropInput", { ...a, padding: a.padding ?? "SAME" }, 2);
  return execute1("Conv2DBackpropInput", [os, filters, input], attrs, a.name ?? "conv2d_transpose");
}

export interface DepthwiseConv2DOptions {
  strides?: IntOrList;
  padding?: Padding;
  dataFormat?: string;
  dilations?: IntOrList;
  name?: string;
}

/**
 * tf.nn.depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name):
 * filter [h, w, in_channels, channel_multiplier]; output channels in_channels * channel_multiplier
 * (op DepthwiseConv2dNative, which takes dilations directly).
 */
export function depthwiseConv2d(input: TensorLike, filter: TensorLike, ...args: PyArgs<[strides: IntOrList, padding: Padding, dataFormat: string, dilations: IntOrList, name: string], DepthwiseConv2DOptions>): Tensor {
  const a = pyArgs<DepthwiseConv2DOptions>(args, ["strides", "padding", "dataFormat", "dilations", "name"]);
  return execute1("DepthwiseConv2dNative", [input, filter], convAttrs("DepthwiseConv2dNative", a, 2), a.name ?? "depthwise");
}

export interface Conv1DOptions {
  stride?: IntOrList;
  padding?: Padding;
  dataFormat?: string;
  dilations?: IntOrList;
  name?: string;
}

/**
 * tf.nn.conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name): as in TensorFlow,
 * a conv2d over a height-1 image: the input gets a unit axis (ExpandDims), filters [w, in, out] become
 * [1, w, in, out], and the unit axis is removed from the result.
 */
export function conv1d(input: TensorLike, filters: TensorLike, ...args: PyArgs<[stride: IntOrList, padding: Padding, dataFormat: string, dilations: IntOrList, name: string], Conv1DOptions>): Tensor {
  const a = pyArgs<Conv1DOptions>(args, ["stride", "padding", "dataFormat", "dilations", "name"]);
  const fmt = a.dataFormat ?? "NWC";
  const cf = channelsFirst("conv1d", fmt, 3);
  const one = (v: IntOrList | undefined, what: string): number => {
    if (v === undefined) return 1;
    const l = typeof v === "number" ? [v] : Array.from(v);
    if (l.length === 1) return l[0];
    if (l.length === 3) return cf ? l[2] : l[1];
    throw new InvalidArgumentError(`conv1d: ${what} should be of length 1 or 3, got [${l}]`);
  };
  if (a.stride === undefined) throw new InvalidArgumentError("conv1d: stride is required");
  const s = one(a.stride, "stride");
  const d = one(a.dilations, "dilations");
  let padding: Padding | undefined = a.padding;
  if (Array.isArray(padding)) {
    if (padding.length !== 3) throw new InvalidArgumentError(`conv1d: explicit padding must be 3 pairs, got ${JSON.stringify(padding)}`);
    padding = cf ? [[0, 0], [0, 0], ...padding.slice(1)] as [number, number][] : [padding[0], [0, 0], ...padding.slice(1)] as [number, number][];
  }
  const x = toTensor(input);
  const f = toTensor(filters, x.dtype);
  const spatialStart = cf ? 2 : 1;
  const x4 = expandAxis(x, spatialStart);
  const f4 = expandAxis(f, 0);
  const y = execute1("Conv2D", [x4, f4], convAttrs("Conv2D", { strides: [1, s], padding, dataFormat: cf ? "NCHW" : "NHWC", dilations: [1, d] }, 2), a.name ? `${a.name}/Conv2D` : undefined);
  return dropAxis(y, spatialStart, a.name);
}

// ---------------------------------------------------------------- pooling

export interface PoolOptions {
  ksize?: IntOrList;
  strides?: IntOrList;
  padding?: Padding;
  dataFormat?: string;
  name?: string;
}
type PoolArgs = PyArgs<[ksize: IntOrList, strides: IntOrList, padding: Padding, dataFormat: string, name: string], PoolOptions>;

function poolAttrs(op: string, a: PoolOptions, nSpatial: number): Attrs {
  const rank = nSpatial + 2;
  const dataFormat = a.dataFormat ?? FORMATS[rank][0];
  const cf = channelsFirst(op, dataFormat, rank);
  if (a.ksize === undefined) throw new InvalidArgumentError(`${op}: ksize is required`);
  if (a.strides === undefined) throw new InvalidArgumentError(`${op}: strides is required`);
  const p = paddingAttrs(op, a.padding, rank);
  // As in TensorFlow, only the 2-D max pool (op MaxPool) takes explicit paddings.
  if (p.padding === "EXPLICIT" && op !== "MaxPool") {
    throw new InvalidArgumentError(`${op}: padding must be "SAME" or "VALID"; explicit paddings are supported by 2-D max pooling only (use tf.pad and VALID)`);
  }
  const attrs = { ksize: fullList(op, "ksize", a.ksize, nSpatial, cf), strides: fullList(op, "strides", a.strides, nSpatial, cf), padding: p.padding, data_format: dataFormat };
  return p.padding === "EXPLICIT" ? { ...attrs, explicit_paddings: p.explicit_paddings } : attrs;
}

/** A 1-D pool as TensorFlow runs it: a 2-D pool over a height-1 image. */
function pool1d(op2d: "MaxPool" | "AvgPool", input: TensorLike, a: PoolOptions, defaultName: string): Tensor {
  const fmt = a.dataFormat ?? "NWC";
  const cf = channelsFirst(defaultName, fmt, 3);
  const one = (v: IntOrList | undefined, what: string): number => {
    if (v === undefined) throw new InvalidArgumentError(`${defaultName}: ${what} is required`);
    const l = typeof v === "number" ? [v] : Array.from(v);
    if (l.length === 1) return l[0];
    if (l.length === 3) return cf ? l[2] : l[1];
    throw new InvalidArgumentError(`${defaultName}: ${what} should be of length 1 or 3, got [${l}]`);
  };
  const x = toTensor(input);
  const spatialStart = cf ? 2 : 1;
  const attrs = poolAttrs(op2d, { ksize: [1, one(a.ksize, "ksize")], strides: [1, one(a.strides, "strides")], padding: a.padding, dataFormat: cf ? "NCHW" : "NHWC" }, 2);
  const y = execute1(op2d, [expandAxis(x, spatialStart)], attrs, a.name ? `${a.name}/${op2d}` : undefined);
  return dropAxis(y, spatialStart, a.name);
}

function poolNd(max: boolean) {
  return (input: TensorLike, ...args: PoolArgs): Tensor => {
    const a = pyArgs<PoolOptions>(args, ["ksize", "strides", "padding", "dataFormat", "name"]);
    const x = toTensor(input);
    const rank = x.rank ?? (a.dataFormat ? a.dataFormat.length : null);
    if (rank === 3) return pool1d(max ? "MaxPool" : "AvgPool", x, a, max ? "max_pool1d" : "avg_pool1d");
    if (rank === 4) return execute1(max ? "MaxPool" : "AvgPool", [x], poolAttrs(max ? "MaxPool" : "AvgPool", a, 2), a.name);
    if (rank === 5) return execute1(max ? "MaxPool3D" : "AvgPool3D", [x], poolAttrs(max ? "MaxPool3D" : "AvgPool3D", a, 3), a.name);
    throw new InvalidArgumentError(`${max ? "max_pool" : "avg_pool"}: input must be of rank 3, 4 or 5 (N+2 for N spatial dims), got shape ${shapeStr(x.shape)}`);
  };
}

/** tf.nn.max_pool(input, ksize, strides, padding, data_format=None, name): 1-, 2- or 3-D by the input's rank. */
export const maxPool = poolNd(true);
/** tf.nn.avg_pool(input, ksize, strides, padding, data_format=None, name): averages over in-bounds elements only. */
export const avgPool = poolNd(false);

/** tf.nn.max_pool2d(input, ksize, strides, padding, data_format="NHWC", name): op MaxPool. */
export function maxPool2d(input: TensorLike, ...args: PoolArgs): Tensor {
  const a = pyArgs<PoolOptions>(args, ["ksize", "strides", "padding", "dataFormat", "name"]);
  return execute1("MaxPool", [input], poolAttrs("MaxPool", a, 2), a.name);
}
/** tf.nn.avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name): op AvgPool. */
export function avgPool2d(input: TensorLike, ...args: PoolArgs): Tensor {
  const a = pyArgs<PoolOptions>(args, ["ksize", "strides", "padding", "dataFormat", "name"]);
  return execute1("AvgPool", [input], poolAttrs("AvgPool", a, 2), a.name);
}
/** tf.nn.max_pool1d(input, ksize, strides, padding, data_format="NWC", name). */
export function maxPool1d(input: TensorLike, ...args: PoolArgs): Tensor {
  return pool1d("MaxPool", input, pyArgs<PoolOptions>(args, ["ksize", "strides", "padding", "dataFormat", "name"]), "max_pool1d");
}
/** tf.nn.avg_pool1d(input, ksize, strides, padding, data_format="NWC", name). */
export function avgPool1d(input: TensorLike, ...args: PoolArgs): Tensor {
  return pool1d("AvgPool", input, pyArgs<PoolOptions>(args, ["ksize", "strides", "padding", "dataFormat", "name"]), "avg_pool1d");
}
/** tf.nn.max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name): op MaxPool3D. */
export function maxPool3d(input: TensorLike, ...args: PoolArgs): Tensor {
  const a = pyArgs<PoolOptions>(args, ["ksize", "strides", "padding", "dataFormat", "name"]);
  return execute1("MaxPool3D", [input], poolAttrs("MaxPool3D", a, 3), a.name);
}
/** tf.nn.avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name): op AvgPool3D. */
export function avgPool3d(input: TensorLike, ...args: PoolArgs): Tensor {
  const a = pyArgs<PoolOptions>(args, ["ksize", "strides", "padding", "dataFormat", "name"]);
  return execute1("AvgPool3D", [input], poolAttrs("AvgPool3D", a, 3), a.name);
}

export interface MaxPoolWithArgmaxOptions extends PoolOptions {
  outputDtype?: DType;
  includeBatchInIndex?: boolean;
}

/**
 * tf.nn.max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC", output_dtype=int64,
 * include_batch_in_index=False, name) -> [output, argmax]. argmax is the flattened index of each maximum,
 * ((b * height + y) * width + x) * channels + c, with the b term only when include_batch_in_index.
 */
export function maxPoolWithArgmax(
  input: TensorLike,
  ...args: PyArgs<[ksize: IntOrList, strides: IntOrList, padding: Padding, dataFormat: string, outputDtype: DType, includeBatchInIndex: boolean, name: string], MaxPoolWithArgmaxOptions>
): [Tensor, Tensor] {
  const a = pyArgs<MaxPoolWithArgmaxOptions>(args, ["ksize", "strides", "padding", "dataFormat", "outputDtype", "includeBatchInIndex", "name"]);
  if ((a.dataFormat ?? "NHWC") !== "NHWC") throw new InvalidArgumentError(`max_pool_with_argmax: data_format must be NHWC, got '${a.dataFormat}'`);
  const od = a.outputDtype ?? "int64";
  if (od !== "int64") throw new UnimplementedError(`max_pool_with_argmax: output_dtype ${od} is not supported; use int64`);
  const { ksize, strides, padding } = poolAttrs("MaxPoolWithArgmax", a, 2);
  const outs = execute("MaxPoolWithArgmax", [input], { ksize, strides, padding, Targmax: od, include_batch_in_index: a.includeBatchInIndex ?? false }, a.name);
  return [outs[0], outs[1]];
}

// ---------------------------------------------------------------- bias, dropout, moments, normalization

/** tf.nn.bias_add(value, bias, data_format=None, name): bias along the last axis (N...C) or axis 1 (NC...). */
export function biasAdd(value: TensorLike, bias: TensorLike, ...args: PyArgs<[dataFormat: string, name: string], { dataFormat?: string; name?: string }>): Tensor {
  const a = pyArgs<{ dataFormat: string; name: string }>(args, ["dataFormat", "name"]);
  let fmt = "NHWC";
  if (a.dataFormat !== undefined) {
    if (a.dataFormat.startsWith("NC")) fmt = "NCHW";
    else if (!(a.dataFormat.startsWith("N") && a.dataFormat.endsWith("C"))) throw new InvalidArgumentError(`BiasAdd: Invalid data format '${a.dataFormat}'`);
  }
  return execute1("BiasAdd", [value, bias], { data_format: fmt }, a.name);
}

export interface DropoutOptions {
  rate?: number | Tensor;
  noiseShape?: readonly (number | null)[] | TensorLike;
  seed?: number;
  name?: string;
}

/**
 * tf.nn.dropout(x, rate, noise_shape=None, seed=None, name) (TensorFlow 2): each element (or each
 * noise_shape slice) is zeroed with probability `rate`; kept ones are scaled by 1 / (1 - rate). A rate of
 * exactly 0 (a number) returns x itself, as TensorFlow does.
 */
export function dropout(x: TensorLike, ...args: PyArgs<[rate: number | Tensor, noiseShape: readonly (number | null)[] | TensorLike, seed: number, name: string], DropoutOptions>): Tensor {
  const a = pyArgs<DropoutOptions>(args, ["rate", "noiseShape", "seed", "name"]);
  const rate = a.rate;
  if (rate === undefined) throw new InvalidArgumentError("dropout: rate is required");
  if (typeof rate === "number" && !(rate >= 0 && rate < 1)) {
    throw new InvalidArgumentError(`dropout: rate must be a scalar tensor or a float in the range [0, 1), got ${rate}`);
  }
  const xt = toTensor(x);
  if (!isFloating(xt.dtype)) throw new InvalidArgumentError(`dropout: x has to be a floating point tensor since it's going to be scaled, got a ${xt.dtype} tensor`);
  if (rate === 0) return xt;
  let scaled: Tensor;
  let threshold: TensorLike;
  if (typeof rate === "number") {
    scaled = multiply(xt, convertToTensor(1 / (1 - rate), { dtype: xt.dtype }));
    threshold = convertToTensor(rate, { dtype: xt.dtype });
  } else {
    const r = rate.dtype === xt.dtype ? rate : cast(rate, xt.dtype);
    scaled = realdiv(xt, subtract(convertToTensor(1, { dtype: xt.dtype }), r));
    threshold = r;
  }
  let noiseShape: TensorLike;
  const ns = a.noiseShape;
  if (ns === undefined || ns === null) noiseShape = shapeOf(xt);
  else if (Array.isArray(ns)) {
    const xs = xt.shape;
    const filled = (ns as (number | null)[]).map((d, i) => (d === null ? xs?.[i] ?? null : d));
    if (filled.some((d) => d === null)) throw new UnimplementedError(`dropout: noise_shape [${ns}] has unknown dims that x's static shape ${shapeStr(xs)} does not decide`);
    noiseShape = new Int32Array(filled as number[]);
  } else noiseShape = ns as TensorLike;
  const random = randomUniform(noiseShape, { dtype: xt.dtype, seed: a.seed });
  const keep = cast(greaterEqual(random, threshold), xt.dtype);
  return refine(multiply(scaled, keep, { name: a.name ?? "dropout" }), xt);
}

export interface DropoutV1Options extends DropoutOptions {
  keepProb?: number | Tensor;
}

/**
 * tf.compat.v1.nn.dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
 * TensorFlow 1's form, where the second argument is the probability of KEEPING a value.
 */
export function dropoutV1(
  x: TensorLike,
  ...args: PyArgs<[keepProb: number | Tensor, noiseShape: readonly (number | null)[] | TensorLike, seed: number, name: string, rate: number | Tensor], DropoutV1Options>
): Tensor {
  const a = pyArgs<DropoutV1Options>(args, ["keepProb", "noiseShape", "seed", "name", "rate"]);
  if (a.keepProb !== undefined && a.rate !== undefined) throw new InvalidArgumentError("dropout: cannot specify both keep_prob and rate");
  let rate = a.rate;
  if (rate === undefined) {
    const kp = a.keepProb;
    if (kp === undefined) throw new InvalidArgumentError("dropout: keep_prob or rate is required");
    if (typeof kp === "number") {
      if (!(kp > 0 && kp <= 1)) throw new InvalidArgumentError(`dropout: keep_prob must be a scalar tensor or a float in the range (0, 1], got ${kp}`);
      rate = 1 - kp;
    } else rate = subtract(convertToTensor(1, { dtype: kp.dtype }), kp);
  }
  return dropout(x, { rate, noiseShape: a.noiseShape, seed: a.seed, name: a.name });
}

export interface MomentsOptions {
  axes?: readonly number[] | number;
  shift?: TensorLike | null;
  keepdims?: boolean;
  name?: string;
}

/**
 * tf.nn.moments(x, axes, shift=None, keepdims=False, name) -> [mean, variance]: as in TensorFlow the
 * variance is mean((x - stop_gradient(mean))^2) (shift is accepted and unused, as in TensorFlow 2).
 */
export function moments(x: TensorLike, ...args: PyArgs<[axes: readonly number[] | number, shift: TensorLike | null, keepdims: boolean, name: string], MomentsOptions>): [Tensor, Tensor] {
  const a = pyArgs<MomentsOptions>(args, ["axes", "shift", "keepdims", "name"]);
  if (a.axes === undefined) throw new InvalidArgumentError("moments: axes is required");
  const axes = typeof a.axes === "number" ? [a.axes] : Array.from(a.axes);
  const y = toTensor(x);
  const mean = reduceMean(y, axes, true);
  const variance = reduceMean(squaredDifference(y, stopGradient(mean)), axes, true);
  if (a.keepdims) return [execute1("Identity", [mean], {}, a.name ? `${a.name}/mean` : undefined), execute1("Identity", [variance], {}, a.name ? `${a.name}/variance` : undefined)];
  const rank = y.rank;
  const drop = (t: Tensor, what: string): Tensor => {
    if (rank !== null && t.shape !== null) {
      const norm = new Set(axes.map((ax) => (ax < 0 ? ax + rank : ax)));
      const kept = t.shape.filter((_, i) => !norm.has(i));
      if (kept.filter((d) => d === null).length <= 1) return reshape(t, new Int32Array(kept.map((d) => d ?? -1)), { name: a.name ? `${a.name}/${what}` : undefined });
    }
    return reduceSum(t, axes, false);
  };
  return [drop(mean, "mean"), drop(variance, "variance")];
}

export interface BatchNormalizationOptions {
  mean?: TensorLike;
  variance?: TensorLike;
  offset?: TensorLike | null;
  scale?: TensorLike | null;
  varianceEpsilon?: number;
  name?: string;
}

/**
 * tf.nn.batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name):
 * x * inv + (offset - mean * inv) with inv = scale / sqrt(variance + epsilon), as TensorFlow computes it.
 */
export function batchNormalization(
  x: TensorLike,
  ...args: PyArgs<[mean: TensorLike, variance: TensorLike, offset: TensorLike | null, scale: TensorLike | null, varianceEpsilon: number, name: string], BatchNormalizationOptions>
): Tensor {
  const a = pyArgs<BatchNormalizationOptions>(args, ["mean", "variance", "offset", "scale", "varianceEpsilon", "name"]);
  if (a.mean === undefined || a.variance === undefined) throw new InvalidArgumentError("batch_normalization: mean and variance are required");
  if (a.varianceEpsilon === undefined) throw new InvalidArgumentError("batch_normalization: variance_epsilon is required");
  const xt = toTensor(x);
  const like = (v: TensorLike) => (isTensor(v) ? v : convertToTensor(v, { dtype: xt.dtype }));
  let inv = rsqrt(add(like(a.variance), convertToTensor(a.varianceEpsilon, { dtype: xt.dtype })));
  if (a.scale !== undefined && a.scale !== null) inv = multiply(inv, like(a.scale));
  const shift = a.offset !== undefined && a.offset !== null ? subtract(like(a.offset), multiply(like(a.mean), inv)) : multiply(like(a.mean), multiply(inv, -1));
  return add(multiply(xt, inv), shift, { name: a.name ?? "batchnorm" });
}

export interface FusedBatchNormOptions {
  scale?: TensorLike;
  offset?: TensorLike;
  mean?: TensorLike | null;
  variance?: TensorLike | null;
  epsilon?: number;
  dataFormat?: string;
  isTraining?: boolean;
  name?: string;
  exponentialAvgFactor?: number;
}

/**
 * tf.compat.v1.nn.fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001,
 * data_format="NHWC", is_training=True, name=None, exponential_avg_factor=1.0) -> [y, batch_mean,
 * batch_var] (op FusedBatchNormV3). In training the batch statistics normalize x and batch_var is the
 * unbiased (n/(n-1)) variance; in inference mean and variance are required and used as given.
 */
export function fusedBatchNorm(
  x: TensorLike,
  ...args: PyArgs<[scale: TensorLike, offset: TensorLike, mean: TensorLike | null, variance: TensorLike | null, epsilon: number, dataFormat: string, isTraining: boolean, name: string, exponentialAvgFactor: number], FusedBatchNormOptions>
): [Tensor, Tensor, Tensor] {
  const a = pyArgs<FusedBatchNormOptions>(args, ["scale", "offset", "mean", "variance", "epsilon", "dataFormat", "isTraining", "name", "exponentialAvgFactor"]);
  if (a.scale === undefined || a.offset === undefined) throw new InvalidArgumentError("fused_batch_norm: scale and offset are required");
  const training = a.isTraining ?? true;
  const xt = toTensor(x);
  const scale = isTensor(a.scale) ? a.scale : convertToTensor(a.scale, { dtype: xt.dtype });
  const empty = () => constant(new Float32Array(0), { dtype: scale.dtype, shape: [0] });
  let mean = a.mean ?? null;
  let variance = a.variance ?? null;
  if (!training && (mean === null || variance === null)) {
    throw new InvalidArgumentError("fused_batch_norm: both 'mean' and 'variance' must be given when is_training is False");
  }
  const factor = a.exponentialAvgFactor ?? 1;
  if (mean === null) mean = empty();
  if (variance === null) variance = empty();
  // TensorFlow raises epsilon to at least 1.001e-5 (cuDNN's minimum) for every backend.
  const epsilon = Math.max(a.epsilon ?? 0.001, 1.001e-5);
  const outs = execute("FusedBatchNormV3", [xt, scale, a.offset, mean, variance], {
    epsilon, exponential_avg_factor: factor, data_format: a.dataFormat ?? "NHWC", is_training: training,
  }, a.name ?? "FusedBatchNormV3");
  return [outs[0], outs[1], outs[2]];
}

export interface LrnOptions {
  depthRadius?: number;
  bias?: number;
  alpha?: number;
  beta?: number;
  name?: string;
}

/**
 * tf.nn.local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5, name):
 * input / (bias + alpha * sum(input^2 over depth_radius neighbouring channels)) ** beta (op LRN, NHWC).
 */
export function localResponseNormalization(input: TensorLike, ...args: PyArgs<[depthRadius: number, bias: number, alpha: number, beta: number, name: string], LrnOptions>): Tensor {
  const a = pyArgs<LrnOptions>(args, ["depthRadius", "bias", "alpha", "beta", "name"]);
  const r = a.depthRadius ?? 5;
  if (!Number.isInteger(r) || r < 0) throw new InvalidArgumentError(`LRN: depth_radius must be a nonnegative integer, got ${r}`);
  return execute1("LRN", [input], { depth_radius: r, bias: a.bias ?? 1, alpha: a.alpha ?? 1, beta: a.beta ?? 0.5 }, a.name);
}

export interface L2NormalizeOptions {
  axis?: number | readonly number[] | null;
  epsilon?: number;
  name?: string;
}

/** tf.math.l2_normalize(x, axis=None, epsilon=1e-12, name): x * rsqrt(max(sum(x^2, axis, keepdims), epsilon)). */
export function l2Normalize(x: TensorLike, ...args: PyArgs<[axis: number | readonly number[] | null, epsilon: number, name: string], L2NormalizeOptions>): Tensor {
  const a = pyArgs<L2NormalizeOptions>(args, ["axis", "epsilon", "name"]);
  const xt = toTensor(x);
  const axis = a.axis === undefined || a.axis === null ? null : typeof a.axis === "number" ? a.axis : Array.from(a.axis);
  const sq = reduceSum(square(xt), axis, true);
  const inv = rsqrt(maximum(sq, convertToTensor(a.epsilon ?? 1e-12, { dtype: xt.dtype })));
  return multiply(xt, inv, { name: a.name ?? "l2_normalize" });
}

// ---------------------------------------------------------------- image resizing

export interface ResizeOptions {
  size?: TensorLike;
  alignCorners?: boolean;
  name?: string;
  halfPixelCenters?: boolean;
}
type ResizeArgs = PyArgs<[size: TensorLike, alignCorners: boolean, name: string, halfPixelCenters: boolean], ResizeOptions>;

function resize(op: "ResizeBilinear" | "ResizeNearestNeighbor", images: TensorLike, args: ResizeArgs): Tensor {
  const a = pyArgs<ResizeOptions>(args, ["size", "alignCorners", "name", "halfPixelCenters"]);
  if (a.size === undefined) throw new InvalidArgumentError(`${op}: size is required`);
  const size = Array.isArray(a.size) ? new Int32Array(a.size as number[]) : a.size;
  const attrs = { align_corners: a.alignCorners ?? false, half_pixel_centers: a.halfPixelCenters ?? false };
  const x = toTensor(images);
  if (x.rank === 3) {
    // A single image [h, w, c]: batched for the op and unbatched after, as TensorFlow's wrappers do.
    const y = execute1(op, [expandAxis(x, 0), size], attrs);
    return dropAxis(y, 0, a.name);
  }
  return execute1(op, [x, size], attrs, a.name);
}

/**
 * tf.compat.v1.image.resize_bilinear(images, size, align_corners=False, name=None,
 * half_pixel_centers=False): op ResizeBilinear; the result is float32 whatever the image dtype.
 */
export function resizeBilinear(images: TensorLike, ...args: ResizeArgs): Tensor {
  return resize("ResizeBilinear", images, args);
}

/** tf.compat.v1.image.resize_nearest_neighbor(images, size, align_corners=False, name=None, half_pixel_centers=False). */
export function resizeNearestNeighbor(images: TensorLike, ...args: ResizeArgs): Tensor {
  return resize("ResizeNearestNeighbor", images, args);
}

/**
 * tf.nn.lrn: the short name of tf.nn.local_response_normalization.
 * @alias
 */
export const lrn = localResponseNormalization;
