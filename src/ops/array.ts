import { allocValues, checkDType, DType, Values } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import { isFullyDefined, shapeStr, sizeOf } from "../core/shape.js";
import { SYMBOLIC, Tensor } from "../core/tensor.js";
import { HostValue, inferDType, inferShape as inferShapeOf, reshapeValues, toValues } from "../core/values.js";
import type { Attrs } from "../core/schema/types.js";
import { executingEagerly } from "../core/context.js";
import { isTensorConvertible, TensorConvertible, TensorLike } from "../core/tensor_like.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import type { OpType } from "../core/schema/index.js";
import { execute, execute1, isTensor } from "./dispatch.js";
import { currentExecutor } from "./executor.js";
import { unknownShapeOfRank, valuesToInts } from "../core/schema/infer_util.js";
import { concatShape } from "../core/geometry/array_shapes.js";
import { defineGradients, GradOp } from "./registry.js";
import { cast } from "./cast.js";
import { add, floormod, greaterEqual, maximum, multiply, subtract } from "./elementwise.js";
import { reduceProd, reduceSum } from "./reduce.js";


defineGradients({
  Reshape: (op, [dy]) => [reshape(dy, shape(op.inputs[0])), null],
  Shape: null,
  ZerosLike: null,
  OnesLike: null,
  Fill: (_op, [dy]) => [null, reduceSum(dy)],
  SelectV2: (op, [dy]) => {
      const [c, t, e] = op.inputs;
      const z = zerosLike(dy);
      return [null, unbroadcastTo(where(c, dy, z), t), unbroadcastTo(where(c, z, dy), e)];
    },
  BroadcastGradientArgs: null,
  StopGradient: null,
  BroadcastTo: (op, [dy]) => [unbroadcastTo(dy, op.inputs[0]), null],
  ExpandDims: (op, [dy]) => [reshape(dy, shape(op.inputs[0])), null],
});

import { unbroadcast as unbroadcastTo } from "./grad_util.js";

// ---------------------------------------------------------------- constants

const DTYPE = optional("dtype", T.dtype, "The dtype of the result; absent: inferred from the value.");
const INPUT = param("input", T.tensor, "A tensor.");
const nameOnly = (pyName: string, doc: string, type: OpType, inputName = "input", example: readonly unknown[] = [[[1, 2], [3, 4]]]) =>
  defineFunction(signature(pyName, doc, [param(inputName, T.tensor, "A tensor."), NAME], { args: () => example }), (input, name) => execute1(type, [input], {}, name));

/** tf.constant(value, dtype, shape, name). A scalar fills `shape`, as in TensorFlow. */
export const constant = defineFunction(
  signature(
    "constant",
    "A constant tensor from a JS value (number, boolean, string, nested arrays, typed array) or a concrete tensor.",
    [param("value", T.tensor, "The value."), DTYPE, optional("shape", kind<number[]>("number[]"), "The shape of the result: the value is reshaped, or a scalar fills it."), NAME],
    { args: () => [[1, 2, 3, 4], "int32", [2, 2], "c"] },
  ),
  (value, dtypeArg, shapeArg, name): Tensor => {
    let values: Values;
    let shp: number[];
    let dtype: DType;
    if (isTensor(value)) {
      // Only an eager tensor has a value now; a graph tensor has one only inside Session.run.
      if (value[SYMBOLIC]) {
        throw new InvalidArgumentError(`tf.constant: ${value.toString()} is symbolic; a constant needs a concrete value`);
      }
      dtype = dtypeArg ?? value.dtype;
      if (dtype !== value.dtype) return cast(value, dtype);
      values = value.dataSync();
      shp = value.shape as number[];
    } else {
      dtype = checkDType(dtypeArg ?? inferDType(value as HostValue), "tf.constant");
      ({ values, shape: shp } = toValues(value as HostValue, dtype));
    }
    if (shapeArg) {
      values = reshapeValues(values, shp, shapeArg, dtype, "tf.constant");
      shp = shapeArg.slice();
    }
    // Eagerly where TensorFlow 2 puts constants (the tf.device scope's device, else GPU:0); in a graph a Const.
    return currentExecutor().constant(values, dtype, shp, name);
  },
);

/** tf.convert_to_tensor(value, dtype, name). */
export const convertToTensor = defineFunction(
  signature("convert_to_tensor", "The value as a tensor: tensors pass through, variables are read, JS values become constants.", [param("value", T.tensor, "The value."), DTYPE, NAME], {
    args: () => [[1, 2], "float32", "t"],
  }),
  (value, dtype, name): Tensor => {
    if (isTensor(value)) {
      if (dtype && dtype !== value.dtype) {
        throw new InvalidArgumentError(`Tensor conversion requested dtype ${dtype} for Tensor with dtype ${value.dtype}: ${value.toString()}`);
      }
      return value;
    }
    if (typeof value === "object" && value !== null && "readForOp" in value) return identity(value);
    return constant(value, { dtype, name });
  },
);

// ---------------------------------------------------------------- shapes

const SHAPE_ARG = param("shape", T.tensor, "The shape, as a list of integers or an int32 tensor.");

/** tf.reshape(tensor, shape, name); one dim may be -1. */
export const reshape = defineFunction(
  signature("reshape", "The same values in a new shape; one dimension may be -1 (inferred).", [param("tensor", T.tensor, "A tensor."), SHAPE_ARG, NAME], { args: () => [[[1, 2], [3, 4]], [4]] }),
  (tensor, shapeArg, name) => execute1("Reshape", [tensor, shapeArg], {}, name),
);

/** tf.shape(input, out_type, name): the dynamic shape, as a tensor. */
export const shape = defineFunction(
  signature("shape", "The shape of a tensor, as a tensor (known when the graph runs).", [INPUT, withDefault("outType", T.dtype, "int32", "int32 or int64."), NAME], { args: () => [[[1, 2, 3]], "int32"] }),
  (input, outType, name) => execute1("Shape", [input], { out_type: outType }, name),
);

export const zerosLike = nameOnly("zeros_like", "Zeros of the input's shape and dtype.", "ZerosLike");
export const onesLike = nameOnly("ones_like", "Ones of the input's shape and dtype.", "OnesLike");

/** tf.fill(dims, value, name). */
export const fill = defineFunction(
  signature("fill", "A tensor of shape dims filled with a scalar value.", [param("dims", T.tensor, "The shape of the result."), param("value", T.tensor, "The scalar to fill with."), NAME], { args: () => [[2, 3], 7] }),
  (dims, value, name) => execute1("Fill", [dims, value], {}, name),
);

function filled(shapeArg: TensorLike, dtype: DType, v: number, opName: string, name?: string): Tensor {
  if (Array.isArray(shapeArg) && shapeArg.every((d) => typeof d === "number")) {
    const n = sizeOf(shapeArg as number[]);
    const values = allocValues(dtype, n);
    if (v !== 0) (values as unknown as { fill(x: unknown): void }).fill(dtype === "int64" ? BigInt(v) : v);
    return constant(values as HostValue, { dtype, shape: shapeArg as number[], name: name ?? opName });
  }
  return fill(shapeArg, constant(v, { dtype }), { name: name ?? opName });
}

const filledParams = [SHAPE_ARG, withDefault("dtype", T.dtype, "float32", "The dtype of the result."), NAME] as const;
/** tf.zeros(shape, dtype="float32", name). */
export const zeros = defineFunction(signature("zeros", "A tensor of zeros.", filledParams, { args: () => [[2, 3], "int32"] }), (shapeArg, dtype, name) => filled(shapeArg, dtype, 0, "zeros", name));
/** tf.ones(shape, dtype="float32", name). */
export const ones = defineFunction(signature("ones", "A tensor of ones.", filledParams, { args: () => [[2, 3], "int32"] }), (shapeArg, dtype, name) => filled(shapeArg, dtype, 1, "ones", name));

/** tf.where(condition, x, y, name): elementwise selection with broadcasting (TensorFlow 2's where). */
export const where = defineFunction(
  signature(
    "where",
    "x where condition is true, else y, elementwise with broadcasting (TensorFlow 2's where; x and y are required here).",
    [param("condition", T.tensor, "A bool tensor."), param("x", T.tensor, "The values where condition is true."), param("y", T.tensor, "The values where condition is false."), NAME],
    { args: () => [[true, false], [1, 2], [3, 4]] },
  ),
  (condition, x, y, name) => execute1("SelectV2", [condition, x, y], {}, name),
);

export const identity = nameOnly("identity", "The same value (in a graph: an Identity node).", "Identity");
/** tf.stop_gradient(input): the same value, through which no gradient flows. */
export const stopGradient = nameOnly("stop_gradient", "The same value, through which no gradient flows.", "StopGradient");

/** tf.broadcast_to(input, shape, name). */
export const broadcastTo = defineFunction(
  signature("broadcast_to", "The input broadcast to a shape.", [INPUT, SHAPE_ARG, NAME], { args: () => [[1, 2], [3, 2]] }),
  (input, shapeArg, name) => execute1("BroadcastTo", [input, shapeArg], {}, name),
);

/** tf.expand_dims(input, axis, name): inserts a dimension of size 1 at `axis`. */
export const expandDims = defineFunction(
  signature("expand_dims", "Inserts a dimension of size 1 at axis.", [INPUT, param("axis", K.int, "Where the new dimension goes (negative counts from the end)."), NAME], { args: () => [[1, 2], 1] }),
  (input, axis, name) => execute1("ExpandDims", [input, new Int32Array([axis])], {}, name),
);


// ================================================================ the array-op family
// Transpose, Squeeze, ConcatV2, Pack/Unpack, Split/SplitV, Slice, StridedSlice, GatherV2, Tile, Pad,
// OneHot, Range, LinSpace, Size, Rank, ReverseV2: op table entries (shape rules in array_shapes.ts, shared
// with the CPU kernels), gradients written with public ops, and TensorFlow's Python functions.

const seq = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** StridedSlice's masks from a node's (complete) attrs, for the gradient's StridedSliceGrad and back. */
function maskAttrs(attrs: Attrs): Attrs {
  const { begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask } = attrs;
  return { begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask };
}

// ---------------------------------------------------------------- gradient helpers

/** The value of an int tensor when known while building: eager data, or a graph Const's value. */
function knownInts(t: Tensor): number[] | null {
  const v = currentExecutor().knownValue(t);
  return v === undefined ? null : valuesToInts(v);
}

/** A vector of dims: a JS array when known statically, else an int32 tensor computed at run time. */
type Dims = number[] | Tensor;
/** One dim: a number, or an int32 scalar tensor. */
type DimVal = number | Tensor;

const dimsOf = (t: Tensor): Dims => (isFullyDefined(t.shape) ? t.shape.slice() : shape(t));
const dimsArg = (d: Dims): TensorLike => (Array.isArray(d) ? new Int32Array(d) : d);
function sliceDims(d: Dims, from: number, to?: number): Dims {
  if (Array.isArray(d)) return d.slice(from, to);
  return stridedSlice(d, [from], [to ?? 0], [1], { endMask: to === undefined ? 1 : 0 });
}
function catDims(parts: Dims[]): Dims {
  const nonEmpty = parts.filter((p) => !Array.isArray(p) || p.length > 0);
  if (nonEmpty.every((p) => Array.isArray(p))) return (nonEmpty as number[][]).flat();
  if (nonEmpty.length === 1) return nonEmpty[0];
  return execute1("ConcatV2", [...nonEmpty.map(dimsArg), constant(0, { dtype: "int32" })], { N: nonEmpty.length });
}
function prodDims(d: Dims): DimVal {
  return Array.isArray(d) ? d.reduce((p, x) => p * x, 1) : reduceProd(d);
}
const dimPart = (v: DimVal): Dims => (typeof v === "number" ? [v] : reshape(v, new Int32Array([1])));
const mulDims = (a: DimVal, b: DimVal): DimVal => (typeof a === "number" && typeof b === "number" ? a * b : multiply(a, b));
const sizeDim = (t: Tensor): DimVal => (isFullyDefined(t.shape) ? sizeOf(t.shape) : execute1("Size", [t], { out_type: "int32" }));

function transposeGrad(op: GradOp, dy: Tensor): Tensor {
  const perm = knownInts(op.inputs[1]);
  if (perm === null) return execute1("Transpose", [dy, execute1("InvertPermutation", [op.inputs[1]])]);
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return execute1("Transpose", [dy, new Int32Array(inv)]);
}

/** ConcatV2's gradient: dy cut back into the inputs' extents along the axis (SplitV). */
function concatGrad(op: GradOp, dy: Tensor): (Tensor | null)[] {
  const n = op.inputs.length - 1;
  const values = op.inputs.slice(0, n);
  const axisT = op.inputs[n];
  if (n === 1) return [dy, null];
  const axis = knownInts(axisT)?.[0];
  const rank = dy.rank ?? values.find((v) => v.rank !== null)?.rank ?? null;
  let a: TensorLike;
  let sizes: TensorLike;
  if (axis !== undefined && rank !== null) {
    const ax = axis < 0 ? axis + rank : axis;
    a = ax;
    sizes = dimsArg(catDims(values.map((v) => (v.shape !== null && v.shape[ax] !== null ? [v.shape[ax] as number] : sliceDims(shape(v), ax, ax + 1)))));
  } else {
    const ax = floormod(cast(axisT, "int32"), execute1("Rank", [dy]));
    a = ax;
    sizes = stack(values.map((v) => gather(shape(v), ax)));
  }
  const parts = execute("SplitV", [dy, sizes, a], { num_split: n });
  return [...parts, null];
}

/** Slice's gradient: dy padded back to the input's shape. */
function sliceGrad(op: GradOp, dy: Tensor): (Tensor | null)[] {
  const [x, begin] = op.inputs;
  const b = knownInts(begin);
  const xs = x.shape;
  const ys = op.outputs[0].shape;
  if (b !== null && isFullyDefined(xs) && isFullyDefined(ys)) {
    return [execute1("Pad", [dy, xs.map((d, i) => [b[i], d - b[i] - ys[i]])]), null, null];
  }
  const it = begin.dtype;
  const after = subtract(subtract(shape(x, it), begin), shape(dy, it));
  return [execute1("Pad", [dy, stack([begin, after], 1)]), null, null];
}

/** GatherV2's gradient, dense: dy summed into the gathered rows with UnsortedSegmentSum. */
function gatherGrad(op: GradOp, dy: Tensor): Tensor {
  const [params, indices, axisT] = op.inputs;
  const axis = knownInts(axisT)?.[0];
  if (axis === undefined) throw new UnimplementedError("The gradient of GatherV2 needs its axis known when the graph is built");
  let b = op.attrs.batch_dims as number;
  const rp = params.rank;
  const ri = indices.rank;
  const ps = dimsOf(params);
  if (b === 0 && (axis === 0 || (rp !== null && axis === -rp))) {
    // The common case needs no ranks: rows of dy, one per index, summed into rows of params.
    const rows = reshape(dy, dimsArg(catDims([dimPart(sizeDim(indices)), sliceDims(ps, 1)])));
    const n = Array.isArray(ps) ? ps[0] : reshape(sliceDims(ps, 0, 1) as Tensor, new Int32Array(0));
    return unsortedSegmentSum(rows, reshape(indices, new Int32Array([-1])), n);
  }
  if (rp === null || ri === null) throw new UnimplementedError(`The gradient of GatherV2 with axis ${axis} and batch_dims ${b} needs the ranks of params and indices`);
  if (b < 0) b += ri;
  const a = axis < 0 ? axis + rp : axis;
  const nO = a - b;
  const nJ = ri - b;
  const nI = rp - a - 1;
  // dy is B + O + J + I (batch, outer, index and inner dims): bring J before O, so that each index's rows
  // of O + I values are contiguous, and sum them into B * N rows.
  let g = dy;
  if (nO > 0 && nJ > 0) g = transpose(g, [...seq(0, b), ...seq(b + nO, b + nO + nJ), ...seq(b, b + nO), ...seq(b + nO + nJ, b + nO + nJ + nI)]);
  const B = sliceDims(ps, 0, b);
  const O = sliceDims(ps, b, a);
  const N = sliceDims(ps, a, a + 1);
  const I = sliceDims(ps, a + 1);
  g = reshape(g, dimsArg(catDims([dimPart(sizeDim(indices)), dimPart(prodDims(catDims([O, I])))])));
  const n: DimVal = Array.isArray(N) ? N[0] : reshape(N, new Int32Array(0));
  let ids: Tensor = indices;
  let numSegments: DimVal = n;
  if (b > 0) {
    const nB = prodDims(B);
    const offsets = multiply(execute1("Range", [0, nB, 1]), n);
    ids = add(indices, reshape(cast(offsets, indices.dtype), dimsArg(catDims([B, new Array<number>(nJ).fill(1)]))));
    numSegments = mulDims(nB, n);
  }
  g = unsortedSegmentSum(g, reshape(ids, new Int32Array([-1])), numSegments);
  g = reshape(g, dimsArg(catDims([B, N, O, I])));
  if (nO > 0) g = transpose(g, [...seq(0, b), ...seq(b + 1, b + 1 + nO), b, ...seq(b + 1 + nO, rp)]);
  return g;
}

/** UnsortedSegmentSum's gradient: dy gathered back by segment id (dropped ids get zeros). */
function segmentSumGrad(op: GradOp, dy: Tensor): Tensor {
  const [data, ids] = op.inputs;
  const rows = gather(dy, maximum(ids, 0));
  const keep = greaterEqual(ids, 0);
  let maskShape: TensorLike;
  if (data.rank !== null && ids.rank !== null) {
    maskShape = dimsArg(catDims([dimsOf(ids), new Array<number>(data.rank - ids.rank).fill(1)]));
  } else {
    const extra = reshape(subtract(execute1("Rank", [data]), execute1("Rank", [ids])), new Int32Array([1]));
    maskShape = concat([shape(ids), fill(extra, constant(1, { dtype: "int32" }))], 0);
  }
  return where(reshape(keep, maskShape), rows, zerosLike(rows));
}

/** Tile's gradient: dy viewed as [m0, d0, m1, d1, ...] and summed over the multiples. */
function tileGrad(op: GradOp, dy: Tensor): Tensor {
  const [x, m] = op.inputs;
  const mult = knownInts(m);
  const xs = x.shape;
  if (mult !== null && isFullyDefined(xs)) {
    const split = xs.flatMap((d, i) => [mult[i], d]);
    return reshape(reduceSum(reshape(dy, new Int32Array(split)), xs.map((_, i) => 2 * i)), new Int32Array(xs));
  }
  const split = reshape(stack([cast(m, "int32"), shape(x)], 1), new Int32Array([-1]));
  const axes = execute1("Range", [0, execute1("Size", [split], { out_type: "int32" }), 2]);
  return reshape(execute1("Sum", [reshape(dy, split), axes], { keep_dims: false }), shape(x));
}

/** Pad's gradient: the interior of dy. */
function padGrad(op: GradOp, dy: Tensor): Tensor {
  const [x, p] = op.inputs;
  const pads = knownInts(p);
  if (pads !== null && isFullyDefined(x.shape)) {
    return slice(dy, x.shape.map((_, i) => pads[2 * i]), x.shape);
  }
  const r = x.rank;
  const before = r !== null
    ? slice(p, [0, 0], [r, 1])
    : execute1("Slice", [p, new Int32Array([0, 0]), stack([execute1("Rank", [x]), 1])]);
  return execute1("Slice", [dy, reshape(before, new Int32Array([-1])), shape(x, p.dtype)]);
}

function linspaceGrad(op: GradOp, [dy]: readonly Tensor[]): (Tensor | null)[] {
  const [start, stop, num] = op.inputs;
  // out[i] = start + (stop - start) * w[i], w = linspace(0, 1, num) (w = [0] when num is 1).
  const w = execute1("LinSpace", [zerosLike(start), onesLike(stop), num]);
  return [reduceSum(multiply(dy, subtract(1, w))), reduceSum(multiply(dy, w)), null];
}

// ---------------------------------------------------------------- op table entries

defineGradients({
  Transpose: (op, [dy]) => [transposeGrad(op, dy), null],
  InvertPermutation: null,
  Squeeze: (op, [dy]) => [reshape(dy, dimsArg(dimsOf(op.inputs[0])))],
  ConcatV2: (op, [dy]) => concatGrad(op, dy),
  Pack: (op, [dy]) => execute("Unpack", [dy], { num: op.inputs.length, axis: op.attrs.axis as number }),
  Unpack: (op, dys) => [execute1("Pack", dys, { N: dys.length, axis: op.attrs.axis as number })],
  Split: (op, dys) => [null, execute1("ConcatV2", [...dys, op.inputs[0]], { N: dys.length })],
  SplitV: (op, dys) => [execute1("ConcatV2", [...dys, op.inputs[2]], { N: dys.length }), null, null],
  Slice: (op, [dy]) => sliceGrad(op, dy),
  StridedSlice: (op, [dy]) => {
      const [x, b, e, s] = op.inputs;
      const xs = isFullyDefined(x.shape) ? new Int32Array(x.shape) : shape(x, b.dtype);
      return [execute1("StridedSliceGrad", [xs, b, e, s, dy], maskAttrs(op.attrs)), null, null, null];
    },
  StridedSliceGrad: (op, [ddy]) => {
      const [, b, e, s] = op.inputs;
      return [null, null, null, null, execute1("StridedSlice", [ddy, b, e, s], maskAttrs(op.attrs))];
    },
  GatherV2: (op, [dy]) => [gatherGrad(op, dy), null, null],
  UnsortedSegmentSum: (op, [dy]) => [segmentSumGrad(op, dy), null, null],
  Tile: (op, [dy]) => [tileGrad(op, dy), null],
  Pad: (op, [dy]) => [padGrad(op, dy), null],
  PadV2: (op, [dy]) => [padGrad(op, dy), null, null],
  MirrorPad: (op, [dy]) => [execute1("MirrorPadGrad", [dy, op.inputs[1]], { mode: op.attrs.mode }), null],
  MirrorPadGrad: (op, [ddy]) => [execute1("MirrorPad", [ddy, op.inputs[1]], { mode: op.attrs.mode }), null],
  OneHot: null,
  Range: null,
  LinSpace: linspaceGrad,
  Size: null,
  Rank: null,
  ReverseV2: (op, [dy]) => [execute1("ReverseV2", [dy, op.inputs[1]]), null],
});

// ---------------------------------------------------------------- public functions

/** The dtype a list of values shares: that of its first tensor, else what its first JS value infers. */
function listDType(values: readonly TensorLike[]): DType {
  for (const v of values) {
    if (isTensor(v) || isTensorConvertible(v)) return v.dtype;
  }
  return inferDType(values[0] as HostValue);
}
/** Tensors pass (a dtype mismatch is the op's error); JS values become constants of `dtype`. */
function asTensors(values: readonly TensorLike[], dtype: DType): TensorLike[] {
  return values.map((v) => (isTensor(v) || isTensorConvertible(v) ? v : constant(v, { dtype })));
}
/** Int vector arguments (perm, begin, multiples...): JS arrays become int32. */
function intArg(v: TensorLike): TensorLike {
  if (!Array.isArray(v)) return v;
  if (v.every((x) => Number.isInteger(x))) return new Int32Array(v as number[]);
  // Non-integers stay float32, as Python's floats do, so that the op reports the dtype.
  if ((v.flat(Infinity) as unknown[]).some((x) => typeof x === "number" && !Number.isInteger(x))) return constant(v, { dtype: "float32" });
  return v;
}
const intScalar = (v: TensorLike): TensorLike => (typeof v === "number" ? constant(v, { dtype: "int32" }) : v);
const staticRank = (x: TensorLike): number | null =>
  isTensor(x) || isTensorConvertible(x) ? (x.shape === null ? null : x.shape.length) : inferShapeOf(x as HostValue).length;

const NUM_OUT = kind<number | null>("number | null");
const INT_TENSOR = kind<TensorLike>("number[] | TensorLike");

/** tf.transpose(a, perm=None, conjugate=False, name="transpose"): perm defaults to reversing the dims. */
export const transpose = defineFunction(
  signature(
    "transpose",
    "Permutes the dimensions; perm defaults to reversing them.",
    [param("a", T.tensor, "A tensor."), optional("perm", kind<TensorLike | null>("number[] | TensorLike | null"), "The permutation of the dimensions."), withDefault("conjugate", K.boolean, false, "Conjugate too (no complex dtypes: no effect)."), NAME],
    { args: () => [[[1, 2, 3], [4, 5, 6]], [1, 0]] },
  ),
  (a, permArg, _conjugate, name0): Tensor => {
    const name = name0 ?? "transpose";
    let perm: TensorLike;
    if (permArg !== undefined && permArg !== null) perm = intArg(permArg);
    else {
      const r = staticRank(a);
      if (r !== null) perm = new Int32Array(seq(0, r).reverse());
      else {
        const rk = execute1("Rank", [a]);
        perm = subtract(subtract(rk, 1), execute1("Range", [0, rk, 1]));
      }
    }
    return execute1("Transpose", [a, perm], {}, name);
  },
);

/** tf.squeeze(input, axis=None, name): removes dims of size 1 (only those in `axis` when given). */
export const squeeze = defineFunction(
  signature(
    "squeeze",
    "Removes dimensions of size 1 (only those in axis when given).",
    [INPUT, optional("axis", kind<number | number[] | null>("number | number[] | null"), "The dimensions to remove; absent: all of size 1."), NAME, optional("squeezeDims", kind<number | number[]>("number | number[]"), "TensorFlow 1's deprecated name for axis.")],
    { args: () => [[[1], [2]], 1] },
  ),
  (input, axis, name, squeezeDims) => {
    const ax = axis ?? squeezeDims ?? [];
    return execute1("Squeeze", [input], { squeeze_dims: typeof ax === "number" ? [ax] : ax }, name);
  },
);

const VALUES = param("values", T.tensors, "A list of tensors of one dtype.");

/** tf.concat(values, axis, name="concat"). */
export const concat = defineFunction(
  signature("concat", "Joins tensors along an existing axis.", [VALUES, param("axis", T.axisTensor, "The axis to join along."), NAME], { args: () => [[[[1, 2]], [[3, 4]]], 0] }),
  (values, axis, name0): Tensor => {
    const name = name0 ?? "concat";
    if (values.length === 0) throw new InvalidArgumentError("tf.concat: values must not be empty");
    const vals = asTensors(values, listDType(values));
    if (vals.length === 1) {
      // As TensorFlow does: one value is returned as is (after checking the axis against its rank).
      const r = staticRank(vals[0]);
      const ax = typeof axis === "number" ? axis : null;
      if (r !== null && ax !== null) concatShape([unknownShapeOfRank(r)], ax);
      return identity(vals[0], name);
    }
    return execute1("ConcatV2", [...vals, intScalar(axis)], { N: vals.length }, name);
  },
);

/** tf.stack(values, axis=0, name="stack"): packs tensors of one shape along a new axis. */
export const stack = defineFunction(
  signature("stack", "Packs tensors of one shape along a new axis.", [VALUES, withDefault("axis", T.axis, 0, "Where the new axis goes."), NAME], { args: () => [[[1, 2], [3, 4]], 1] }),
  (values, axis, name): Tensor => {
    if (values.length === 0) throw new InvalidArgumentError("tf.stack: values must not be empty");
    const vals = asTensors(values, listDType(values));
    return execute1("Pack", vals, { N: vals.length, axis }, name ?? "stack");
  },
);

/** tf.unstack(value, num=None, axis=0, name="unstack"): the slices of `value` along `axis`. */
export const unstack = defineFunction(
  signature(
    "unstack",
    "The slices of a tensor along an axis.",
    [param("value", T.tensor, "A tensor."), optional("num", NUM_OUT, "The number of slices; absent: the axis' size."), withDefault("axis", T.axis, 0, "The axis to unpack along."), NAME],
    { args: () => [[[1, 2], [3, 4]], 2, 1] },
  ),
  (value, numArg, axis, name): Tensor[] => {
    const v = isTensor(value) || isTensorConvertible(value) ? value : convertToTensor(value);
    let num = numArg ?? null;
    if (num === null) {
      const s = v.shape;
      if (s !== null) {
        if (axis < -s.length || axis >= s.length) throw new InvalidArgumentError(`tf.unstack: axis = ${axis} not in [${-s.length}, ${s.length}) for value of shape ${shapeStr(s)}`);
        num = s[axis < 0 ? axis + s.length : axis];
      }
      if (num === null) throw new InvalidArgumentError(`tf.unstack: Cannot infer argument \`num\` from shape ${shapeStr(s)}`);
    }
    // A copy: a graph op's own outputs list must not be reordered by the caller.
    return execute("Unpack", [v], { num, axis }, name ?? "unstack").slice();
  },
);

/**
 * tf.split(value, num_or_size_splits, axis=0, num=None, name="split"): a number splits evenly (Split),
 * a list of sizes (one may be -1) splits unevenly (SplitV).
 */
export const split = defineFunction(
  signature(
    "split",
    "Splits a tensor into pieces along an axis: evenly (a number) or by sizes (a list; one may be -1).",
    [
      param("value", T.tensor, "A tensor."),
      param("numOrSizeSplits", kind<number | TensorLike>("number | number[] | TensorLike"), "The number of equal pieces, or the pieces' sizes."),
      withDefault("axis", T.axisTensor, 0, "The axis to split along."),
      optional("num", NUM_OUT, "The number of pieces, when sizes are a tensor of unknown length."),
      NAME,
    ],
    { args: () => [[[1, 2, 3, 4]], [1, 3], 1] },
  ),
  (value, spec, axis, numArg, name0): Tensor[] => {
    const name = name0 ?? "split";
    if (typeof spec === "number") return execute("Split", [axis, value], { num_split: spec }, name).slice();
    const sizes = intArg(spec);
    let num = numArg ?? null;
    if (num === null) {
      const s = isTensor(sizes) ? sizes.shape : inferShapeOf(sizes as HostValue);
      if (s !== null && s.length === 0) throw new InvalidArgumentError(`tf.split: Rank-0 tensors are not supported as the num_or_size_splits argument to split. Argument provided: ${String(spec)}`);
      num = s === null ? null : s[0];
      if (num === null) throw new InvalidArgumentError(`tf.split: Cannot infer argument \`num\` from shape ${shapeStr(s)}`);
    }
    return execute("SplitV", [value, sizes, axis], { num_split: num }, name).slice();
  },
);

/** tf.slice(input_, begin, size, name="Slice"): size -1 takes the rest of a dim. */
export const slice = defineFunction(
  signature("slice", "A slice of a tensor: size -1 takes the rest of a dimension.", [INPUT, param("begin", INT_TENSOR, "The start of each dimension."), param("size", INT_TENSOR, "The length along each dimension (-1: the rest)."), NAME], {
    args: () => [[[1, 2, 3], [4, 5, 6]], [0, 1], [2, -1]],
  }),
  (input, begin, size, name) => execute1("Slice", [input, intArg(begin), intArg(size)], {}, name),
);

const MASK = <N extends string>(n: N, doc: string) => withDefault(n, K.int, 0, doc);
/**
 * tf.strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
 * new_axis_mask=0, shrink_axis_mask=0, var=None, name="StridedSlice"): Python's x[b:e:s, ..., None, i].
 */
export const stridedSlice = defineFunction(
  signature(
    "strided_slice",
    "Python's x[b:e:s, ..., None, i]: a strided slice with masks.",
    [
      INPUT,
      param("begin", INT_TENSOR, "The start of each dimension."),
      param("end", INT_TENSOR, "The end (exclusive) of each dimension."),
      optional("strides", kind<TensorLike | null>("number[] | TensorLike | null"), "The step of each dimension; absent: 1."),
      MASK("beginMask", "Bit i set: ignore begin[i] (start at the beginning)."),
      MASK("endMask", "Bit i set: ignore end[i] (run to the end)."),
      MASK("ellipsisMask", "Bit i set: position i is an ellipsis (...)."),
      MASK("newAxisMask", "Bit i set: position i inserts a new axis of size 1."),
      MASK("shrinkAxisMask", "Bit i set: position i takes one index and removes the dimension."),
      optional("var", kind<unknown>("unknown"), "The variable sliced (for sliced assignment in TensorFlow; unused here)."),
      NAME,
    ],
    { args: () => [[[1, 2, 3], [4, 5, 6]], [0, 0], [2, 3], [1, 2], 0, 0, 0, 0, 0] },
  ),
  (input, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask, _var, name) => {
    const b = intArg(begin);
    const st = strides ?? (isTensor(b) ? onesLike(b) : new Int32Array((b as Int32Array).length).fill(1));
    return execute1("StridedSlice", [input, b, intArg(end), intArg(st)], {
      begin_mask: beginMask,
      end_mask: endMask,
      ellipsis_mask: ellipsisMask,
      new_axis_mask: newAxisMask,
      shrink_axis_mask: shrinkAxisMask,
    }, name);
  },
);

/**
 * tf.gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name="GatherV2"), in Python's
 * order: the third positional argument is the deprecated validate_indices (ignored, as in TensorFlow), so
 * pass the axis by name: `tf.gather(x, i, { axis: 1 })`. axis defaults to batch_dims.
 */
export const gather = defineFunction(
  signature(
    "gather",
    "Slices of params at the given indices along an axis.",
    [
      param("params", T.tensor, "The tensor to gather from."),
      param("indices", INT_TENSOR, "The indices (integers)."),
      optional("validateIndices", kind<unknown>("unknown"), "Deprecated and ignored, as in TensorFlow: pass axis by name."),
      optional("axis", kind<TensorLike | null>("number | TensorLike | null"), "The axis to gather along; absent: batchDims."),
      withDefault("batchDims", K.int, 0, "The number of leading batch dimensions."),
      NAME,
    ],
    { args: () => [[[1, 2], [3, 4], [5, 6]], [2, 0], undefined, 0] },
  ),
  (params, indices, _validateIndices, axis, batchDims, name) => execute1("GatherV2", [params, intArg(indices), axis ?? batchDims], { batch_dims: batchDims }, name),
);

/** tf.math.unsorted_segment_sum(data, segment_ids, num_segments, name): sums of data rows per segment id. */
export const unsortedSegmentSum = defineFunction(
  signature(
    "math.unsorted_segment_sum",
    "Sums of the rows of data per segment id.",
    [param("data", T.tensor, "A tensor."), param("segmentIds", INT_TENSOR, "The segment of each row."), param("numSegments", T.tensor, "The number of segments."), NAME],
    { args: () => [[1, 2, 3], [0, 1, 0], 2] },
  ),
  (data, segmentIds, numSegments, name) => execute1("UnsortedSegmentSum", [data, intArg(segmentIds), numSegments], {}, name),
);

/** tf.tile(input, multiples, name="Tile"). */
export const tile = defineFunction(
  signature("tile", "The input repeated multiples[i] times along dimension i.", [INPUT, param("multiples", INT_TENSOR, "The repetitions per dimension."), NAME], { args: () => [[[1, 2]], [2, 1]] }),
  (input, multiples, name) => execute1("Tile", [input, intArg(multiples)], {}, name),
);

/**
 * tf.pad(tensor, paddings, mode="CONSTANT", constant_values=0, name): Pad (PadV2 when constant_values is
 * not 0), or MirrorPad for "REFLECT" and "SYMMETRIC" (case-insensitive, as in TensorFlow).
 */
export const pad = defineFunction(
  signature(
    "pad",
    "Pads a tensor: with a constant, or by mirroring (REFLECT, SYMMETRIC).",
    [
      param("tensor", T.tensor, "A tensor."),
      param("paddings", INT_TENSOR, "[before, after] for each dimension."),
      withDefault("mode", K.string, "CONSTANT", "CONSTANT, REFLECT or SYMMETRIC (case-insensitive)."),
      withDefault("constantValues", T.tensor, 0, "The value padded with in CONSTANT mode."),
      NAME,
    ],
    { args: () => [[[1, 2]], [[1, 0], [0, 1]], "CONSTANT", 9] },
  ),
  (tensor, paddings, modeArg, cv, name) => {
    const mode = modeArg.toUpperCase();
    if (mode === "CONSTANT") {
      if (!isTensor(cv) && !isTensorConvertible(cv) && cv === 0) return execute1("Pad", [tensor, paddings], {}, name);
      return execute1("PadV2", [tensor, paddings, cv], {}, name);
    }
    if (mode === "REFLECT" || mode === "SYMMETRIC") return execute1("MirrorPad", [tensor, paddings], { mode }, name);
    throw new InvalidArgumentError(`tf.pad: Unknown padding mode: ${modeArg}`);
  },
);

/**
 * tf.one_hot(indices, depth, on_value=1, off_value=0, axis=-1, dtype=None, name="one_hot"). The dtype is
 * `dtype`, else on_value's or off_value's, else float32.
 */
export const oneHot = defineFunction(
  signature(
    "one_hot",
    "One-hot vectors: on_value at each index, off_value elsewhere.",
    [
      param("indices", INT_TENSOR, "The indices (integers)."),
      param("depth", T.tensor, "The length of each one-hot vector."),
      optional("onValue", T.tensor, "The value at the index (default 1)."),
      optional("offValue", T.tensor, "The value elsewhere (default 0)."),
      withDefault("axis", T.axis, -1, "Where the new axis goes."),
      optional("dtype", T.dtype, "The dtype; absent: on_value's or off_value's, else float32."),
      NAME,
    ],
    { args: () => [[0, 2], 3, 5, -1, -1, "int32"] },
  ),
  (indices, depth, onValue, offValue, axis, dtypeArg, name) => {
    const isT = (v: TensorLike | undefined): v is Tensor | TensorConvertible => v !== undefined && (isTensor(v) || isTensorConvertible(v));
    const tensorD = isT(onValue) ? onValue.dtype : isT(offValue) ? offValue.dtype : null;
    const jsD = [onValue, offValue].filter((v) => v !== undefined).map((v) => inferDType(v as HostValue))[0] ?? null;
    const dtype = dtypeArg ?? tensorD ?? jsD ?? "float32";
    for (const [v, what] of [[onValue, "on_value"], [offValue, "off_value"]] as const) {
      if (isT(v) && v.dtype !== dtype) throw new InvalidArgumentError(`tf.one_hot: dtype ${v.dtype} of ${what} does not match dtype ${dtype}`);
    }
    const onV = isT(onValue) ? onValue : constant((onValue ?? 1) as HostValue, { dtype });
    const offV = isT(offValue) ? offValue : constant((offValue ?? 0) as HostValue, { dtype });
    return execute1("OneHot", [intArg(indices), depth, onV, offV], { axis }, name);
  },
);

const RANGE_ORDER: DType[] = ["int32", "int64", "float32", "float64"];
/**
 * tf.range(start, limit=None, delta=1, dtype=None, name="range"): tf.range(5) is [0, 1, 2, 3, 4]. Without a
 * dtype the result has the widest of the arguments' dtypes (int32 < int64 < float32 < float64), a JS number
 * counting as int32 when it is an integer and float32 otherwise (Python's int and float).
 */
export const range = defineFunction(
  signature(
    "range",
    "The numbers from start (inclusive) to limit (exclusive) by delta; range(n) is 0..n-1.",
    [
      param("start", T.tensor, "The first value (or the limit, when limit is absent)."),
      optional("limit", kind<TensorLike | null>("TensorLike | null"), "The end (exclusive)."),
      withDefault("delta", T.tensor, 1, "The step."),
      optional("dtype", T.dtype, "The dtype; absent: the widest of the arguments' (integers count as int32)."),
      NAME,
    ],
    { args: () => [1, 7, 2, "float32"] },
  ),
  (start, limit, d, dtypeArg, name) => {
    const [s, l]: TensorLike[] = limit === undefined || limit === null ? [0, start] : [start, limit];
    const dtypeOf = (v: TensorLike): DType =>
      isTensor(v) || isTensorConvertible(v) ? v.dtype : typeof v === "number" ? (Number.isInteger(v) ? "int32" : "float32") : inferDType(v as HostValue);
    const dtype = dtypeArg ?? [s, l, d].map(dtypeOf).reduce((a, b) => (RANGE_ORDER.indexOf(b) > RANGE_ORDER.indexOf(a) ? b : a));
    const conv = (v: TensorLike) => (isTensor(v) || isTensorConvertible(v) ? (v.dtype === dtype ? v : cast(v, dtype)) : constant(v, { dtype }));
    return execute1("Range", [conv(s), conv(l), conv(d)], { Tidx: dtype }, name ?? "range");
  },
);

/** tf.linspace(start, stop, num, name="LinSpace", axis=0): num evenly spaced values, both ends included. */
export const linspace = defineFunction(
  signature(
    "linspace",
    "num evenly spaced values from start to stop, both included.",
    [param("start", T.tensor, "The first value."), param("stop", T.tensor, "The last value."), param("num", T.tensor, "How many values."), NAME, withDefault("axis", T.axis, 0, "Only 0 (scalar start and stop) is supported.")],
    { args: () => [0, 1, 5] },
  ),
  (start, stop, num, name, axis) => {
    if (axis !== 0) throw new UnimplementedError("tf.linspace: only axis=0 (scalar start and stop) is supported");
    return execute1("LinSpace", [start, stop, intScalar(num)], {}, name);
  },
);

/** tf.size(input, out_type=int32, name="Size"). In a graph a fully known shape gives a constant, as in TensorFlow. */
export const size = defineFunction(
  signature("size", "The number of elements, as a tensor.", [INPUT, withDefault("outType", T.dtype, "int32", "int32 or int64."), NAME], { args: () => [[[1, 2, 3]], "int32"] }),
  (input, outType, name) => {
    if (!executingEagerly() && isTensor(input) && isFullyDefined(input.shape)) return constant(sizeOf(input.shape), { dtype: outType, name: name ?? "Size" });
    return execute1("Size", [input], { out_type: outType }, name);
  },
);

/** tf.rank(input, name="Rank"). In a graph a known rank gives a constant, as in TensorFlow. */
export const rank = defineFunction(signature("rank", "The number of dimensions, as a tensor.", [INPUT, NAME], { args: () => [[[1, 2, 3]]] }), (input, name) => {
  if (!executingEagerly() && isTensor(input) && input.shape !== null) return constant(input.shape.length, { dtype: "int32", name: name ?? "Rank" });
  return execute1("Rank", [input], {}, name);
});

/** tf.reverse(tensor, axis, name="ReverseV2"). */
export const reverse = defineFunction(
  signature("reverse", "Reverses the order along the given axes.", [param("tensor", T.tensor, "A tensor."), param("axis", kind<TensorLike>("number | number[] | TensorLike"), "The axes to reverse."), NAME], {
    args: () => [[[1, 2], [3, 4]], [1]],
  }),
  (tensor, axis, name) => execute1("ReverseV2", [tensor, typeof axis === "number" ? new Int32Array([axis]) : intArg(axis)], {}, name),
);

/** tf.math.invert_permutation(x, name="InvertPermutation"). */
export const invertPermutation = defineFunction(
  signature("math.invert_permutation", "The inverse of a permutation of 0..n-1.", [param("x", INT_TENSOR, "A permutation (integers)."), NAME], { args: () => [[2, 0, 1]] }),
  (x, name) => execute1("InvertPermutation", [intArg(x)], {}, name),
);
