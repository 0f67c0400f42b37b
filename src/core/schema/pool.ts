import { type DType, FLOAT_DTYPES } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { Dim, Shape, shapesCompatible, shapeStr } from "../shape.js";
import { fmtShape, outDim, shapeOrUnknown, spatialAxes, splitDims } from "../geometry/window.js";
import { constInts } from "./infer_util.js";
import { type AttrDef, type Attrs, type OpSchema, type OutSpec, schemaRows, type TensorSpec } from "./types.js";
import { DATA_FORMAT_2D, DATA_FORMAT_3D, type Ints, readWindowAttrs, requireRankIn, type ShapesMsg, shapesMsg, windowList } from "./window_infer.js";

/**
 * Pooling ops (MaxPool, AvgPool, their 3-D forms, MaxPoolWithArgmax and their gradients) with
 * TensorFlow's op types, attrs and shape functions (gradients and tf.nn functions in src/ops/pool.ts;
 * kernels in backends/{cpu,cuda}/kernels/pool.ts). Window attrs are stored as TensorFlow stores
 * them: `strides`, `dilations` and `ksize` are lists with one entry per dimension of the data format
 * (batch and channel entries 1), `padding` is "SAME", "VALID" or "EXPLICIT" with `explicit_paddings`
 * holding before/after pairs for every dimension.
 */
const FLOAT = FLOAT_DTYPES;
const REAL: DType[] = [...FLOAT, "int32", "uint8"];

function poolShape(op: string, x: Shape, attrs: Attrs, rank: number, shapes: ShapesMsg): Dim[] {
  requireRankIn(op, "input", x, [rank], shapes);
  const w = readWindowAttrs(op, attrs, rank, shapes);
  const ksize = windowList(op, "ksize", attrs.ksize, rank, w.cf, shapes);
  const xs = shapeOrUnknown(x, rank);
  const { n, c, spatial } = splitDims(xs, w.cf);
  const axes = spatialAxes(rank, w.cf);
  // A window lying wholly in the padding would have no element to take the maximum of.
  if (w.pads && axes.some((ax) => w.pads![ax][0] >= ksize[ax] || w.pads![ax][1] >= ksize[ax])) {
    throw new InvalidArgumentError(
      `${op}: explicit paddings must be smaller than the window (ksize [${ksize}]), got [${attrs.explicit_paddings as Ints}]${shapes}`,
    );
  }
  const out = spatial.map((d, i) => outDim(op, d, ksize[axes[i]], w.strides[axes[i]], 1, w.padding, w.pads ? w.pads[axes[i]] : null, shapes));
  return fmtShape(n, out, c, w.cf);
}

function poolInfer(op: string, rank: number) {
  return (inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] => [
    { dtype: inputs[0].dtype, shape: poolShape(op, inputs[0].shape, attrs, rank, shapesMsg(["input"], inputs)) },
  ];
}

/** Gradient-shaped ops of a pool: the output has the original input's shape; `grad` is checked when known. */
function poolGradInfer(op: string, rank: number, gradIndex: number, outIsPoolOutput: boolean) {
  return (inputs: readonly TensorSpec[], attrs: Attrs): OutSpec[] => {
    const x = inputs[0];
    const shapes = shapesMsg(
      inputs.map((_, i) => (i === 0 ? "orig_input" : i === gradIndex ? "grad" : `input_${i}`)),
      inputs,
    );
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

/** Max pooling (forward, gradient, gradient of the gradient) and average pooling (forward, gradient) of one rank. */
function poolFamily<M extends string, A extends string>(
  max: M,
  avg: A,
  rank: number,
): [OpSchema<M>, OpSchema<`${M}Grad`>, OpSchema<`${M}GradGrad`>, OpSchema<A>, OpSchema<`${A}Grad`>] {
  const window: AttrDef[] = [
    { name: "ksize", type: "list(int)", minimum: rank },
    { name: "strides", type: "list(int)", minimum: rank },
  ];
  const format = rank === 4 ? DATA_FORMAT_2D : DATA_FORMAT_3D;
  // As in TensorFlow, only the 2-D max pool takes explicit paddings (its gradients get the same attrs).
  const maxAttrs: AttrDef[] =
    rank === 4
      ? [
          ...window,
          { name: "padding", type: "string", allowed: ["SAME", "VALID", "EXPLICIT"] },
          { name: "explicit_paddings", type: "list(int)", default: [] },
          format,
        ]
      : [...window, { name: "padding", type: "string", allowed: ["SAME", "VALID"] }, format];
  const avgAttrs: AttrDef[] = [...window, { name: "padding", type: "string", allowed: ["SAME", "VALID"] }, format];
  return [
    { type: max, inputNames: ["input"], allowedDTypes: REAL, attrs: maxAttrs, infer: poolInfer(max, rank) },
    {
      type: `${max}Grad`,
      inputNames: ["orig_input", "orig_output", "grad"],
      dtypeGroups: [[0, 1, 2]],
      allowedDTypes: REAL,
      attrs: maxAttrs,
      infer: poolGradInfer(`${max}Grad`, rank, 2, false),
    },
    {
      type: `${max}GradGrad`,
      inputNames: ["orig_input", "orig_output", "grad"],
      dtypeGroups: [[0, 1, 2]],
      allowedDTypes: REAL,
      attrs: maxAttrs,
      infer: poolGradInfer(`${max}GradGrad`, rank, 2, true),
    },
    { type: avg, inputNames: ["value"], allowedDTypes: FLOAT, attrs: avgAttrs, infer: poolInfer(avg, rank) },
    {
      type: `${avg}Grad`,
      inputNames: ["orig_input_shape", "grad"],
      inputs: [
        { name: "orig_input_shape", type: "int32" },
        { name: "grad", typeAttr: "T" },
      ],
      inputDTypes: { 0: "int32" },
      hostInputs: [0],
      allowedDTypes: FLOAT,
      dtypeGroups: [[1]],
      attrs: avgAttrs,
      infer: avgPoolGradInfer(`${avg}Grad`, rank),
    },
  ];
}

/** Targmax's type constraint, checked on the argmax a gradient is given (int32 or int64, as MaxPoolWithArgmax gives). */
function requireIndexArgmax(op: string, dtype: DType): void {
  if (dtype !== "int32" && dtype !== "int64") throw new InvalidArgumentError(`${op}: argmax must be int32 or int64, got ${dtype}`);
}

export const POOL_OPS = schemaRows([
  ...poolFamily("MaxPool", "AvgPool", 4),
  ...poolFamily("MaxPool3D", "AvgPool3D", 5),
  {
    type: "MaxPoolWithArgmax",
    outputs: [
      { name: "output", typeAttr: "T" },
      { name: "argmax", typeAttr: "Targmax" },
    ],
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
      return [
        { dtype: inputs[0].dtype, shape },
        { dtype: attrs.Targmax as DType, shape },
      ];
    },
  },
  {
    type: "MaxPoolGradWithArgmax",
    inputs: [
      { name: "input", typeAttr: "T" },
      { name: "grad", typeAttr: "T" },
      { name: "argmax", typeAttr: "Targmax" },
    ],
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
      requireIndexArgmax("MaxPoolGradWithArgmax", inputs[2].dtype);
      poolShape("MaxPoolGradWithArgmax", inputs[0].shape, argmaxAttrs(attrs), 4, shapes);
      return [{ dtype: inputs[1].dtype, shape: inputs[0].shape }];
    },
  },
  {
    type: "MaxPoolGradGradWithArgmax",
    inputs: [
      { name: "input", typeAttr: "T" },
      { name: "grad", typeAttr: "T" },
      { name: "argmax", typeAttr: "Targmax" },
    ],
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
      requireIndexArgmax("MaxPoolGradGradWithArgmax", inputs[2].dtype);
      const out = poolShape("MaxPoolGradGradWithArgmax", inputs[0].shape, argmaxAttrs(attrs), 4, shapes);
      // grad is a gradient of the input, argmax indexes the pooled output: both shapes must match.
      if (!shapesCompatible(inputs[1].shape, inputs[0].shape) || !shapesCompatible(inputs[2].shape, out)) {
        throw new InvalidArgumentError(`MaxPoolGradGradWithArgmax: grad must have the input's shape and argmax the pooled shape ${shapeStr(out)}${shapes}`);
      }
      return [{ dtype: inputs[1].dtype, shape: out }];
    },
  },
]);
