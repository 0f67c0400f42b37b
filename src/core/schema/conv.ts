import { FLOAT_DTYPES } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { Dim, Shape, shapeStr } from "../shape.js";
import { dimMul, fmtShape, outDim, shapeOrUnknown, spatialAxes, splitDims } from "../geometry/window.js";
import { constInts } from "./infer_util.js";
import { type AttrDef, type Attrs, type OpSchema, type OutSpec, schemaRows, type TensorSpec } from "./types.js";
import { DATA_FORMAT_2D, readWindowAttrs, requireRankIn, type ShapesMsg, shapesMsg } from "./window_infer.js";

/**
 * Convolution ops (Conv2D, DepthwiseConv2dNative and their gradients) with TensorFlow's op types, attrs
 * and shape functions (gradients and tf.nn functions in src/ops/conv.ts; kernels in
 * backends/{cpu,cuda}/kernels/conv.ts). Window attrs are stored as TensorFlow stores
 * them: `strides`, `dilations` and `ksize` are lists with one entry per dimension of the data format
 * (batch and channel entries 1), `padding` is "SAME", "VALID" or "EXPLICIT" with `explicit_paddings`
 * holding before/after pairs for every dimension.
 */
const FLOAT = FLOAT_DTYPES;

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
      inputs: [
        { name: "input_sizes", type: "int32" },
        { name: "filter", typeAttr: "T" },
        { name: "out_backprop", typeAttr: "T" },
      ],
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
      inputs: [
        { name: "input", typeAttr: "T" },
        { name: "filter_sizes", type: "int32" },
        { name: "out_backprop", typeAttr: "T" },
      ],
      dtypeGroups: [[0, 2]],
      inputDTypes: { 1: "int32" },
      hostInputs: [1],
      allowedDTypes: FLOAT,
      attrs,
      infer: backpropFilterInfer(`${fwd}BackpropFilter`, depthwise),
    },
  ];
}

export const CONV_OPS = schemaRows([...convFamily("Conv2D", false), ...convFamily("DepthwiseConv2dNative", true)]);
