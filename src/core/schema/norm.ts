import { type DType, FLOAT_DTYPES } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { Dim, mergeShapes, Shape, shapeStr, shapesCompatible } from "../shape.js";
import { FORMATS, splitDims } from "../geometry/window.js";
import { type Attrs, type OutSpec, schemaRows, type TensorSpec } from "./types.js";
import { requireRankIn, type ShapesMsg, shapesMsg } from "./window_infer.js";

/**
 * Normalisation ops (BiasAdd, FusedBatchNormV3, LRN and their gradients) with TensorFlow's op types,
 * attrs and shape functions (gradients and tf.nn functions in src/ops/norm.ts; kernels in
 * backends/{cpu,cuda}/kernels/norm.ts).
 */
const FLOAT = FLOAT_DTYPES;
const NUMERIC: DType[] = [...FLOAT, "int32", "int64", "uint8"];

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
  const rank = x.shape?.length ?? (String(attrs.data_format).length === 5 ? 5 : 4);
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

/**
 * FusedBatchNormGradV3's outputs, with TensorFlow's checks (shape function and kernel): y_backprop and x of
 * one shape, rank 4 or 5; scale and the two saved statistics vectors of the channel count.
 */
function fusedBatchNormGradInfer(inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] {
  const op = "FusedBatchNormGradV3";
  const [dy, x, scale, mean, variance] = inputs;
  const shapes = shapesMsg(["y_backprop", "x", "scale", "reserve_space_1", "reserve_space_2"], inputs);
  requireRankIn(op, "y_backprop", dy.shape, [4, 5], shapes);
  requireRankIn(op, "x", x.shape, [4, 5], shapes);
  if (!shapesCompatible(dy.shape, x.shape)) throw new InvalidArgumentError(`${op}: x and y_backprop must have the same shape${shapes}`);
  const xs = mergeShapes(x.shape, dy.shape);
  // An unknown rank follows the data format (NDHWC/NCDHW: 5).
  const rank = xs?.length ?? (String(attrs.data_format).length === 5 ? 5 : 4);
  const cf = fbnFormat(op, attrs, rank, shapes);
  let c = xs === null ? null : splitDims(xs, cf).c;
  for (const [what, v] of [
    ["scale", scale],
    ["reserve_space_1", mean],
    ["reserve_space_2", variance],
  ] as const) {
    checkVector(op, what, v.shape, c, shapes);
    c ??= v.shape?.[0] ?? null;
  }
  const u = scale.dtype;
  return [
    { dtype: dy.dtype, shape: xs },
    { dtype: u, shape: [c] },
    { dtype: u, shape: [c] },
    { dtype: u, shape: [0] },
    { dtype: u, shape: [0] },
  ];
}

export const NORM_OPS = schemaRows([
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
      if (x.shape !== null && x.shape.length < 2)
        throw new InvalidArgumentError(`BiasAddGrad: Input tensor must be at least 2D, got shape ${shapeStr(x.shape)}`);
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
    dtypeGroups: [
      [0, 1],
      [2, 3, 4, 5],
    ],
    allowedDTypes: FLOAT,
    infer: fusedBatchNormGradInfer,
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
]);
