import type { DType } from "../core/dtype.js";
import { isFloating } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import { isFullyDefined, shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { Attrs } from "../core/schema/types.js";
import { biasFormat } from "../core/schema/conv.js";
import { channelsFirst, FORMATS } from "../core/geometry/window.js";
import type { TensorLike } from "../core/tensor_like.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
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
const INT_OR_LIST = kind<IntOrList>("number | number[]");
const PADDING = kind<Padding>('"SAME" | "VALID" | [number, number][]');

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
export const conv2d = defineFunction(
  signature(
    "nn.conv2d",
    '2-D convolution (cross-correlation) of NHWC or NCHW input with [h, w, in, out] filters.',
    [param("input", T.tensor, "The input tensor."), param("filters", T.tensor, "The filters."), param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."), param("padding", PADDING, "\"SAME\", \"VALID\", or explicit [before, after] pairs per dimension."), optional("dataFormat", K.string, "The layout: NHWC (channels last, the default) or channels first."), optional("dilations", INT_OR_LIST, "The dilation rate per spatial dimension (default 1)."), NAME],
    { args: () => [[[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]], [[[[1]], [[0]]], [[[0]], [[1]]]], 1, "VALID"] },
  ),
  (input, filters, stridesArg, paddingArg, dataFormatArg, dilationsArg, nameArg): Tensor => {
  const a = { strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, dilations: dilationsArg, name: nameArg };
  return execute1("Conv2D", [input, filters], convAttrs("Conv2D", a, 2), a.name);
  },
);

/**
 * tf.nn.conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",
 * dilations=None, name): the gradient of conv2d with respect to its input (op Conv2DBackpropInput);
 * filters are [height, width, output_channels, in_channels].
 */
export const conv2dTranspose = defineFunction(
  signature(
    "nn.conv2d_transpose",
    'The gradient of conv2d with respect to its input (a "deconvolution").',
    [param("input", T.tensor, "The input tensor."), param("filters", T.tensor, "The filters, [h, w, output_channels, in_channels]."), param("outputShape", T.tensor, "The shape of the result."), param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."), withDefault("padding", PADDING, "SAME", "\"SAME\", \"VALID\", or explicit pairs."), optional("dataFormat", K.string, "The layout: NHWC (channels last, the default) or channels first."), optional("dilations", INT_OR_LIST, "The dilation rate per spatial dimension (default 1)."), NAME],
    { args: () => [[[[[1], [2]], [[3], [4]]]], [[[[1]]]], [1, 2, 2, 1], 1, "SAME"] },
  ),
  (input, filters, outputShapeArg, stridesArg, paddingArg, dataFormatArg, dilationsArg, nameArg): Tensor => {
  const a = { outputShape: outputShapeArg, strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, dilations: dilationsArg, name: nameArg };
  if (a.outputShape === undefined) throw new InvalidArgumentError("conv2d_transpose: output_shape is required");
  const os = Array.isArray(a.outputShape) ? new Int32Array(a.outputShape as number[]) : a.outputShape;
  const attrs = convAttrs("Conv2DBackpropInput", { ...a, padding: a.padding ?? "SAME" }, 2);
  return execute1("Conv2DBackpropInput", [os, filters, input], attrs, a.name ?? "conv2d_transpose");
  },
);

/**
 * tf.nn.depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name):
 * filter [h, w, in_channels, channel_multiplier]; output channels in_channels * channel_multiplier
 * (op DepthwiseConv2dNative, which takes dilations directly).
 */
export const depthwiseConv2d = defineFunction(
  signature(
    "nn.depthwise_conv2d",
    'Depthwise 2-D convolution: each input channel convolved with its own filters.',
    [param("input", T.tensor, "The input tensor."), param("filter", T.tensor, "The filter, [h, w, in_channels, channel_multiplier]."), param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."), param("padding", PADDING, "\"SAME\", \"VALID\", or explicit [before, after] pairs per dimension."), optional("dataFormat", K.string, "The layout: NHWC (channels last, the default) or channels first."), optional("dilations", INT_OR_LIST, "The dilation rate per spatial dimension (default 1)."), NAME],
    { args: () => [[[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]], [[[[2]]]], 1, "SAME"] },
  ),
  (input, filter, stridesArg, paddingArg, dataFormatArg, dilationsArg, nameArg): Tensor => {
  const a = { strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, dilations: dilationsArg, name: nameArg };
  return execute1("DepthwiseConv2dNative", [input, filter], convAttrs("DepthwiseConv2dNative", a, 2), a.name ?? "depthwise");
  },
);

/**
 * tf.nn.conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name): as in TensorFlow,
 * a conv2d over a height-1 image: the input gets a unit axis (ExpandDims), filters [w, in, out] become
 * [1, w, in, out], and the unit axis is removed from the result.
 */
export const conv1d = defineFunction(
  signature(
    "nn.conv1d",
    '1-D convolution of NWC or NCW input with [w, in, out] filters.',
    [param("input", T.tensor, "The input tensor."), param("filters", T.tensor, "The filters."), param("stride", INT_OR_LIST, "The window step (1 or 3 values)."), param("padding", PADDING, "\"SAME\", \"VALID\", or explicit [before, after] pairs per dimension."), optional("dataFormat", K.string, "The layout: NWC (channels last, the default) or channels first."), optional("dilations", INT_OR_LIST, "The dilation rate per spatial dimension (default 1)."), NAME],
    { args: () => [[[[1], [2], [3]]], [[[1]], [[1]]], 1, "VALID"] },
  ),
  (input, filters, strideArg, paddingArg, dataFormatArg, dilationsArg, nameArg): Tensor => {
  const a = { stride: strideArg, padding: paddingArg, dataFormat: dataFormatArg, dilations: dilationsArg, name: nameArg };
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
  },
);

// ---------------------------------------------------------------- pooling

interface PoolOptions {
  ksize?: IntOrList;
  strides?: IntOrList;
  padding?: Padding;
  dataFormat?: string;
  name?: string;
}
const POOL_EXAMPLE = { args: () => [[[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]], 2, 1, "VALID"] };
const poolParams = (df: string) =>
  [
    param("input", T.tensor, "The input tensor."),
    param("ksize", INT_OR_LIST, "The window size per spatial dimension (1, N or N+2 values)."),
    param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."),
    param("padding", PADDING, '"SAME", "VALID", or explicit [before, after] pairs (2-D max pooling only).'),
    optional("dataFormat", K.string, `The layout: ${df} (channels last, the default) or channels first.`),
    NAME,
  ] as const;

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
  const what = max ? "max" : "average";
  const sig = signature(max ? "nn.max_pool" : "nn.avg_pool", `1-, 2- or 3-D ${what} pooling, by the input's rank.`, poolParams("N...C"), POOL_EXAMPLE);
  return defineFunction(sig, (input, ksize, strides, padding, dataFormat, name): Tensor => {
    const a = { ksize, strides, padding, dataFormat, name };
    const x = toTensor(input);
    const rank = x.rank ?? (a.dataFormat ? a.dataFormat.length : null);
    if (rank === 3) return pool1d(max ? "MaxPool" : "AvgPool", x, a, max ? "max_pool1d" : "avg_pool1d");
    if (rank === 4) return execute1(max ? "MaxPool" : "AvgPool", [x], poolAttrs(max ? "MaxPool" : "AvgPool", a, 2), a.name);
    if (rank === 5) return execute1(max ? "MaxPool3D" : "AvgPool3D", [x], poolAttrs(max ? "MaxPool3D" : "AvgPool3D", a, 3), a.name);
    throw new InvalidArgumentError(`${max ? "max_pool" : "avg_pool"}: input must be of rank 3, 4 or 5 (N+2 for N spatial dims), got shape ${shapeStr(x.shape)}`);
  });
}

/** tf.nn.max_pool(input, ksize, strides, padding, data_format=None, name): 1-, 2- or 3-D by the input's rank. */
export const maxPool = poolNd(true);
/** tf.nn.avg_pool(input, ksize, strides, padding, data_format=None, name): averages over in-bounds elements only. */
export const avgPool = poolNd(false);

/** tf.nn.max_pool2d(input, ksize, strides, padding, data_format="NHWC", name): op MaxPool. */
export const maxPool2d = defineFunction(
  signature(
    "nn.max_pool2d",
    '2-D max pooling (op MaxPool).',
    [param("input", T.tensor, "The input tensor."), param("ksize", INT_OR_LIST, "The window size per spatial dimension (1, N or N+2 values)."), param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."), param("padding", PADDING, "\"SAME\", \"VALID\", or explicit [before, after] pairs per dimension."), optional("dataFormat", K.string, "The layout: NHWC (channels last, the default) or channels first."), NAME],
    { args: () => [[[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]], 2, 1, "VALID"] },
  ),
  (input, ksizeArg, stridesArg, paddingArg, dataFormatArg, nameArg): Tensor => {
  const a = { ksize: ksizeArg, strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, name: nameArg };
  return execute1("MaxPool", [input], poolAttrs("MaxPool", a, 2), a.name);
  },
);
/** tf.nn.avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name): op AvgPool. */
export const avgPool2d = defineFunction(
  signature(
    "nn.avg_pool2d",
    '2-D average pooling (op AvgPool).',
    [param("input", T.tensor, "The input tensor."), param("ksize", INT_OR_LIST, "The window size per spatial dimension (1, N or N+2 values)."), param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."), param("padding", PADDING, "\"SAME\", \"VALID\", or explicit [before, after] pairs per dimension."), optional("dataFormat", K.string, "The layout: NHWC (channels last, the default) or channels first."), NAME],
    { args: () => [[[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]], 2, 1, "VALID"] },
  ),
  (input, ksizeArg, stridesArg, paddingArg, dataFormatArg, nameArg): Tensor => {
  const a = { ksize: ksizeArg, strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, name: nameArg };
  return execute1("AvgPool", [input], poolAttrs("AvgPool", a, 2), a.name);
  },
);
/** tf.nn.max_pool1d(input, ksize, strides, padding, data_format="NWC", name). */
export const maxPool1d = defineFunction(
  signature("nn.max_pool1d", "1-D max pooling (a 2-D pool over a height-1 image).", poolParams("NWC"), { args: () => [[[[1], [3], [2]]], 2, 1, "VALID"] }),
  (input, ksize, strides, padding, dataFormat, name) => pool1d("MaxPool", input, { ksize, strides, padding, dataFormat, name }, "max_pool1d"),
);
/** tf.nn.avg_pool1d(input, ksize, strides, padding, data_format="NWC", name). */
export const avgPool1d = defineFunction(
  signature("nn.avg_pool1d", "1-D average pooling (a 2-D pool over a height-1 image).", poolParams("NWC"), { args: () => [[[[1], [3], [2]]], 2, 1, "VALID"] }),
  (input, ksize, strides, padding, dataFormat, name) => pool1d("AvgPool", input, { ksize, strides, padding, dataFormat, name }, "avg_pool1d"),
);
/** tf.nn.max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name): op MaxPool3D. */
export const maxPool3d = defineFunction(
  signature(
    "nn.max_pool3d",
    '3-D max pooling (op MaxPool3D).',
    [param("input", T.tensor, "The input tensor."), param("ksize", INT_OR_LIST, "The window size per spatial dimension (1, N or N+2 values)."), param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."), param("padding", PADDING, "\"SAME\", \"VALID\", or explicit [before, after] pairs per dimension."), optional("dataFormat", K.string, "The layout: NDHWC (channels last, the default) or channels first."), NAME],
    { args: () => [[[[[[1], [2]], [[3], [4]]]]], 1, 1, "VALID"] },
  ),
  (input, ksizeArg, stridesArg, paddingArg, dataFormatArg, nameArg): Tensor => {
  const a = { ksize: ksizeArg, strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, name: nameArg };
  return execute1("MaxPool3D", [input], poolAttrs("MaxPool3D", a, 3), a.name);
  },
);
/** tf.nn.avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name): op AvgPool3D. */
export const avgPool3d = defineFunction(
  signature(
    "nn.avg_pool3d",
    '3-D average pooling (op AvgPool3D).',
    [param("input", T.tensor, "The input tensor."), param("ksize", INT_OR_LIST, "The window size per spatial dimension (1, N or N+2 values)."), param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."), param("padding", PADDING, "\"SAME\", \"VALID\", or explicit [before, after] pairs per dimension."), optional("dataFormat", K.string, "The layout: NDHWC (channels last, the default) or channels first."), NAME],
    { args: () => [[[[[[1], [2]], [[3], [4]]]]], 1, 1, "VALID"] },
  ),
  (input, ksizeArg, stridesArg, paddingArg, dataFormatArg, nameArg): Tensor => {
  const a = { ksize: ksizeArg, strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, name: nameArg };
  return execute1("AvgPool3D", [input], poolAttrs("AvgPool3D", a, 3), a.name);
  },
);

/**
 * tf.nn.max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC", output_dtype=int64,
 * include_batch_in_index=False, name) -> [output, argmax]. argmax is the flattened index of each maximum,
 * ((b * height + y) * width + x) * channels + c, with the b term only when include_batch_in_index.
 */
export const maxPoolWithArgmax = defineFunction(
  signature(
    "nn.max_pool_with_argmax",
    '2-D max pooling and the flattened index of each maximum.',
    [param("input", T.tensor, "The input tensor."), param("ksize", INT_OR_LIST, "The window size per spatial dimension (1, N or N+2 values)."), param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."), param("padding", PADDING, "\"SAME\", \"VALID\", or explicit [before, after] pairs per dimension."), optional("dataFormat", K.string, "The layout: NHWC (channels last, the default) or channels first."), withDefault("outputDtype", T.dtype, "int64", "The dtype of the indices (int64)."), withDefault("includeBatchInIndex", K.boolean, false, "Include the batch in the flattened index."), NAME],
    { args: () => [[[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]], 2, 1, "VALID"] },
  ),
  (input, ksizeArg, stridesArg, paddingArg, dataFormatArg, outputDtypeArg, includeBatchInIndexArg, nameArg): [Tensor, Tensor] => {
  const a = { ksize: ksizeArg, strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, outputDtype: outputDtypeArg, includeBatchInIndex: includeBatchInIndexArg, name: nameArg };
  if ((a.dataFormat ?? "NHWC") !== "NHWC") throw new InvalidArgumentError(`max_pool_with_argmax: data_format must be NHWC, got '${a.dataFormat}'`);
  const od = a.outputDtype ?? "int64";
  if (od !== "int64") throw new UnimplementedError(`max_pool_with_argmax: output_dtype ${od} is not supported; use int64`);
  const { ksize, strides, padding } = poolAttrs("MaxPoolWithArgmax", a, 2);
  const outs = execute("MaxPoolWithArgmax", [input], { ksize, strides, padding, Targmax: od, include_batch_in_index: a.includeBatchInIndex ?? false }, a.name);
  return [outs[0], outs[1]];
  },
);

// ---------------------------------------------------------------- bias, dropout, moments, normalization

/** tf.nn.bias_add(value, bias, data_format=None, name): bias along the last axis (N...C) or axis 1 (NC...). */
export const biasAdd = defineFunction(
  signature(
    "nn.bias_add",
    'Adds a bias vector along the channel axis.',
    [param("value", T.tensor, "A tensor."), param("bias", T.tensor, "A 1-D tensor of the channel count."), optional("dataFormat", K.string, "N...C (default) or NC...: where the channels are."), NAME],
    { args: () => [[[1, 2], [3, 4]], [10, 20], "NHWC"] },
  ),
  (value, bias, dataFormatArg, nameArg): Tensor => {
  const a = { dataFormat: dataFormatArg, name: nameArg };
  let fmt = "NHWC";
  if (a.dataFormat !== undefined) {
    if (a.dataFormat.startsWith("NC")) fmt = "NCHW";
    else if (!(a.dataFormat.startsWith("N") && a.dataFormat.endsWith("C"))) throw new InvalidArgumentError(`BiasAdd: Invalid data format '${a.dataFormat}'`);
  }
  return execute1("BiasAdd", [value, bias], { data_format: fmt }, a.name);
  },
);

/**
 * tf.nn.dropout(x, rate, noise_shape=None, seed=None, name) (TensorFlow 2): each element (or each
 * noise_shape slice) is zeroed with probability `rate`; kept ones are scaled by 1 / (1 - rate). A rate of
 * exactly 0 (a number) returns x itself, as TensorFlow does.
 */
export const dropout = defineFunction(
  signature(
    "nn.dropout",
    'Zeroes each element with probability rate and scales the rest by 1 / (1 - rate).',
    [param("x", T.tensor, "A floating-point tensor."), param("rate", kind<number | Tensor>("number | Tensor"), "The probability of dropping each element, in [0, 1)."), optional("noiseShape", kind<readonly (number | null)[] | TensorLike>("(number | null)[] | TensorLike"), "The shape of the keep/drop mask (broadcast to x)."), optional("seed", K.int, "The op-level seed."), NAME],
    { args: () => [[1, 2, 3, 4], 0.5, undefined, 5] },
  ),
  (x, rateArg, noiseShapeArg, seedArg, nameArg): Tensor => {
  const a = { rate: rateArg, noiseShape: noiseShapeArg, seed: seedArg, name: nameArg };
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
  },
);

/**
 * tf.compat.v1.nn.dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
 * TensorFlow 1's form, where the second argument is the probability of KEEPING a value.
 */
export const dropoutV1 = defineFunction(
  signature(
    "compat.v1.nn.dropout",
    "TensorFlow 1's dropout, whose second argument is the probability of keeping a value.",
    [param("x", T.tensor, "A floating-point tensor."), optional("keepProb", kind<number | Tensor>("number | Tensor"), "The probability of keeping each element, in (0, 1]."), optional("noiseShape", kind<readonly (number | null)[] | TensorLike>("(number | null)[] | TensorLike"), "The shape of the keep/drop mask."), optional("seed", K.int, "The op-level seed."), NAME, optional("rate", kind<number | Tensor>("number | Tensor"), "The probability of dropping instead (exclusive with keepProb).")],
    { args: () => [[1, 2, 3, 4], 0.5, undefined, 5] },
  ),
  (x, keepProbArg, noiseShapeArg, seedArg, nameArg, rateArg): Tensor => {
  const a = { keepProb: keepProbArg, noiseShape: noiseShapeArg, seed: seedArg, name: nameArg, rate: rateArg };
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
  },
);

/**
 * tf.nn.moments(x, axes, shift=None, keepdims=False, name) -> [mean, variance]: as in TensorFlow the
 * variance is mean((x - stop_gradient(mean))^2) (shift is accepted and unused, as in TensorFlow 2).
 */
export const moments = defineFunction(
  signature(
    "nn.moments",
    'The mean and variance over the given axes.',
    [param("x", T.tensor, "A tensor."), param("axes", kind<readonly number[] | number>("number | number[]"), "The axes to compute over."), optional("shift", kind<TensorLike | null>("TensorLike | null"), "Accepted and unused, as in TensorFlow 2."), withDefault("keepdims", K.boolean, false, "Keep the reduced axes with size 1."), NAME],
    { args: () => [[[1, 2], [3, 5]], [0]] },
  ),
  (x, axesArg, shiftArg, keepdimsArg, nameArg): [Tensor, Tensor] => {
  const a = { axes: axesArg, shift: shiftArg, keepdims: keepdimsArg, name: nameArg };
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
  },
);

/**
 * tf.nn.batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name):
 * x * inv + (offset - mean * inv) with inv = scale / sqrt(variance + epsilon), as TensorFlow computes it.
 */
export const batchNormalization = defineFunction(
  signature(
    "nn.batch_normalization",
    'Normalizes x with the given mean and variance: scale * (x - mean) / sqrt(variance + epsilon) + offset.',
    [param("x", T.tensor, "A tensor."), param("mean", T.tensor, "The mean."), param("variance", T.tensor, "The variance."), optional("offset", kind<TensorLike | null>("TensorLike | null"), "Added after normalizing (beta)."), optional("scale", kind<TensorLike | null>("TensorLike | null"), "Multiplied after normalizing (gamma)."), param("varianceEpsilon", K.number, "A small number added to the variance."), NAME],
    { args: () => [[1, 2, 3], 2, 1, 0.5, 2, 0.001] },
  ),
  (x, meanArg, varianceArg, offsetArg, scaleArg, varianceEpsilonArg, nameArg): Tensor => {
  const a = { mean: meanArg, variance: varianceArg, offset: offsetArg, scale: scaleArg, varianceEpsilon: varianceEpsilonArg, name: nameArg };
  if (a.mean === undefined || a.variance === undefined) throw new InvalidArgumentError("batch_normalization: mean and variance are required");
  if (a.varianceEpsilon === undefined) throw new InvalidArgumentError("batch_normalization: variance_epsilon is required");
  const xt = toTensor(x);
  const like = (v: TensorLike) => (isTensor(v) ? v : convertToTensor(v, { dtype: xt.dtype }));
  let inv = rsqrt(add(like(a.variance), convertToTensor(a.varianceEpsilon, { dtype: xt.dtype })));
  if (a.scale !== undefined && a.scale !== null) inv = multiply(inv, like(a.scale));
  const shift = a.offset !== undefined && a.offset !== null ? subtract(like(a.offset), multiply(like(a.mean), inv)) : multiply(like(a.mean), multiply(inv, -1));
  return add(multiply(xt, inv), shift, { name: a.name ?? "batchnorm" });
  },
);

/**
 * tf.compat.v1.nn.fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001,
 * data_format="NHWC", is_training=True, name=None, exponential_avg_factor=1.0) -> [y, batch_mean,
 * batch_var] (op FusedBatchNormV3). In training the batch statistics normalize x and batch_var is the
 * unbiased (n/(n-1)) variance; in inference mean and variance are required and used as given.
 */
export const fusedBatchNorm = defineFunction(
  signature(
    "compat.v1.nn.fused_batch_norm",
    'Batch normalization of a 4-D tensor in one op (FusedBatchNormV3): [y, batch_mean, batch_variance].',
    [param("x", T.tensor, "A 4-D tensor."), param("scale", T.tensor, "Multiplied after normalizing, one per channel."), param("offset", T.tensor, "Added after normalizing, one per channel."), optional("mean", kind<TensorLike | null>("TensorLike | null"), "The population mean (inference; required when not training)."), optional("variance", kind<TensorLike | null>("TensorLike | null"), "The population variance (inference; required when not training)."), withDefault("epsilon", K.number, 0.001, "A small number added to the variance (at least 1.001e-5)."), withDefault("dataFormat", K.string, "NHWC", "NHWC or NCHW."), withDefault("isTraining", K.boolean, true, "Normalize with the batch statistics (training) or the given ones."), NAME, withDefault("exponentialAvgFactor", K.number, 1, "The running-average factor.")],
    { args: () => [[[[[1], [2]], [[3], [4]]]], [1], [0]] },
  ),
  (x, scaleArg, offsetArg, meanArg, varianceArg, epsilonArg, dataFormatArg, isTrainingArg, nameArg, exponentialAvgFactorArg): [Tensor, Tensor, Tensor] => {
  const a = { scale: scaleArg, offset: offsetArg, mean: meanArg, variance: varianceArg, epsilon: epsilonArg, dataFormat: dataFormatArg, isTraining: isTrainingArg, name: nameArg, exponentialAvgFactor: exponentialAvgFactorArg };
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
  },
);

/**
 * tf.nn.local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5, name):
 * input / (bias + alpha * sum(input^2 over depth_radius neighbouring channels)) ** beta (op LRN, NHWC).
 */
export const localResponseNormalization = defineFunction(
  signature(
    "nn.local_response_normalization",
    'input / (bias + alpha * sum of squares over neighbouring channels) ** beta (op LRN).',
    [param("input", T.tensor, "The input tensor."), withDefault("depthRadius", K.int, 5, "Half-width of the channel window."), withDefault("bias", K.number, 1, "The offset."), withDefault("alpha", K.number, 1, "The scale."), withDefault("beta", K.number, 0.5, "The exponent."), NAME],
    { args: () => [[[[[1, 2, 3]]]], 1, 1, 1, 0.5] },
  ),
  (input, depthRadiusArg, biasArg, alphaArg, betaArg, nameArg): Tensor => {
  const a = { depthRadius: depthRadiusArg, bias: biasArg, alpha: alphaArg, beta: betaArg, name: nameArg };
  const r = a.depthRadius ?? 5;
  if (!Number.isInteger(r) || r < 0) throw new InvalidArgumentError(`LRN: depth_radius must be a nonnegative integer, got ${r}`);
  return execute1("LRN", [input], { depth_radius: r, bias: a.bias ?? 1, alpha: a.alpha ?? 1, beta: a.beta ?? 0.5 }, a.name);
  },
);

/** tf.math.l2_normalize(x, axis=None, epsilon=1e-12, name): x * rsqrt(max(sum(x^2, axis, keepdims), epsilon)). */
export const l2Normalize = defineFunction(
  signature(
    "math.l2_normalize",
    'x / sqrt(max(sum(x²), epsilon)) along the given axes.',
    [param("x", T.tensor, "A tensor."), optional("axis", kind<number | readonly number[] | null>("number | number[] | null"), "The axes to normalize along; absent: all."), withDefault("epsilon", K.number, 1e-12, "The lower bound of the sum of squares."), NAME],
    { args: () => [[[3, 4], [6, 8]], 1] },
  ),
  (x, axisArg, epsilonArg, nameArg): Tensor => {
  const a = { axis: axisArg, epsilon: epsilonArg, name: nameArg };
  const xt = toTensor(x);
  const axis = a.axis === undefined || a.axis === null ? null : typeof a.axis === "number" ? a.axis : Array.from(a.axis);
  const sq = reduceSum(square(xt), axis, true);
  const inv = rsqrt(maximum(sq, convertToTensor(a.epsilon ?? 1e-12, { dtype: xt.dtype })));
  return multiply(xt, inv, { name: a.name ?? "l2_normalize" });
  },
);

// ---------------------------------------------------------------- image resizing

interface ResizeOptions {
  size?: TensorLike;
  alignCorners?: boolean;
  name?: string;
  halfPixelCenters?: boolean;
}
const resizeParams = [
  param("images", T.tensor, "A 4-D [batch, h, w, c] or 3-D [h, w, c] tensor."),
  param("size", kind<TensorLike>("number[] | TensorLike"), "The new [height, width]."),
  withDefault("alignCorners", K.boolean, false, "Align the corner pixels of input and output."),
  NAME,
  withDefault("halfPixelCenters", K.boolean, false, "Sample at pixel centers (TensorFlow 2's resize)."),
] as const;
const RESIZE_EXAMPLE = { args: () => [[[[[1], [2]], [[3], [4]]]], [3, 3]] };

function resize(op: "ResizeBilinear" | "ResizeNearestNeighbor", images: TensorLike, a: ResizeOptions): Tensor {
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
export const resizeBilinear = defineFunction(
  signature("compat.v1.image.resize_bilinear", "Resizes images by bilinear interpolation (the result is float32).", resizeParams, RESIZE_EXAMPLE),
  (images, size, alignCorners, name, halfPixelCenters) => resize("ResizeBilinear", images, { size, alignCorners, name, halfPixelCenters }),
);

/** tf.compat.v1.image.resize_nearest_neighbor(images, size, align_corners=False, name=None, half_pixel_centers=False). */
export const resizeNearestNeighbor = defineFunction(
  signature("compat.v1.image.resize_nearest_neighbor", "Resizes images by nearest-neighbour sampling.", resizeParams, RESIZE_EXAMPLE),
  (images, size, alignCorners, name, halfPixelCenters) => resize("ResizeNearestNeighbor", images, { size, alignCorners, name, halfPixelCenters }),
);

/**
 * tf.nn.lrn: the short name of tf.nn.local_response_normalization.
 * @alias
 */
export const lrn = localResponseNormalization;
