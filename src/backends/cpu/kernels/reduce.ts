import { allocValues, DType, Values } from "../../../core/dtype.js";
import { normalizeAxis, sizeOf, stridesOf } from "../../../core/shape.js";
import type { Attrs } from "../../backend.js";
import { CpuTensor, KernelTable, out } from "../kernel.js";
import { ints } from "./util.js";

type Combine = "sum" | "prod" | "max" | "min" | "any" | "all";

/** Output offset of every input element (reduced axes get stride 0), plus the output shape. */
function reductionPlan(shape: readonly number[], axes: number[], keep: boolean) {
  const outShapeKept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStr = stridesOf(outShapeKept).map((s, i) => (axes.includes(i) ? 0 : s));
  const outShape = keep ? outShapeKept : shape.filter((_, i) => !axes.includes(i));
  return { outShape, outStr };
}

function reduce(x: CpuTensor, axesT: CpuTensor, attrs: Attrs, kind: Combine, mean = false): CpuTensor[] {
  const rank = x.shape.length;
  const axes = [...new Set(ints(axesT.values).map((a) => normalizeAxis(a, rank, "reduce")))];
  const { outShape, outStr } = reductionPlan(x.shape, axes, Boolean(attrs.keep_dims));
  const n = x.values.length;
  const m = sizeOf(outShape);
  const isBig = x.dtype === "int64";
  // Accumulate in float64 (or BigInt) and round once at the end, as TensorFlow's reductions do for float32.
  const acc: (number | bigint)[] = new Array(m);
  const init: number | bigint =
    kind === "sum" || kind === "any" ? (isBig ? 0n : 0) : kind === "prod" || kind === "all" ? (isBig ? 1n : 1) : kind === "max" ? -Infinity : Infinity;
  acc.fill(init);
  const xv = x.values as ArrayLike<number | bigint>;
  let o = 0;
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    const v = xv[i];
    const a = acc[o];
    switch (kind) {
      case "sum": acc[o] = (a as number) + (v as number); break;
      case "prod": acc[o] = (a as number) * (v as number); break;
      // NaN wins, as in TensorFlow.
      case "max": if (a === a && (v > a || v !== v)) acc[o] = v; break;
      case "min": if (a === a && (v < a || v !== v)) acc[o] = v; break;
      case "any": acc[o] = a || v ? 1 : 0; break;
      case "all": acc[o] = a && v ? 1 : 0; break;
    }
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      o += outStr[d];
      if (idx[d] < x.shape[d]) break;
      o -= outStr[d] * x.shape[d];
      idx[d] = 0;
    }
  }
  const count = m === 0 ? 0 : n / m;
  const dtype: DType = x.dtype;
  const res = allocValues(dtype, m) as Values;
  for (let i = 0; i < m; i++) {
    let v = acc[i];
    if (mean) v = isBig ? (v as bigint) / BigInt(count) : (v as number) / count;
    (res as unknown as (number | bigint)[])[i] = dtype === "int32" || dtype === "uint8" ? Math.trunc(v as number) : v;
  }
  return [out(dtype, outShape, res)];
}

export const reduceKernels: KernelTable = {
  Sum: ([x, a], attrs) => reduce(x, a, attrs, "sum"),
  Mean: ([x, a], attrs) => reduce(x, a, attrs, "sum", true),
  Prod: ([x, a], attrs) => reduce(x, a, attrs, "prod"),
  Max: ([x, a], attrs) => reduce(x, a, attrs, "max"),
  Min: ([x, a], attrs) => reduce(x, a, attrs, "min"),
  Any: ([x, a], attrs) => reduce(x, a, attrs, "any"),
  All: ([x, a], attrs) => reduce(x, a, attrs, "all"),
  AddN: (inputs) => {
    const first = inputs[0];
    const n = first.values.length;
    const o = allocValues(first.dtype, n) as Float64Array;
    if (first.dtype === "int64") {
      const ob = o as unknown as BigInt64Array;
      for (const t of inputs) for (let i = 0; i < n; i++) ob[i] += (t.values as BigInt64Array)[i];
    } else {
      for (const t of inputs) {
        const v = t.values as Float64Array;
        for (let i = 0; i < n; i++) o[i] += v[i];
      }
    }
    return [out(first.dtype, first.shape, o)];
  },
};
