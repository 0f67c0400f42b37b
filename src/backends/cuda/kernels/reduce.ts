import { bytesPerElement, DType } from "../../../core/dtype.js";
import { normalizeAxis, sizeOf } from "../../../core/shape.js";
import type { CudaHandle } from "../handle.js";
import type { CudaKernelDef, CudaKernelTable, KernelContext } from "../kernel.js";
import { columnSumSource, reduceAccBytes, ReduceKind, reduceSource } from "../sources/reduce.js";
import { storageType } from "../translate.js";
import { fillConst } from "./elementwise.js";
import { FLOATS, hostInts, idx64, NARROW, NUMERIC } from "./util.js";

/**
 * The reduce family on the GPU: Sum, Mean, Max, Min, Prod, Any, All as passes over [outer, R, inner] views,
 * and column sums of few columns (BiasAddGrad, the filter gradient's partial results). Sources: sources/reduce.ts.
 */

/** Splits a reduction into passes over [outer, R, inner] views (adjacent reduced dims merged). */
export function reductionPasses(shape: readonly number[], axes: readonly number[]): { outer: number; R: number; inner: number }[] {
  const groups: { size: number; reduced: boolean }[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const reduced = axes.includes(i);
    const last = groups[groups.length - 1];
    if (last && last.reduced === reduced) last.size *= d;
    else groups.push({ size: d, reduced });
  });
  // Innermost reduced group first; each pass leaves the tensor with that group gone.
  const passes: { outer: number; R: number; inner: number }[] = [];
  for (let g = groups.length - 1; g >= 0; g--) {
    if (!groups[g].reduced) continue;
    const outer = groups.slice(0, g).reduce((p, x) => p * x.size, 1);
    const inner = groups.slice(g + 1).reduce((p, x) => p * x.size, 1);
    passes.push({ outer, R: groups[g].size, inner });
    groups.splice(g, 1);
  }
  return passes;
}

/** The numeric dtypes and the 16-bit floats (accumulated in double, compared in float). */
const REDUCIBLE: ReadonlySet<DType> = new Set([...NUMERIC, ...NARROW]);
const REDUCE_DTYPES: Record<ReduceKind, ReadonlySet<DType>> = {
  sum: REDUCIBLE,
  mean: REDUCIBLE,
  prod: REDUCIBLE,
  max: REDUCIBLE,
  min: REDUCIBLE,
  any: new Set(["bool"]),
  all: new Set(["bool"]),
};

function reduceKernel(kind: ReduceKind): CudaKernelDef {
  return {
    host: [1],
    supports: (d) => REDUCE_DTYPES[kind].has(d[0]),
    run: (b, [x, axesH], attrs) => {
      const rank = x.shape.length;
      const axes = [...new Set(hostInts(b, axesH).map((a) => normalizeAxis(a, rank, kind)))];
      const keep = attrs.keep_dims as boolean;
      const outShape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
      const n = sizeOf(x.shape);
      if (n === 0) {
        // Empty inputs give the identity (TensorFlow's): filled here, so that a step with one (the mean's
        // gradient takes the product of a scalar's empty shape) stays on the GPU. max/min: the CPU's.
        const id = { sum: 0, prod: 1, any: 0, all: 1, mean: FLOATS.has(x.dtype) || NARROW.has(x.dtype) ? Number.NaN : null, max: null, min: null }[kind];
        return id === null ? null : [fillConst(b, x.dtype, outShape, id, kind)];
      }
      if (axes.every((a) => x.shape[a] === 1)) return [b.alias(x, outShape)];
      const passes = reductionPasses(x.shape, axes);
      const count = n / sizeOf(outShape);
      let cur: CudaHandle = x;
      passes.forEach((p, i) => {
        const last = i === passes.length - 1;
        // Mean over several groups: sums first, the division by the whole count in the last pass.
        const k: ReduceKind = kind === "mean" && !last ? "sum" : kind;
        const next = reducePass(b, cur, k, p, last ? outShape : [p.outer * p.inner], last ? count : 1);
        if (cur !== x) b.dispose(cur);
        cur = next;
      });
      return [cur];
    },
  };
}

export function reducePass(
  b: KernelContext,
  x: CudaHandle,
  kind: ReduceKind,
  p: { outer: number; R: number; inner: number },
  outShape: readonly number[],
  count: number,
  noColumnSums = false,
): CudaHandle {
  const { outer, R, inner } = p;
  const i64 = idx64(outer * R * inner);
  const key = `red.${kind}.${x.dtype}.${i64 ? 64 : 32}`;
  const src = () => reduceSource(kind, x.dtype, i64);
  const out = b.empty(x.dtype, outShape, kind);
  const sms = b.ctx.info.multiprocessors;
  const I = (v: number) => (i64 ? b.ctx.argI64(v) : b.ctx.argI32(v));
  if (inner === 1) {
    const block = R >= 1024 ? 256 : R >= 128 ? 128 : 32;
    if (outer >= sms * 2 || R < 16384) {
      const fn = b.fn(key, "red_rows", src);
      b.ctx.argPtr(x.ptr).argPtr(out.ptr);
      I(outer);
      I(R);
      b.ctx.argF64(count);
      b.launch(fn, Math.min(outer, sms * 32), block);
      return out;
    }
    // Few long rows: split each row over several blocks, then reduce the partial results.
    const splits = Math.min(Math.ceil(R / 4096), Math.ceil((sms * 8) / outer), 1024);
    const seg = Math.ceil(R / splits);
    const part = b.empty(x.dtype, [Math.ceil((outer * splits * reduceAccBytes(kind, x.dtype)) / bytesPerElement(x.dtype))], kind);
    const f1 = b.fn(key, "red_rows_p", src);
    b.ctx.argPtr(x.ptr).argPtr(part.ptr);
    I(outer);
    I(R);
    I(seg);
    b.launch(f1, outer, 256, splits);
    const f2 = b.fn(key, "red_rows_acc", src);
    b.ctx.argPtr(part.ptr).argPtr(out.ptr);
    I(outer);
    I(splits);
    b.ctx.argF64(count);
    b.launch(f2, Math.min(outer, sms * 32), splits >= 256 ? 256 : 32);
    b.dispose(part);
    return out;
  }
  const total = outer * inner;
  // Few columns over many rows (BiasAddGrad, a bias's gradient): per-block sums with coalesced loads, then
  // the blocks' sums in order (columnSums).
  if (outer === 1 && kind === "sum" && inner <= 256 && R >= 256 && !noColumnSums) {
    b.dispose(out);
    const cs = columnSums(b, x, R, inner, outShape);
    if (cs) return cs;
    return reducePass(b, x, kind, p, outShape, count, true);
  }
  if (total >= sms * 512 || R < 64) {
    const fn = b.fn(key, "red_cols", src);
    b.ctx.argPtr(x.ptr).argPtr(out.ptr);
    I(outer);
    I(R);
    I(inner);
    b.ctx.argF64(count);
    b.launch(fn, b.grid(total));
    return out;
  }
  // Few long columns: split R, then reduce the [outer, splits, inner] partial results.
  const splits = Math.min(Math.ceil(R / 32), Math.ceil((sms * 1024) / total), 1024);
  const seg = Math.ceil(R / splits);
  const part = b.empty(x.dtype, [Math.ceil((outer * splits * inner * reduceAccBytes(kind, x.dtype)) / bytesPerElement(x.dtype))], kind);
  const f1 = b.fn(key, "red_cols_p", src);
  b.ctx.argPtr(x.ptr).argPtr(part.ptr);
  I(outer);
  I(R);
  I(inner);
  I(seg);
  b.launch(f1, b.grid(total), 256, splits);
  const f2 = b.fn(key, "red_cols_acc", src);
  b.ctx.argPtr(part.ptr).argPtr(out.ptr);
  I(outer);
  I(splits);
  I(inner);
  b.ctx.argF64(count);
  b.launch(f2, b.grid(total));
  b.dispose(part);
  return out;
}

/**
 * out[c] = sum over rows of x viewed as [R, C], for few columns (C <= 256, float types): per-block sums
 * with coalesced loads, in double, then the blocks' sums added in order. Returns null when it does not apply.
 */
function columnSums(b: KernelContext, x: CudaHandle, R: number, C: number, outShape: readonly number[]): CudaHandle | null {
  if (C > 256 || C < 1 || !FLOATS.has(x.dtype)) return null;
  const out = b.empty(x.dtype, outShape, "Sum");
  const blocks = Math.max(1, Math.min(b.ctx.info.multiprocessors * 2, Math.ceil(R / 64)));
  const rowsPerBlock = Math.ceil(R / blocks);
  const part = b.empty("float64", [blocks * C], "Sum");
  b.ctx.argPtr(x.ptr).argPtr(part.ptr).argI64(R).argI32(C).argI64(rowsPerBlock);
  b.launch(columnSumFn(b, x.dtype, "colsum"), blocks, 256);
  sumPartials(b, part, out, blocks, C);
  b.dispose(part);
  return out;
}

/** out[m] = sum over k < blocks of part[k][m] (double), in order. */
export function sumPartials(b: KernelContext, part: CudaHandle, out: CudaHandle, blocks: number, M: number): void {
  b.ctx.argPtr(part.ptr).argPtr(out.ptr).argI32(blocks).argI32(M);
  b.launch(columnSumFn(b, out.dtype, "sum_partials"), b.grid(M * 32));
}

function columnSumFn(b: KernelContext, dtype: DType, name: string) {
  return b.fn(`colsum.${dtype}`, name, () => columnSumSource(storageType(dtype)));
}

export const reduceKernels: CudaKernelTable = {
  Sum: reduceKernel("sum"),
  Mean: reduceKernel("mean"),
  Max: reduceKernel("max"),
  Min: reduceKernel("min"),
  Prod: reduceKernel("prod"),
  Any: reduceKernel("any"),
  All: reduceKernel("all"),
};
