import { allocValues, DType } from "../../../core/dtype.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { normalizeAxis, sizeOf, stridesOf } from "../../../core/shape.js";
import type { Attrs } from "../../../core/schema/types.js";
import { aliasOf, CpuTensor, KernelTable, out } from "../kernel.js";
import { gemv } from "../blas_ops.js";
import { ints } from "./util.js";
import { isFloating } from "../../../core/dtype.js";

/**
 * Reductions on the CPU: Sum, Mean, Max, ... over axes, ArgMax/ArgMin, the scans Cumsum/Cumprod, and
 * L2Loss (half the sum of squares).
 */

type Combine = "sum" | "prod" | "max" | "min" | "any" | "all";

/** Output stride of every input axis (0 on reduced axes), plus the output shape. */
function reductionPlan(shape: readonly number[], axes: number[], keep: boolean) {
  const outShapeKept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStr = stridesOf(outShapeKept).map((s, i) => (axes.includes(i) ? 0 : s));
  const outShape = keep ? outShapeKept : shape.filter((_, i) => !axes.includes(i));
  return { outShape, outStr };
}

/** Smallest and largest values of an integer dtype: what TensorFlow's Max/Min give over an empty range. */
function intLimits(dtype: DType): [number, number] {
  return dtype === "uint8" || dtype === "bool" ? [0, 255] : [-2147483648, 2147483647];
}

/**
 * One row of the input (its innermost axis) folded into the accumulators: `step` is 1 when the innermost
 * axis is kept (each element has its own accumulator) and 0 when it is reduced (one accumulator).
 */
type RowFold = (x: ArrayLike<number>, xi: number, acc: Float64Array, o: number, n: number, step: number) => void;

const FOLDS: Record<Combine, RowFold> = {
  sum: (x, xi, acc, o, n, step) => {
    if (step === 0) {
      let s = acc[o];
      for (let j = 0; j < n; j++) s += x[xi + j];
      acc[o] = s;
    } else for (let j = 0; j < n; j++) acc[o + j] += x[xi + j];
  },
  prod: (x, xi, acc, o, n, step) => {
    for (let j = 0; j < n; j++) acc[o + j * step] *= x[xi + j];
  },
  // NaN wins, as in TensorFlow.
  max: (x, xi, acc, o, n, step) => {
    for (let j = 0; j < n; j++) {
      const a = acc[o + j * step];
      const v = x[xi + j];
      if (v > a || v !== v) acc[o + j * step] = a !== a ? a : v;
    }
  },
  min: (x, xi, acc, o, n, step) => {
    for (let j = 0; j < n; j++) {
      const a = acc[o + j * step];
      const v = x[xi + j];
      if (v < a || v !== v) acc[o + j * step] = a !== a ? a : v;
    }
  },
  any: (x, xi, acc, o, n, step) => {
    for (let j = 0; j < n; j++) if (x[xi + j]) acc[o + j * step] = 1;
  },
  all: (x, xi, acc, o, n, step) => {
    for (let j = 0; j < n; j++) if (!x[xi + j]) acc[o + j * step] = 0;
  },
};

/** Walks the input row by row, calling `row(inputOffset, outputOffset)`; the output offset follows outStr. */
function forEachRow(shape: readonly number[], outStr: readonly number[], row: (xi: number, o: number) => void): void {
  const rank = shape.length;
  const inner = rank === 0 ? 1 : shape[rank - 1];
  const n = sizeOf(shape);
  if (n === 0) return;
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let o = 0;
  for (let xi = 0; xi < n; xi += inner) {
    row(xi, o);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      o += outStr[d];
      if (idx[d] < shape[d]) break;
      o -= outStr[d] * shape[d];
      idx[d] = 0;
    }
  }
}

function reduceAxes(x: CpuTensor, axesT: CpuTensor, op: string): number[] {
  const rank = x.shape.length;
  return [...new Set(ints(axesT.values).map((a) => normalizeAxis(a, rank, op)))];
}

const onesCache = new Map<string, Float32Array | Float64Array>();
function ones(dtype: DType, n: number): Float32Array | Float64Array {
  const key = `${dtype}:${n}`;
  let v = onesCache.get(key);
  if (!v) {
    v = (dtype === "float64" ? new Float64Array(n) : new Float32Array(n)).fill(1);
    if (onesCache.size > 64) onesCache.clear();
    onesCache.set(key, v);
  }
  return v;
}

/**
 * Sums over a leading or trailing block of axes are matrix-vector products with a vector of ones:
 * [R, C] summed over rows (bias gradients) or columns, through BLAS when it is loaded.
 */
function sumByGemv(x: CpuTensor, axes: number[], outShape: number[], mean: boolean): CpuTensor | null {
  const rank = x.shape.length;
  if (!isFloating(x.dtype) || axes.length === 0 || axes.length === rank) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  const leading = sorted.every((a, i) => a === i);
  const trailing = sorted.every((a, i) => a === rank - axes.length + i);
  if (!leading && !trailing) return null;
  const reduced = sizeOf(sorted.map((a) => x.shape[a]));
  const kept = x.values.length / Math.max(reduced, 1);
  const res = allocValues(x.dtype, kept) as Float32Array | Float64Array;
  const xv = x.values as Float32Array | Float64Array;
  const alpha = mean ? 1 / reduced : 1;
  if (leading) gemv(true, reduced, kept, alpha, xv, 0, kept, ones(x.dtype, reduced), 0, 0, res, 0);
  else gemv(false, kept, reduced, alpha, xv, 0, reduced, ones(x.dtype, reduced), 0, 0, res, 0);
  return out(x.dtype, outShape, res);
}

function reduce(x: CpuTensor, axesT: CpuTensor, attrs: Attrs, kind: Combine, op: string, mean = false): CpuTensor[] {
  const rank = x.shape.length;
  const axes = reduceAxes(x, axesT, op);
  const { outShape, outStr } = reductionPlan(x.shape, axes, Boolean(attrs.keep_dims));
  // Reducing only over axes of size 1 changes no value: share the input's buffer.
  if (axes.every((a) => x.shape[a] === 1)) return [aliasOf(x, outShape)];
  // An empty input reduces to the identity of the fold (a mean to NaN) on the generic path, not through gemv.
  if (kind === "sum" && x.values.length > 0) {
    const fast = sumByGemv(x, axes, outShape, mean);
    if (fast) return [fast];
  }
  const m = sizeOf(outShape);
  const n = x.values.length;
  const count = m === 0 ? 0 : n / m;
  const dtype = x.dtype;
  if (dtype === "int64") return [out(dtype, outShape, reduceBig(x, outStr, m, kind, mean, count))];

  // Accumulate in float64 and round once at the end, as TensorFlow's reductions do for float32.
  const init = kind === "sum" || kind === "any" ? 0 : kind === "prod" || kind === "all" ? 1 : kind === "max" ? -Infinity : Infinity;
  const acc = new Float64Array(m).fill(init);
  const inner = rank === 0 ? 1 : x.shape[rank - 1];
  const step = rank === 0 ? 0 : outStr[rank - 1];
  const xv = x.values as ArrayLike<number>;
  const isInt = dtype === "int32" || dtype === "uint8";
  let fold = FOLDS[kind];
  // Integer products wrap around as TensorFlow's do, instead of losing precision in a double.
  if (kind === "prod" && dtype === "int32") {
    fold = (xa, xi, a, o, len, st) => {
      for (let j = 0; j < len; j++) a[o + j * st] = Math.imul(a[o + j * st], xa[xi + j]);
    };
  } else if (kind === "prod" && dtype === "uint8") {
    fold = (xa, xi, a, o, len, st) => {
      for (let j = 0; j < len; j++) a[o + j * st] = (a[o + j * st] * xa[xi + j]) & 255;
    };
  }
  forEachRow(x.shape, outStr, (xi, o) => fold(xv, xi, acc, o, inner, step));

  const res = allocValues(dtype, m) as Float64Array;
  const [lo, hi] = isInt ? intLimits(dtype) : [0, 0];
  for (let i = 0; i < m; i++) {
    let v = acc[i];
    if (mean) v = v / count;
    if (isInt) v = v === -Infinity ? lo : v === Infinity ? hi : Math.trunc(v);
    res[i] = v;
  }
  return [out(dtype, outShape, res)];
}

function reduceBig(x: CpuTensor, outStr: number[], m: number, kind: Combine, mean: boolean, count: number): BigInt64Array {
  const acc = new BigInt64Array(m);
  const init = kind === "sum" ? 0n : kind === "prod" ? 1n : kind === "max" ? -(1n << 63n) : (1n << 63n) - 1n;
  acc.fill(init);
  const xv = x.values as BigInt64Array;
  const rank = x.shape.length;
  const inner = rank === 0 ? 1 : x.shape[rank - 1];
  const step = rank === 0 ? 0 : outStr[rank - 1];
  forEachRow(x.shape, outStr, (xi, o) => {
    for (let j = 0; j < inner; j++) {
      const k = o + j * step;
      const v = xv[xi + j];
      switch (kind) {
        case "sum":
          acc[k] += v;
          break;
        case "prod":
          acc[k] *= v;
          break;
        case "max":
          if (v > acc[k]) acc[k] = v;
          break;
        case "min":
          if (v < acc[k]) acc[k] = v;
          break;
        default:
          throw new InvalidArgumentError(`reduction ${kind} does not support int64`);
      }
    }
  });
  if (mean && count > 0) for (let i = 0; i < m; i++) acc[i] /= BigInt(count);
  return acc;
}

/** [outer, len, inner] of a tensor around one axis: the axis is strided by `inner`. */
function aroundAxis(shape: readonly number[], axis: number): [number, number, number] {
  const outer = sizeOf(shape.slice(0, axis));
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  return [outer, len, inner];
}

function scalarAxis(t: CpuTensor, rank: number, op: string): number {
  if (t.values.length !== 1) throw new InvalidArgumentError(`${op}: axis must be a scalar, got shape [${t.shape}]`);
  const a = ints(t.values)[0];
  if (a < -rank || a >= rank) throw new InvalidArgumentError(`${op}: Expected axis in the range [${-rank}, ${rank}), but got ${a}`);
  return a < 0 ? a + rank : a;
}

function argReduce(x: CpuTensor, dim: CpuTensor, attrs: Attrs, isMax: boolean): CpuTensor {
  const op = isMax ? "ArgMax" : "ArgMin";
  const rank = x.shape.length;
  const axis = scalarAxis(dim, rank, op);
  const [outer, len, inner] = aroundAxis(x.shape, axis);
  if (len === 0) throw new InvalidArgumentError(`${op}: Reduction axis ${axis} is empty in shape [${x.shape}]`);
  const outType = attrs.output_type as DType;
  const shape = x.shape.filter((_, i) => i !== axis);
  const res = new Int32Array(outer * inner);
  const xv = x.values as ArrayLike<number | bigint>;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let best = xv[base];
      let bi = 0;
      // First index wins on ties; a NaN is taken as the extreme (and the first NaN is kept).
      if (best === best) {
        for (let k = 1; k < len; k++) {
          const v = xv[base + k * inner];
          if (v !== v) {
            best = v;
            bi = k;
            break;
          }
          if (isMax ? v > best : v < best) {
            best = v;
            bi = k;
          }
        }
      }
      res[o * inner + i] = bi;
    }
  }
  if (outType === "int32") return out("int32", shape, res);
  return out(
    "int64",
    shape,
    BigInt64Array.from(res, (v) => BigInt(v)),
  );
}

function scanKernel(x: CpuTensor, axisT: CpuTensor, attrs: Attrs, isProd: boolean): CpuTensor {
  const op = isProd ? "Cumprod" : "Cumsum";
  const rank = x.shape.length;
  if (rank === 0) throw new InvalidArgumentError(`${op}: input must be at least rank 1, got a scalar`);
  const axis = scalarAxis(axisT, rank, op);
  const exclusive = Boolean(attrs.exclusive);
  const reverse = Boolean(attrs.reverse);
  const [outer, len, inner] = aroundAxis(x.shape, axis);
  const o = allocValues(x.dtype, x.values.length);
  const start = reverse ? len - 1 : 0;
  const dir = reverse ? -1 : 1;
  if (x.dtype === "int64") {
    const xv = x.values as BigInt64Array;
    const ov = o as BigInt64Array;
    for (let b = 0; b < outer; b++)
      for (let i = 0; i < inner; i++) {
        let acc = isProd ? 1n : 0n;
        for (let s = 0, k = start; s < len; s++, k += dir) {
          const idx = (b * len + k) * inner + i;
          if (exclusive) {
            ov[idx] = acc;
            acc = isProd ? acc * xv[idx] : acc + xv[idx];
          } else {
            acc = isProd ? acc * xv[idx] : acc + xv[idx];
            ov[idx] = acc;
          }
        }
      }
    return out(x.dtype, x.shape, ov);
  }
  const xv = x.values as ArrayLike<number>;
  const ov = o as Float64Array;
  const int32Prod = isProd && x.dtype === "int32";
  for (let b = 0; b < outer; b++)
    for (let i = 0; i < inner; i++) {
      let acc = isProd ? 1 : 0;
      for (let s = 0, k = start; s < len; s++, k += dir) {
        const idx = (b * len + k) * inner + i;
        if (exclusive) ov[idx] = acc;
        const v = xv[idx];
        acc = isProd ? (int32Prod ? Math.imul(acc, v) : acc * v) : acc + v;
        if (!exclusive) ov[idx] = acc;
        // Integer sums wrap as the stored values do.
        if (x.dtype === "int32") acc |= 0;
        else if (x.dtype === "uint8") acc &= 255;
      }
    }
  return out(x.dtype, x.shape, ov);
}

export const reduceKernels: KernelTable = {
  Sum: ([x, a], attrs) => reduce(x, a, attrs, "sum", "Sum"),
  Mean: ([x, a], attrs) => reduce(x, a, attrs, "sum", "Mean", true),
  Prod: ([x, a], attrs) => reduce(x, a, attrs, "prod", "Prod"),
  Max: ([x, a], attrs) => reduce(x, a, attrs, "max", "Max"),
  Min: ([x, a], attrs) => reduce(x, a, attrs, "min", "Min"),
  Any: ([x, a], attrs) => reduce(x, a, attrs, "any", "Any"),
  All: ([x, a], attrs) => reduce(x, a, attrs, "all", "All"),
  ArgMax: ([x, d], attrs) => [argReduce(x, d, attrs, true)],
  ArgMin: ([x, d], attrs) => [argReduce(x, d, attrs, false)],
  Cumsum: ([x, a], attrs) => [scanKernel(x, a, attrs, false)],
  Cumprod: ([x, a], attrs) => [scanKernel(x, a, attrs, true)],
  L2Loss: ([x]) => {
    const v = x.values as ArrayLike<number>;
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * v[i];
    const o = allocValues(x.dtype, 1) as Float64Array;
    o[0] = s / 2;
    return [out(x.dtype, [], o)];
  },
};
