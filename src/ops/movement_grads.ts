import { UnimplementedError } from "../core/errors.js";
import { isFullyDefined, sizeOf } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import type { Attrs } from "../core/schema/types.js";
import { TensorLike } from "../core/tensor_like.js";
import { execute, execute1 } from "./dispatch.js";
import { currentExecutor } from "./executor.js";
import { valuesToInts } from "../core/schema/infer_util.js";
import { defineGradients, GradOp } from "./registry.js";
import { cast } from "./cast.js";
import { add, floormod, greaterEqual, maximum, multiply, subtract } from "./elementwise.js";
import { reduceProd, reduceSum } from "./reduce.js";
import { unbroadcast as unbroadcastTo } from "./grad_util.js";
import { seq } from "./array_args.js";
import { constant, fill, onesLike, where, zerosLike } from "./creation.js";
import { shape } from "./shape.js";
import { concat, gather, reshape, slice, stack, stridedSlice, transpose, unsortedSegmentSum } from "./movement.js";

/**
 * Gradients of the movement ops (ops/movement.ts), written with the public functions.
 */

defineGradients({
  Reshape: (op, [dy]) => [reshape(dy, shape(op.inputs[0])), null],
  StopGradient: null,
  BroadcastTo: (op, [dy]) => [unbroadcastTo(dy, op.inputs[0]), null],
  ExpandDims: (op, [dy]) => [reshape(dy, shape(op.inputs[0])), null],
});

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
  if (rp === null || ri === null)
    throw new UnimplementedError(`The gradient of GatherV2 with axis ${axis} and batch_dims ${b} needs the ranks of params and indices`);
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
    return reshape(
      reduceSum(
        reshape(dy, new Int32Array(split)),
        xs.map((_, i) => 2 * i),
      ),
      new Int32Array(xs),
    );
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
    return slice(
      dy,
      x.shape.map((_, i) => pads[2 * i]),
      x.shape,
    );
  }
  const r = x.rank;
  const before = r !== null ? slice(p, [0, 0], [r, 1]) : execute1("Slice", [p, new Int32Array([0, 0]), stack([execute1("Rank", [x]), 1])]);
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
  // Each data tensor's rows come from the rows of dy its indices name (a row written twice gets its gradient
  // twice, as TensorFlow's gradient does).
  DynamicStitch: (op, [dy]) => {
    const n = op.inputs.length / 2;
    return [...new Array<null>(n).fill(null), ...op.inputs.slice(0, n).map((idx) => gather(dy, idx))];
  },
  UnsortedSegmentSum: (op, [dy]) => [segmentSumGrad(op, dy), null, null],
  Tile: (op, [dy]) => [tileGrad(op, dy), null],
  Pad: (op, [dy]) => [padGrad(op, dy), null],
  PadV2: (op, [dy]) => [padGrad(op, dy), null, null],
  MirrorPad: (op, [dy]) => [execute1("MirrorPadGrad", [dy, op.inputs[1]], { mode: op.attrs.mode }), null],
  MirrorPadGrad: (op, [ddy]) => [execute1("MirrorPad", [ddy, op.inputs[1]], { mode: op.attrs.mode }), null],
  OneHot: null,
  // Keras fit's batch of data rows: nothing upstream of it is trained (as TensorFlow's IteratorGetNext).
  GatherTableRow: null,
  Range: null,
  LinSpace: linspaceGrad,
  ReverseV2: (op, [dy]) => [execute1("ReverseV2", [dy, op.inputs[1]]), null],
});
