import { allocValues, DType, tfName, Values } from "../../../core/dtype.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { broadcastShapes, sameShape, shapeStr, sizeOf, stridesOf } from "../../../core/shape.js";
import {
  checkPermutation, concatShape, gatherShape, oneHotShape, packShape, padShape, rangeSize, reverseAxes, segmentSumShape,
  sliceShape, splitShape, splitVShapes, squeezeShape, stridedSliceSpec, StridedSliceMasks, tileShape, transposeShape, unpackShape,
} from "../../../ops/array_shapes.js";
import { aliasOf, CpuTensor, KernelTable, out } from "../kernel.js";
import { broadcastOffsets, castValues, filledValues, ints } from "./util.js";

function reshapeTarget(total: number, req: number[]): number[] {
  const known = req.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const shape = req.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
  if (sizeOf(shape) !== total || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidArgumentError(`Input to reshape is a tensor with ${total} values, but the requested shape is [${req}]`);
  }
  return shape;
}

export const arrayKernels: KernelTable = {
  Identity: ([x]) => [aliasOf(x)],
  StopGradient: ([x]) => [aliasOf(x)],
  Reshape: ([x, s]) => [aliasOf(x, reshapeTarget(x.values.length, ints(s.values)))],
  Cast: ([x], attrs) => [out(attrs.DstT as DType, x.shape, castValues(x.values, x.dtype, attrs.DstT as DType))],
  Shape: ([x], attrs) => {
    const t = (attrs.out_type as DType) ?? "int32";
    return [out(t, [x.shape.length], castValues(Int32Array.from(x.shape), "int32", t))];
  },
  Size: ([x], attrs) => {
    const t = (attrs.out_type as DType) ?? "int32";
    return [out(t, [], castValues(Int32Array.of(x.values.length), "int32", t))];
  },
  Rank: ([x]) => [out("int32", [], Int32Array.of(x.shape.length))],
  ZerosLike: ([x]) => [out(x.dtype, x.shape, filledValues(x.dtype, x.values.length, x.dtype === "string" ? "" : 0))],
  OnesLike: ([x]) => [out(x.dtype, x.shape, filledValues(x.dtype, x.values.length, 1))],
  Fill: ([dims, v]) => {
    const shape = ints(dims.values);
    return [out(v.dtype, shape, filledValues(v.dtype, sizeOf(shape), v.values[0] as number))];
  },
  SelectV2: ([c, t, e]) => {
    const s1 = broadcastShapes(t.shape as number[], e.shape as number[]);
    const s = s1 === "incompatible" ? s1 : broadcastShapes(c.shape as number[], s1);
    if (s === "incompatible" || s === null) throw new InvalidArgumentError(`SelectV2: shapes [${c.shape}], [${t.shape}], [${e.shape}] do not broadcast`);
    const shape = s as number[];
    const n = sizeOf(shape);
    const o = allocValues(t.dtype, n) as Float64Array;
    const co = broadcastOffsets(c.shape, shape);
    const to = broadcastOffsets(t.shape, shape);
    const eo = broadcastOffsets(e.shape, shape);
    const cv = c.values as Uint8Array;
    const tv = t.values as Float64Array;
    const ev = e.values as Float64Array;
    for (let i = 0; i < n; i++) o[i] = cv[co[i]] ? tv[to[i]] : ev[eo[i]];
    return [out(t.dtype, shape, o)];
  },
  BroadcastTo: ([x, s]) => {
    const shape = ints(s.values);
    const n = sizeOf(shape);
    const o = allocValues(x.dtype, n) as Float64Array;
    const offs = broadcastOffsets(x.shape, shape);
    const xv = x.values as Float64Array;
    for (let i = 0; i < n; i++) o[i] = xv[offs[i]];
    return [out(x.dtype, shape, o)];
  },
  ExpandDims: ([x, d]) => {
    const r = x.shape.length;
    let a = ints(d.values)[0];
    if (a < 0) a += r + 1;
    const shape = x.shape.slice();
    shape.splice(a, 0, 1);
    return [aliasOf(x, shape)];
  },
  BroadcastGradientArgs: ([s0, s1]) => {
    const a = ints(s0.values);
    const b = ints(s1.values);
    const n = Math.max(a.length, b.length);
    const pa = [...new Array(n - a.length).fill(1), ...a];
    const pb = [...new Array(n - b.length).fill(1), ...b];
    const r0: number[] = [];
    const r1: number[] = [];
    for (let i = 0; i < n; i++) {
      if (pa[i] === pb[i]) continue;
      if (pa[i] === 1) r0.push(i);
      else if (pb[i] === 1) r1.push(i);
      else throw new InvalidArgumentError(`Incompatible shapes: [${a}] vs. [${b}]`);
    }
    return [out("int32", [r0.length], Int32Array.from(r0)), out("int32", [r1.length], Int32Array.from(r1))];
  },
};

export const debugKernels: KernelTable = {
  CheckNumerics: ([x], attrs) => {
    const v = x.values as Float64Array;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) {
        throw new InvalidArgumentError(`${String(attrs.message ?? "")} : Tensor had ${Number.isNaN(v[i]) ? "NaN" : "Inf"} values`);
      }
    }
    return [aliasOf(x)];
  },
};
