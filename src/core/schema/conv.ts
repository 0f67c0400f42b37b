import type { DType } from "../dtype.js";
import { isFloating } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { Dim, Shape, shapeStr } from "../shape.js";
import {
  channelsFirst, dimMul, fmtShape, FORMATS, nonSpatial, outDim, shapeOrUnknown, spatialAxes, splitDims,
} from "../geometry/window.js";
import { constInts } from "./infer_util.js";
import { type AttrDef, type Attrs, type OpSchema, type OutSpec, schemaRows, type TensorSpec } from "./types.js";

/**
 * Convolution-network ops (convolutions, pooling, bias, batch normalization, LRN, resizing) with
 * TensorFlow's op types, attrs and shape functions (gradients and tf.nn functions in src/ops/conv.ts;
 * kernels in backends/cpu/kernels/{conv,pool,norm}.ts). Window attrs are stored as TensorFlow stores
 * them: `strides`, `dilations` and `ksize` are lists with one entry per dimension of the data format
 * (batch and channel entries 1), `padding` is "SAME", "VALID" or "EXPLICIT" with `explicit_paddings`
 * holding before/after pairs for every dimension.
 */
const FLOAT: DType[] = ["float32", "float64"];
const REAL: DType[] = ["float32", "float64", "int32", "uint8"];
const NUMERIC: DType[] = ["float32", "float64", "int32", "int64", "uint8"];

type Ints = readonly number[];











/** A list attr (strides, dilations, ksize) checked as TensorFlow checks it: one entry per dim, 1 on batch and channels, positive. */
function windowList(op: string, key: string, v: unknown, rank: number, cf: boolean, shapes: ShapesMsg): number[] {
  const list = Array.from(v as ArrayLike<number>, Number);
  if (list.length !== rank) {
    throw new InvalidArgumentError(`${op}: ${key} must specify ${rank} dimensions (one per dimension of the data format), got [${list}]${shapes}`);
  }
  if (list.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new InvalidArgumentError(`${op}: ${key} must be positive integers, got [${list}]${shapes}`);
  }
  const [b, c] = nonSpatial(rank, cf);
  if (list[b] !== 1 || list[c] !== 1) {
    const what = key === "ksize" ? "Pooling is not yet supported on the batch or depth dimension" : `Current implementation does not yet support ${key} in the batch and depth dimensions`;
    throw new InvalidArgumentError(`${op}: ${what}: ${key} = [${list}]${shapes}`);
  }
  return list;
}

interface WindowSpec {
  cf: boolean;
  strides: number[];
  dilations: number[];
  padding: string;
  /** Explicit (before, after) pads per dim, or null. */
  pads: [number, number][] | null;
}

function readWindowAttrs(op: string, attrs: Attrs, rank: number, shapes: ShapesMsg): WindowSpec {
  const cf = channelsFirst(op, attrs.data_format, rank);
  const strides = windowList(op, "strides", attrs.strides, rank, cf, shapes);
  // Pools have no dilations attr: their windows are dense.
  const dilations = attrs.dilations === undefined ? new Array<number>(rank).fill(1) : windowList(op, "dilations", attrs.dilations, rank, cf, shapes);
  const padding = attrs.padding as string;
  let pads: [number, number][] | null = null;
  const ep = attrs.explicit_paddings as Ints | undefined;
  if (padding === "EXPLICIT") {
    if (!ep || ep.length !== 2 * rank) throw new InvalidArgumentError(`${op}: explicit_paddings must have ${2 * rank} entries (a pair per dimension), got [${ep ?? []}]${shapes}`);
    pads = Array.from({ length: rank }, (_, i) => [Number(ep[2 * i]), Number(ep[2 * i + 1])] as [number, number]);
    const [b, c] = nonSpatial(rank, cf);
    if (pads.some(([p, q]) => p < 0 || q < 0)) throw new InvalidArgumentError(`${op}: explicit paddings must be nonnegative, got [${ep}]${shapes}`);
    if (pads[b][0] || pads[b][1] || pads[c][0] || pads[c][1]) {
      throw new InvalidArgumentError(`${op}: Nonzero explicit padding in the batch or depth dimensions is not supported, got [${ep}]${shapes}`);
    }
  } else if (padding !== "SAME" && padding !== "VALID") {
    throw new InvalidArgumentError(`${op}: padding must be "SAME", "VALID" or explicit paddings, got '${padding}'${shapes}`);
  } else if (ep?.length) {
    throw new InvalidArgumentError(`${op}: explicit_paddings must be empty unless padding is EXPLICIT${shapes}`);
  }
  return { cf, strides, dilations, padding, pads };
}





function requireRankIn(op: string, what: string, s: Shape, ranks: readonly number[], shapes: ShapesMsg): void {
  if (s !== null && !ranks.includes(s.length)) {
    throw new InvalidArgumentError(`${op}: ${what} must be ${ranks.map((r) => `${r}-dimensional`).join(" or ")}, got shape ${shapeStr(s)}${shapes}`);
  }
}

/**
 * The "; input shape [..], filter shape [..]" tail of a shape error, written only if an error is raised:
 * shape inference runs before every eager op, and formatting it each time cost ~1% of an eager step.
 */
class ShapesMsg {
  constructor(readonly names: readonly string[], readonly specs: readonly (TensorSpec | undefined)[]) {}
  toString(): string {
    return `; ${this.names.map((n, i) => `${n} shape ${shapeStr(this.specs[i]?.shape ?? null)}`).join(", ")}`;
  }
}

function shapesMsg(names: readonly string[], specs: readonly (TensorSpec | undefined)[]): ShapesMsg {
  return new ShapesMsg(names, specs);
}





/** Conv2D / DepthwiseConv2dNative output shape from input and filter shapes. */
function convShape(op: string, x: Shape, f: Shape, attrs: Attrs, depthwise: boolean, shapes: ShapesMsg): { shape: Dim[]; cf: boolean } {
  requireRankIn(op, "input", x, [4], shapes);
  requireRankIn(op, "filter", f, [4], shapes);
  const w = readWindowAttrs(op, attrs, 4, shapes);
  const xs = shapeOrUnknown(x, 4);
  const fs = shapeOrUnknown(f, 4);
  const { n, c, spatial } = splitDims(xs, w.cf);
  if (c !== null && fs[2] !== null && c !== fs[2]) {
    throw new InvalidArgumentError(`${op}: input depth must equal filter in_channels: ${c} vs ${fs[2]}${shapes}`);
  }
  const axes = spatialAxes(4, w.cf);
  const out = spatial.map((d, i) => outDim(op, d, fs[i], w.strides[axes[i]], w.dilations[axes[i]], w.padding, w.pads ? w.pads[axes[i]] : null, shapes));
  const outC = depthwise ? dimMul(fs[2], fs[3]) : fs[3];
  return { shape: fmtShape(n, out, outC, w.cf), cf: w.cf };
}

function convInfer(op: string, depthwise: boolean) {
  return (inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] => {
    const [x, f] = inputs;
    const shapes = shapesMsg(["input", "filter"], inputs);
    return [{ dtype: x.dtype, shape: convShape(op, x.shape, f.shape, attrs, depthwise, shapes).shape }];
  };
}

/** Checks out_backprop against the forward output shape when both are known. */
function checkBackprop(op: string, expected: Dim[], dy: Shape, shapes: ShapesMsg): void {
  if (dy === null) return;
  if (dy.length !== 4 || dy.some((d, i) => d !== null && expected[i] !== null && d !== expected[i])) {
    throw new InvalidArgumentError(`${op}: out_backprop shape ${shapeStr(dy)} does not match the convolution's output shape ${shapeStr(expected)}${shapes}`);
  }
}

function backpropInputInfer(op: string, depthwise: boolean) {
  return (inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] => {
    const [sizes, f, dy] = inputs;
    const shapes = shapesMsg(["input_sizes", "filter", "out_backprop"], inputs);
    requireRankIn(op, "filter", f.shape, [4], shapes);
    requireRankIn(op, "out_backprop", dy.shape, [4], shapes);
    const known = constInts(sizes);
    if (known !== null && known.length !== 4) throw new InvalidArgumentError(`${op}: input_sizes must have 4 elements, got [${known}]${shapes}`);
    const w = readWindowAttrs(op, attrs, 4, shapes);
    if (known === null) {
      const fs = shapeOrUnknown(f.shape, 4);
      const dys = shapeOrUnknown(dy.shape, 4);
      return [{ dtype: dy.dtype, shape: fmtShape(splitDims(dys, w.cf).n, [null, null], fs[2], w.cf) }];
    }
    const fwd = convShape(op, known, f.shape, attrs, depthwise, shapes);
    checkBackprop(op, fwd.shape, dy.shape, shapes);
    return [{ dtype: dy.dtype, shape: known }];
  };
}

function backpropFilterInfer(op: string, depthwise: boolean) {
  return (inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] => {
    const [x, sizes, dy] = inputs;
    const shapes = shapesMsg(["input", "filter_sizes", "out_backprop"], inputs);
    requireRankIn(op, "input", x.shape, [4], shapes);
    requireRankIn(op, "out_backprop", dy.shape, [4], shapes);
    const known = constInts(sizes);
    if (known !== null && known.length !== 4) throw new InvalidArgumentError(`${op}: filter_sizes must have 4 elements, got [${known}]${shapes}`);
    const w = readWindowAttrs(op, attrs, 4, shapes);
    if (known === null) {
      const xs = shapeOrUnknown(x.shape, 4);
      const dys = shapeOrUnknown(dy.shape, 4);
      const outC = splitDims(dys, w.cf).c;
      return [{ dtype: dy.dtype, shape: [null, null, splitDims(xs, w.cf).c, depthwise ? null : outC] }];
    }
    const fwd = convShape(op, x.shape, known, attrs, depthwise, shapes);
    checkBackprop(op, fwd.shape, dy.shape, shapes);
    return [{ dtype: dy.dtype, shape: known }];
  };
}

function poolShape(op: string, x: Shape, attrs: Attrs, rank: number, shapes: ShapesMsg): Dim[] {
  requireRankIn(op, "input", x, [rank], shapes);
  const w = readWindowAttrs(op, attrs, rank, shapes);
  const ksize = windowList(op, "ksize", attrs.ksize, rank, w.cf, shapes);
  const xs = shapeOrUnknown(x, rank);
  const { n, c, spatial } = splitDims(xs, w.cf);
  const axes = spatialAxes(rank, w.cf);
  // A window lying wholly in the padding would have no element to take the maximum of.
  if (w.pads && axes.some((ax) => w.pads![ax][0] >= ksize[ax] || w.pads![ax][1] >= ksize[ax])) {
    throw new InvalidArgumentError(`${op}: explicit paddings must be smaller than the window (ksize [${ksize}]), got [${attrs.explicit_paddings as Ints}]${shapes}`);
  }
  const out = spatial.map((d, i) => outDim(op, d, ksize[axes[i]], w.strides[axes[i]], 1, w.padding, w.pads ? w.pads[axes[i]] : null, shapes));
  return fmtShape(n, out, c, w.cf);
}

function poolInfer(op: string, rank: number) {
  return (inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] => [{ dtype: inputs[0].dtype, shape: poolShape(op, inputs[0].shape, attrs, rank, shapesMsg(["input"], inputs)) }];
}

/** Gradient-shaped ops of a pool: the output has the original input's shape; `grad` is checked when known. */
function poolGradInfer(op: string, rank: number, gradIndex: number, outIsPoolOutput: boolean) {
  return (inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] => {
    const x = inputs[0];
    const shapes = shapesMsg(inputs.map((_, i) => (i === 0 ? "orig_input" : i === gradIndex ? "grad" : `input_${i}`)), inputs);
    const pooled = poolShape(op, x.shape, attrs, rank, shapes);
    const want = outIsPoolOutput ? shapeOrUnknown(x.shape, rank) : pooled;
    const g = inputs[gradIndex].shape;
    if (g !== null && (g.length !== rank || g.some((d, i) => d !== null && want[i] !== null && d !== want[i]))) {
      throw new InvalidArgumentError(`${op}: grad shape ${shapeStr(g)} must be ${shapeStr(want)}${shapes}`);
    }
    return [{ dtype: inputs[gradIndex].dtype, shape: outIsPoolOutput ? pooled : x.shape }];
  };
}

function avgPoolGradInfer(op: string, rank: number) {
  return (inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] => {
    const [s, g] = inputs;
    const shapes = shapesMsg(["orig_input_shape", "grad"], inputs);
    const known = constInts(s);
    if (known === null) return [{ dtype: g.dtype, shape: new Array<Dim>(rank).fill(null) }];
    if (known.length !== rank) throw new InvalidArgumentError(`${op}: orig_input_shape must have ${rank} elements, got [${known}]${shapes}`);
    const pooled = poolShape(op, known, attrs, rank, shapes);
    if (g.shape !== null && (g.shape.length !== rank || g.shape.some((d, i) => d !== null && d !== pooled[i]))) {
      throw new InvalidArgumentError(`${op}: grad shape ${shapeStr(g.shape)} must be ${shapeStr(pooled)}${shapes}`);
    }
    return [{ dtype: g.dtype, shape: known }];
  };
}

function argmaxAttrs(attrs: Attrs): Attrs {
  return { ...attrs, data_format: "NHWC" };
}

/** The channel axis of BiasAdd/BiasAddGrad for a rank (null when unknown); checks the format. */
export function biasFormat(op: string, attrs: Attrs, rank: number | null): number | null {
  const f = attrs.data_format;
  if (f !== "NHWC" && f !== "NCHW") throw new InvalidArgumentError(`${op}: Invalid data format '${String(f)}'; expected NHWC or NCHW`);
  if (rank === null) return null;
  return f === "NCHW" && rank >= 3 ? 1 : rank - 1;
}

function fbnFormat(op: string, attrs: Attrs, rank: number, shapes: ShapesMsg): boolean {
  // NHWC and NCHW name the channel position for 5-D inputs too (TensorFlow's default NHWC works for both ranks).
  const f = attrs.data_format;
  const ok = FORMATS[rank];
  if (!ok) throw new InvalidArgumentError(`${op}: Invalid data format '${String(f)}' for an input of rank ${rank}${shapes}`);
  if (f === ok[0] || f === "NHWC") return false;
  if (f === ok[1] || f === "NCHW") return true;
  throw new InvalidArgumentError(`${op}: Invalid data format '${String(f)}' for an input of rank ${rank}${shapes}`);
}

function checkVector(op: string, what: string, s: Shape, c: Dim, shapes: ShapesMsg, allowEmpty = false): void {
  if (s === null) return;
  if (s.length !== 1 || (c !== null && s[0] !== null && s[0] !== c && !(allowEmpty && s[0] === 0))) {
    throw new InvalidArgumentError(`${op}: ${what} must be a vector of size ${c ?? "?"} (the number of channels), got shape ${shapeStr(s)}${shapes}`);
  }
}

function fusedBatchNormInfer(inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] {
  const op = "FusedBatchNormV3";
  const [x, scale, offset, mean, variance] = inputs;
  const shapes = shapesMsg(["x", "scale", "offset", "mean", "variance"], inputs);
  requireRankIn(op, "x", x.shape, [4, 5], shapes);
  const rank = x.shape?.length ?? 4;
  const cf = fbnFormat(op, attrs, rank, shapes);
  const c = x.shape === null ? null : splitDims(x.shape, cf).c;
  const training = attrs.is_training as boolean;
  checkVector(op, "scale", scale.shape, c, shapes);
  checkVector(op, "offset", offset.shape, c, shapes);
  checkVector(op, "mean", mean.shape, c, shapes, training);
  checkVector(op, "variance", variance.shape, c, shapes, training);
  const u = scale.dtype;
  const cs = c ?? scale.shape?.[0] ?? null;
  return [
    { dtype: x.dtype, shape: x.shape },
    { dtype: u, shape: [cs] },
    { dtype: u, shape: [cs] },
    { dtype: u, shape: [cs] },
    { dtype: u, shape: [cs] },
    { dtype: u, shape: [0] },
  ];
}

function resizeInfer(op: string, outDType: DType | null) {
  return (inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] => {
    const [img, size] = inputs;
    const shapes = shapesMsg(["images", "size"], inputs);
    requireRankIn(op, "images", img.shape, [4], shapes);
    if (attrs.half_pixel_centers && attrs.align_corners) {
      throw new InvalidArgumentError(`${op}: If half_pixel_centers is True, align_corners must be False${shapes}`);
    }
    if (size.shape !== null && (size.shape.length !== 1 || (size.shape[0] !== null && size.shape[0] !== 2))) {
      throw new InvalidArgumentError(`${op}: size must be a 1-D int32 Tensor of 2 elements: new_height, new_width${shapes}`);
    }
    const s = constInts(size);
    if (s?.some((d) => d <= 0)) throw new InvalidArgumentError(`${op}: output dimensions must be positive, got size [${s}]${shapes}`);
    const is = shapeOrUnknown(img.shape, 4);
    return [{ dtype: outDType ?? img.dtype, shape: [is[0], s ? s[0] : null, s ? s[1] : null, is[3]] }];
  };
}

const DATA_FORMAT_2D: AttrDef = { name: "data_format", type: "string", default: "NHWC", allowed: ["NHWC", "NCHW"] };
const DATA_FORMAT_3D: AttrDef = { name: "data_format", type: "string", default: "NDHWC", allowed: ["NDHWC", "NCDHW"] };

function convAttrs(depthwise: boolean): AttrDef[] {
  return [
    { name: "strides", type: "list(int)" },
    ...(depthwise ? [] : [{ name: "use_cudnn_on_gpu", type: "bool", default: true } as const]),
    { name: "padding", type: "string", allowed: ["SAME", "VALID", "EXPLICIT"] },
    { name: "explicit_paddings", type: "list(int)", default: [] },
    DATA_FORMAT_2D,
    { name: "dilations", type: "list(int)", default: [1, 1, 1, 1] },
  ];
}

function convFamily<F extends string>(fwd: F, depthwise: boolean): [OpSchema<F>, OpSchema<`${F}BackpropInput`>, OpSchema<`${F}BackpropFilter`>] {
  const attrs = convAttrs(depthwise);
  return [
    { type: fwd, inputNames: ["input", "filter"], dtypeGroups: [[0, 1]], allowedDTypes: FLOAT, attrs, infer: convInfer(fwd, depthwise) },
    {
      type: `${fwd}BackpropInput`,
      inputNames: ["input_sizes", "filter", "out_backprop"],
      inputs: [{ name: "input_sizes", type: "int32" }, { name: "filter", typeAttr: "T" }, { name: "out_backprop", typeAttr: "T" }],
      dtypeGroups: [[1, 2]],
      inputDTypes: { 0: "int32" },
      hostInputs: [0],
      allowedDTypes: FLOAT,
      attrs,
      infer: backpropInputInfer(`${fwd}BackpropInput`, depthwise),
    },
    {
      type: `${fwd}BackpropFilter`,
      inputNames: ["input", "filter_sizes", "out_backprop"],
      inputs: [{ name: "input", typeAttr: "T" }, { name: "filter_sizes", type: "int32" }, { name: "out_backprop", typeAttr: "T" }],
      dtypeGroups: [[0, 2]],
      inputDTypes: { 1: "int32" },
      hostInputs: [1],
      allowedDTypes: FLOAT,
      attrs,
      infer: backpropFilterInfer(`${fwd}BackpropFilter`, depthwise),
    },
  ];
}

/** Max pooling (forward, gradient, gradient of the gradient) and average pooling (forward, gradient) of one rank. */
function poolFamily<M extends string, A extends string>(
  max: M, avg: A, rank: number,
): [OpSchema<M>, OpSchema<`${M}Grad`>, OpSchema<`${M}GradGrad`>, OpSchema<A>, OpSchema<`${A}Grad`>] {
  const window: AttrDef[] = [
    { name: "ksize", type: "list(int)", minimum: rank },
    { name: "strides", type: "list(int)", minimum: rank },
  ];
  const format = rank === 4 ? DATA_FORMAT_2D : DATA_FORMAT_3D;
  // As in TensorFlow, only the 2-D max pool takes explicit paddings (its gradients get the same attrs).
  const maxAttrs: AttrDef[] = rank === 4
    ? [...window, { name: "padding", type: "string", allowed: ["SAME", "VALID", "EXPLICIT"] }, { name: "explicit_paddings", type: "list(int)", default: [] }, format]
    : [...window, { name: "padding", type: "string", allowed: ["SAME", "VALID"] }, format];
  const avgAttrs: AttrDef[] = [...window, { name: "padding", type: "string", allowed: ["SAME", "VALID"] }, format];
  return [
    { type: max, inputNames: ["input"], allowedDTypes: REAL, attrs: maxAttrs, infer: poolInfer(max, rank) },
    {
      type: `${max}Grad`, inputNames: ["orig_input", "orig_output", "grad"], dtypeGroups: [[0, 1, 2]], allowedDTypes: REAL, attrs: maxAttrs,
      infer: poolGradInfer(`${max}Grad`, rank, 2, false),
    },
    {
      type: `${max}GradGrad`, inputNames: ["orig_input", "orig_output", "grad"], dtypeGroups: [[0, 1, 2]], allowedDTypes: REAL, attrs: maxAttrs,
      infer: poolGradInfer(`${max}GradGrad`, rank, 2, true),
    },
    { type: avg, inputNames: ["value"], allowedDTypes: FLOAT, attrs: avgAttrs, infer: poolInfer(avg, rank) },
    {
      type: `${avg}Grad`, inputNames: ["orig_input_shape", "grad"], inputs: [{ name: "orig_input_shape", type: "int32" }, { name: "grad", typeAttr: "T" }],
      inputDTypes: { 0: "int32" }, hostInputs: [0], allowedDTypes: FLOAT, dtypeGroups: [[1]], attrs: avgAttrs,
      infer: avgPoolGradInfer(`${avg}Grad`, rank),
    },
  ];
}

export const CONV_OPS = schemaRows([
  ...convFamily("Conv2D", false),
  ...convFamily("DepthwiseConv2dNative", true),
  ...poolFamily("MaxPool", "AvgPool", 4),
  ...poolFamily("MaxPool3D", "AvgPool3D", 5),
  {
    type: "MaxPoolWithArgmax",
    outputs: [{ name: "output", typeAttr: "T" }, { name: "argmax", typeAttr: "Targmax" }],
    attrs: [
      { name: "ksize", type: "list(int)", minimum: 4 },
      { name: "strides", type: "list(int)", minimum: 4 },
      { name: "Targmax", type: "type", default: "int64", allowed: ["int32", "int64"] },
      { name: "padding", type: "string", allowed: ["SAME", "VALID"] },
      { name: "include_batch_in_index", type: "bool", default: false },
    ],
    inputNames: ["input"],
    allowedDTypes: REAL,
    infer: (inputs, attrs) => {
      const shape = poolShape("MaxPoolWithArgmax", inputs[0].shape, argmaxAttrs(attrs), 4, shapesMsg(["input"], inputs));
      return [{ dtype: inputs[0].dtype, shape }, { dtype: attrs.Targmax as DType, shape }];
    },
  },
  {
    type: "MaxPoolGradWithArgmax",
    inputs: [{ name: "input", typeAttr: "T" }, { name: "grad", typeAttr: "T" }, { name: "argmax", typeAttr: "Targmax" }],
    attrs: [
      { name: "ksize", type: "list(int)", minimum: 4 },
      { name: "strides", type: "list(int)", minimum: 4 },
      { name: "Targmax", type: "type", default: "int64", allowed: ["int32", "int64"] },
      { name: "padding", type: "string", allowed: ["SAME", "VALID"] },
      { name: "include_batch_in_index", type: "bool", default: false },
    ],
    inputNames: ["input", "grad", "argmax"],
    dtypeGroups: [[0, 1]],
    inputDTypes: { 2: "int64" },
    allowedDTypes: REAL,
    infer: (inputs, attrs) => {
      const shapes = shapesMsg(["input", "grad", "argmax"], inputs);
      poolShape("MaxPoolGradWithArgmax", inputs[0].shape, argmaxAttrs(attrs), 4, shapes);
      return [{ dtype: inputs[1].dtype, shape: inputs[0].shape }];
    },
  },
  {
    type: "MaxPoolGradGradWithArgmax",
    inputs: [{ name: "input", typeAttr: "T" }, { name: "grad", typeAttr: "T" }, { name: "argmax", typeAttr: "Targmax" }],
    attrs: [
      { name: "ksize", type: "list(int)", minimum: 4 },
      { name: "strides", type: "list(int)", minimum: 4 },
      { name: "Targmax", type: "type", default: "int64", allowed: ["int32", "int64"] },
      { name: "padding", type: "string", allowed: ["SAME", "VALID"] },
      { name: "include_batch_in_index", type: "bool", default: false },
    ],
    inputNames: ["input", "grad", "argmax"],
    dtypeGroups: [[0, 1]],
    inputDTypes: { 2: "int64" },
    allowedDTypes: REAL,
    infer: (inputs, attrs) => {
      const shapes = shapesMsg(["input", "grad", "argmax"], inputs);
      return [{ dtype: inputs[1].dtype, shape: poolShape("MaxPoolGradGradWithArgmax", inputs[0].shape, argmaxAttrs(attrs), 4, shapes) }];
    },
  },
  {
    type: "BiasAdd",
    attrs: [{ name: "data_format", type: "string", default: "NHWC", allowed: ["NHWC", "NCHW"] }],
    inputNames: ["value", "bias"],
    dtypeGroups: [[0, 1]],
    allowedDTypes: NUMERIC,
    infer: (inputs, attrs) => {
      const [x, b] = inputs;
      const shapes = shapesMsg(["value", "bias"], inputs);
      if (x.shape !== null && x.shape.length < 2) throw new InvalidArgumentError(`BiasAdd: Input tensor must be at least 2D${shapes}`);
      if (b.shape !== null && b.shape.length !== 1) throw new InvalidArgumentError(`BiasAdd: Biases must be 1D${shapes}`);
      const ax = biasFormat("BiasAdd", attrs, x.shape?.length ?? null);
      const c = x.shape !== null && ax !== null ? x.shape[ax] : null;
      if (c !== null && b.shape !== null && b.shape[0] !== null && b.shape[0] !== c) {
        throw new InvalidArgumentError(`BiasAdd: Must provide as many biases as the channel dimension of the input tensor: ${b.shape[0]} vs. ${c}${shapes}`);
      }
      return [{ dtype: x.dtype, shape: x.shape }];
    },
  },
  {
    type: "BiasAddGrad",
    attrs: [{ name: "data_format", type: "string", default: "NHWC", allowed: ["NHWC", "NCHW"] }],
    inputNames: ["out_backprop"],
    allowedDTypes: NUMERIC,
    infer: (inputs, attrs) => {
      const [x] = inputs;
      if (x.shape !== null && x.shape.length < 2) throw new InvalidArgumentError(`BiasAddGrad: Input tensor must be at least 2D, got shape ${shapeStr(x.shape)}`);
      const ax = biasFormat("BiasAddGrad", attrs, x.shape?.length ?? null);
      return [{ dtype: x.dtype, shape: [x.shape !== null && ax !== null ? x.shape[ax] : null] }];
    },
  },
  {
    type: "FusedBatchNormV3",
    inputs: [{ name: "x", typeAttr: "T" }, ...["scale", "offset", "mean", "variance"].map((name) => ({ name, typeAttr: "U" }))],
    attrs: [
      { name: "epsilon", type: "float", default: 0.0001 },
      { name: "exponential_avg_factor", type: "float", default: 1 },
      { name: "data_format", type: "string", default: "NHWC", allowed: ["NHWC", "NCHW", "NDHWC", "NCDHW"] },
      { name: "is_training", type: "bool", default: true },
    ],
    inputNames: ["x", "scale", "offset", "mean", "variance"],
    dtypeGroups: [[1, 2, 3, 4]],
    allowedDTypes: FLOAT,
    infer: fusedBatchNormInfer,
  },
  {
    type: "FusedBatchNormGradV3",
    attrs: [
      { name: "epsilon", type: "float", default: 0.0001 },
      { name: "data_format", type: "string", default: "NHWC", allowed: ["NHWC", "NCHW", "NDHWC", "NCDHW"] },
      { name: "is_training", type: "bool", default: true },
    ],
    inputNames: ["y_backprop", "x", "scale", "reserve_space_1", "reserve_space_2", "reserve_space_3"],
    dtypeGroups: [[0, 1], [2, 3, 4, 5]],
    allowedDTypes: FLOAT,
    infer: (inputs, attrs) => {
      const [dy, x, scale] = inputs;
      const shapes = shapesMsg(["y_backprop", "x", "scale"], inputs);
      requireRankIn("FusedBatchNormGradV3", "x", x.shape, [4, 5], shapes);
      const rank = x.shape?.length ?? 4;
      const cf = fbnFormat("FusedBatchNormGradV3", attrs, rank, shapes);
      const c = x.shape === null ? scale.shape?.[0] ?? null : splitDims(x.shape, cf).c;
      return [
        { dtype: dy.dtype, shape: x.shape },
        { dtype: scale.dtype, shape: [c] },
        { dtype: scale.dtype, shape: [c] },
        { dtype: scale.dtype, shape: [0] },
        { dtype: scale.dtype, shape: [0] },
      ];
    },
  },
  {
    type: "LRN",
    attrs: [
      { name: "depth_radius", type: "int", default: 5 },
      { name: "bias", type: "float", default: 1 },
      { name: "alpha", type: "float", default: 1 },
      { name: "beta", type: "float", default: 0.5 },
    ],
    inputNames: ["input"],
    allowedDTypes: FLOAT,
    infer: (inputs) => {
      requireRankIn("LRN", "input", inputs[0].shape, [4], shapesMsg(["input"], inputs));
      return [{ dtype: inputs[0].dtype, shape: inputs[0].shape }];
    },
  },
  {
    type: "LRNGrad",
    attrs: [
      { name: "depth_radius", type: "int", default: 5 },
      { name: "bias", type: "float", default: 1 },
      { name: "alpha", type: "float", default: 1 },
      { name: "beta", type: "float", default: 0.5 },
    ],
    inputNames: ["input_grads", "input_image", "output_image"],
    dtypeGroups: [[0, 1, 2]],
    allowedDTypes: FLOAT,
    infer: (inputs) => {
      requireRankIn("LRNGrad", "input_image", inputs[1].shape, [4], shapesMsg(["input_grads", "input_image", "output_image"], inputs));
      return [{ dtype: inputs[0].dtype, shape: inputs[1].shape }];
    },
  },
  {
    type: "ResizeBilinear",
    attrs: [
      { name: "align_corners", type: "bool", default: false },
      { name: "half_pixel_centers", type: "bool", default: false },
    ],
    inputNames: ["images", "size"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: REAL,
    // TensorFlow's ResizeBilinear always produces float32, whatever the image dtype.
    infer: resizeInfer("ResizeBilinear", "float32"),
  },
  {
    type: "ResizeBilinearGrad",
    attrs: [
      { name: "align_corners", type: "bool", default: false },
      { name: "half_pixel_centers", type: "bool", default: false },
    ],
    inputNames: ["grads", "original_image"],
    allowedDTypes: ["float32"],
    infer: (inputs, attrs) => {
      const [g, orig] = inputs;
      const shapes = shapesMsg(["grads", "original_image"], inputs);
      requireRankIn("ResizeBilinearGrad", "grads", g.shape, [4], shapes);
      requireRankIn("ResizeBilinearGrad", "original_image", orig.shape, [4], shapes);
      if (!isFloating(orig.dtype)) throw new InvalidArgumentError(`ResizeBilinearGrad: original_image must be float32 or float64, got ${orig.dtype}`);
      if (attrs.half_pixel_centers && attrs.align_corners) throw new InvalidArgumentError("ResizeBilinearGrad: If half_pixel_centers is True, align_corners must be False");
      return [{ dtype: orig.dtype, shape: orig.shape }];
    },
  },
  {
    type: "ResizeNearestNeighbor",
    attrs: [
      { name: "align_corners", type: "bool", default: false },
      { name: "half_pixel_centers", type: "bool", default: false },
    ],
    inputNames: ["images", "size"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: NUMERIC.filter((d) => d !== "int64"),
    infer: resizeInfer("ResizeNearestNeighbor", null),
  },
  {
    type: "ResizeNearestNeighborGrad",
    attrs: [
      { name: "align_corners", type: "bool", default: false },
      { name: "half_pixel_centers", type: "bool", default: false },
    ],
    inputNames: ["grads", "size"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: NUMERIC.filter((d) => d !== "int64"),
    infer: resizeInfer("ResizeNearestNeighborGrad", null),
  },
]);
