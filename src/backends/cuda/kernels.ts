import { bytesPerElement, DType } from "../../core/dtype.js";
import { InternalError, InvalidArgumentError } from "../../core/errors.js";
import { broadcastShapes, normalizeAxis, sizeOf } from "../../core/shape.js";
import { allOpDefs, ElementwiseSpec, getOpDef, TensorSpec } from "../../ops/registry.js";
import type { Attrs, Handle, KernelEnv } from "../../core/backend.js";
import { CudaHandle as CudaHandleClass } from "./backend.js";
import type { CudaBackend, CudaHandle } from "./backend.js";
import { binarySource, castSource, fillSource, MAX_BCAST_RANK, oneHotSource, reduceAccBytes, ReduceKind, reduceSource, selectSource, softmaxSource, stridedCopySource, unarySource } from "./codegen.js";
import { cudaSettings } from "./config.js";
import { storageType, translateSpec } from "./translate.js";
import { columnSums, nnKernels } from "./nn.js";
import { defaultBackend } from "../../eager/context.js";

/**
 * The cuda backend's kernel table. Elementwise ops are generated from the op table (one entry per row with
 * `elementwise`); the rest are written here: Cast, fills, reductions, matrix products (cuBLAS), softmax and
 * cross-entropy rows, training updates, and the ops that only relabel a buffer (Reshape, Identity, ...).
 * A kernel may return null to hand the op to the CPU (a case it does not cover, such as a rare layout).
 */
export interface CudaKernelDef {
  /** Inputs read on the host (shapes, axes): passed as they are, never uploaded. */
  readonly host?: readonly number[];
  /** Whether inputs of these dtypes (and these attributes) are covered; default: device-storable dtypes. */
  readonly supports?: (dtypes: readonly DType[], attrs: Attrs) => boolean;
  /** The part of attrs that `supports` reads, for caching its answer. */
  readonly attrKey?: (attrs: Attrs) => string;
  /** env carries the op's random stream (random ops). */
  readonly run: (b: CudaBackend, inputs: CudaHandle[], attrs: Attrs, env: KernelEnv) => Handle[] | null;
  /** The op on many input lists in as few launches as possible (grouped optimizer updates); null: one by one. */
  readonly runGroup?: (b: CudaBackend, items: readonly CudaHandle[][], attrs: Attrs) => Handle[][] | null;
}

const FLOATS: ReadonlySet<DType> = new Set(["float32", "float64"]);
const NUMERIC: ReadonlySet<DType> = new Set(["float32", "float64", "int32", "int64", "uint8"]);
const STORABLE: ReadonlySet<DType> = new Set(["float32", "float64", "int32", "int64", "uint8", "bool"]);

/** 64-bit indices once a grid-stride loop over 32-bit ones could wrap (i + stride past 2^32). */
const idx64 = (n: number) => n >= 2 ** 31;

function hostInts(b: CudaBackend, h: Handle): number[] {
  return Array.from(b.hostValues(h) as ArrayLike<number | bigint>, (v) => Number(v));
}

// ---------------------------------------------------------------- elementwise (generated)

/** Merges dims that both inputs walk contiguously (or both broadcast), dropping size-1 dims. */
export function collapseBroadcast(out: readonly number[], a: readonly number[], b: readonly number[]): { dims: number[]; sa: number[]; sb: number[] } {
  const r = out.length;
  const pad = (s: readonly number[]) => [...new Array(r - s.length).fill(1), ...s];
  const as = pad(a);
  const bs = pad(b);
  const strides = (s: number[]) => {
    const st = new Array<number>(r);
    let acc = 1;
    for (let i = r - 1; i >= 0; i--) {
      st[i] = s[i] === 1 ? 0 : acc;
      acc *= s[i];
    }
    return st;
  };
  const sta = strides(as);
  const stb = strides(bs);
  const dims: number[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < r; i++) {
    if (out[i] === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && sa[k] === sta[i] * out[i] && sb[k] === stb[i] * out[i]) {
      dims[k] *= out[i];
      sa[k] = sta[i];
      sb[k] = stb[i];
    } else {
      dims.push(out[i]);
      sa.push(sta[i]);
      sb.push(stb[i]);
    }
  }
  return { dims, sa, sb };
}

function elementwiseSupports(spec: ElementwiseSpec, arity: 1 | 2) {
  return (dtypes: readonly DType[]) => {
    const d = dtypes[0];
    if (!STORABLE.has(d) || dtypes.some((x) => x !== d)) return false;
    const out = spec.outDType ?? d;
    if (!STORABLE.has(out)) return false;
    translateSpec(spec, d, arity); // throws when there is no translation
    return true;
  };
}

/**
 * TensorFlow's CPU kernels reject integer division by zero and negative integer powers. Where the divisor is
 * known on the host, the op goes to the CPU kernel, which raises that error; a divisor computed on the GPU
 * is not checked (TensorFlow's GPU kernels do not check either).
 */
const INT_CHECKS: Record<string, (v: number) => boolean> = {
  FloorDiv: (v) => v === 0, FloorMod: (v) => v === 0, Pow: (v) => v < 0,
};

function binaryKernel(type: string, spec: ElementwiseSpec): CudaKernelDef {
  const bad = INT_CHECKS[type];
  return {
    supports: elementwiseSupports(spec, 2),
    run: (b, [x, y]) => {
      if (bad && !FLOATS.has(y.dtype) && y.storage.host) {
        const v = y.storage.host as ArrayLike<number | bigint>;
        for (let i = 0; i < v.length; i++) if (bad(Number(v[i]))) return null;
      }
      return [binaryOp(b, type, spec, x, y)];
    },
  };
}

/** Runs one generated binary kernel with TensorFlow's broadcasting. */
export function binaryOp(b: CudaBackend, type: string, spec: ElementwiseSpec, x: CudaHandle, y: CudaHandle): CudaHandle {
  const bshape = broadcastShapes(x.shape as number[], y.shape as number[]);
  if (bshape === "incompatible" || bshape === null) {
    throw new InvalidArgumentError(`Incompatible shapes: [${x.shape}] vs. [${y.shape}]`);
  }
  const shape = bshape as number[];
  const n = sizeOf(shape);
  const outD = spec.outDType ?? x.dtype;
  const nx = sizeOf(x.shape);
  const ny = sizeOf(y.shape);
  let variant: string;
  let plan: ReturnType<typeof collapseBroadcast> | null = null;
  let rowC = 0;
  if (nx === n && ny === n) variant = "ew_vv";
  else if (nx === 1 && ny === n) variant = "ew_sv";
  else if (ny === 1 && nx === n) variant = "ew_vs";
  else {
    plan = collapseBroadcast(shape, x.shape, y.shape);
    if (plan.dims.length > MAX_BCAST_RANK) throw new InvalidArgumentError(`${type}: broadcasting over more than ${MAX_BCAST_RANK} distinct dimensions is not supported on the GPU`);
    variant = "ew_bc";
    // A row broadcast over rows (a bias over [..., C]): a cheaper kernel than the general one.
    const d1 = plan.dims[1];
    if (plan.dims.length === 2 && plan.sa[0] === d1 && plan.sa[1] === 1 && plan.sb[0] === 0 && plan.sb[1] === 1) variant = "ew_vr";
    else if (plan.dims.length === 2 && plan.sb[0] === d1 && plan.sb[1] === 1 && plan.sa[0] === 0 && plan.sa[1] === 1) variant = "ew_rv";
    if (variant !== "ew_bc") {
      rowC = d1;
      plan = null;
    }
  }
  const out = b.empty(outD, shape, type);
  if (n === 0) return out;
  const i64 = idx64(n);
  const fn = b.fn(`ew2.${type}.${x.dtype}.${i64 ? 64 : 32}`, variant, () => binarySource(spec, x.dtype, outD, i64));
  const ctx = b.ctx.argPtr(x.ptr).argPtr(y.ptr).argPtr(out.ptr);
  if (i64) ctx.argI64(n);
  else ctx.argI32(n);
  if (rowC > 0) {
    if (i64) ctx.argI64(rowC);
    else ctx.argI32(rowC);
  }
  if (plan) {
    const pad = (v: number[], fill: number) => [...v, ...new Array(MAX_BCAST_RANK - v.length).fill(fill)];
    ctx.argI32(plan.dims.length).argI64s([...pad(plan.dims, 1), ...pad(plan.sa, 0), ...pad(plan.sb, 0)]);
  }
  b.launch(fn, b.grid(n));
  return out;
}

function unaryKernel(type: string, spec: ElementwiseSpec): CudaKernelDef {
  return {
    supports: elementwiseSupports(spec, 1),
    run: (b, [x]) => {
      const outD = spec.outDType ?? x.dtype;
      const n = sizeOf(x.shape);
      const out = b.empty(outD, x.shape, type);
      if (n === 0) return [out];
      const i64 = idx64(n);
      const fn = b.fn(`ew1.${type}.${x.dtype}.${i64 ? 64 : 32}`, "ew_u", () => unarySource(spec, x.dtype, outD, i64));
      b.ctx.argPtr(x.ptr).argPtr(out.ptr);
      if (i64) b.ctx.argI64(n);
      else b.ctx.argI32(n);
      b.launch(fn, b.grid(n));
      return [out];
    },
  };
}

function argN(b: CudaBackend, n: number): void {
  argI(b, idx64(n), n);
}

/** An index argument of a kernel whose index type I is 64-bit when `i64`. */
function argI(b: CudaBackend, i64: boolean, v: number): void {
  if (i64) b.ctx.argI64(v);
  else b.ctx.argI32(v);
}

// ---------------------------------------------------------------- cast and fills

function castOp(b: CudaBackend, x: CudaHandle, to: DType): Handle {
  if (x.dtype === to) return b.alias(x);
  const n = sizeOf(x.shape);
  const out = b.empty(to, x.shape, "Cast");
  if (n === 0) return out;
  const i64 = idx64(n);
  const fn = b.fn(`cast.${x.dtype}.${to}.${i64 ? 64 : 32}`, "cast", () => castSource(x.dtype, to, i64));
  b.ctx.argPtr(x.ptr).argPtr(out.ptr);
  argN(b, n);
  b.launch(fn, b.grid(n));
  return out;
}

/** A tensor of `shape` holding `value` everywhere (a JS number; int64 values within 2^53). */
export function fillConst(b: CudaBackend, dtype: DType, shape: readonly number[], value: number, op: string): CudaHandle {
  const n = sizeOf(shape);
  const out = b.empty(dtype, shape, op);
  if (n === 0) return out;
  if (value === 0) {
    b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(out.ptr, 0, out.storage.bytes, b.ctx.stream));
    return out;
  }
  const i64 = idx64(n);
  const fn = b.fn(`fill.${dtype}.${i64 ? 64 : 32}`, "fill_c", () => fillSource(dtype, i64));
  b.ctx.argPtr(out.ptr);
  if (dtype === "int64") b.ctx.argI64(value);
  else b.ctx.argF64(value);
  argN(b, n);
  b.launch(fn, b.grid(n));
  return out;
}

function fillFromScalar(b: CudaBackend, v: CudaHandle, shape: readonly number[]): Handle {
  const host = v.storage.host;
  if (host && v.dtype !== "int64") return fillConst(b, v.dtype, shape, Number(host[0]), "Fill");
  const n = sizeOf(shape);
  const out = b.empty(v.dtype, shape, "Fill");
  if (n === 0) return out;
  const i64 = idx64(n);
  const fn = b.fn(`fill.${v.dtype}.${i64 ? 64 : 32}`, "fill_s", () => fillSource(v.dtype, i64));
  b.ctx.argPtr(out.ptr).argPtr(v.ptr);
  argN(b, n);
  b.launch(fn, b.grid(n));
  return out;
}

// ---------------------------------------------------------------- reductions

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

const REDUCE_DTYPES: Record<ReduceKind, ReadonlySet<DType>> = {
  sum: NUMERIC, mean: NUMERIC, prod: NUMERIC, max: NUMERIC, min: NUMERIC,
  any: new Set(["bool"]), all: new Set(["bool"]),
};

function reduceKernel(kind: ReduceKind): CudaKernelDef {
  return {
    host: [1],
    supports: (d) => REDUCE_DTYPES[kind].has(d[0]),
    run: (b, [x, axesH], attrs) => {
      const rank = x.shape.length;
      const axes = [...new Set(hostInts(b, axesH).map((a) => normalizeAxis(a, rank, kind)))];
      const keep = Boolean(attrs.keep_dims);
      const outShape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
      const n = sizeOf(x.shape);
      if (n === 0) {
        // Empty inputs give the identity (TensorFlow's): filled here, so that a step with one (the mean's
        // gradient takes the product of a scalar's empty shape) stays on the GPU. max/min: the CPU's.
        const id = { sum: 0, prod: 1, any: 0, all: 1, mean: FLOATS.has(x.dtype) ? Number.NaN : null, max: null, min: null }[kind];
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

function reducePass(b: CudaBackend, x: CudaHandle, kind: ReduceKind, p: { outer: number; R: number; inner: number }, outShape: readonly number[], count: number, noColumnSums = false): CudaHandle {
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
      I(outer); I(R); b.ctx.argF64(count);
      b.launch(fn, Math.min(outer, sms * 32), block);
      return out;
    }
    // Few long rows: split each row over several blocks, then reduce the partial results.
    const splits = Math.min(Math.ceil(R / 4096), Math.ceil((sms * 8) / outer), 1024);
    const seg = Math.ceil(R / splits);
    const part = b.empty(x.dtype, [Math.ceil((outer * splits * reduceAccBytes(kind, x.dtype)) / bytesPerElement(x.dtype))], kind);
    const f1 = b.fn(key, "red_rows_p", src);
    b.ctx.argPtr(x.ptr).argPtr(part.ptr);
    I(outer); I(R); I(seg);
    b.launch(f1, outer, 256, splits);
    const f2 = b.fn(key, "red_rows_acc", src);
    b.ctx.argPtr(part.ptr).argPtr(out.ptr);
    I(outer); I(splits); b.ctx.argF64(count);
    b.launch(f2, Math.min(outer, sms * 32), splits >= 256 ? 256 : 32);
    b.dispose(part);
    return out;
  }
  const total = outer * inner;
  // Few columns over many rows (BiasAddGrad, a bias's gradient): per-block sums with coalesced loads, then
  // the blocks' sums in order (nn.ts columnSums).
  if (outer === 1 && kind === "sum" && inner <= 256 && R >= 256 && !noColumnSums) {
    b.dispose(out);
    const cs = columnSums(b, x, R, inner, outShape);
    if (cs) return cs;
    return reducePass(b, x, kind, p, outShape, count, true);
  }
  if (total >= sms * 512 || R < 64) {
    const fn = b.fn(key, "red_cols", src);
    b.ctx.argPtr(x.ptr).argPtr(out.ptr);
    I(outer); I(R); I(inner); b.ctx.argF64(count);
    b.launch(fn, b.grid(total));
    return out;
  }
  // Few long columns: split R, then reduce the [outer, splits, inner] partial results.
  const splits = Math.min(Math.ceil(R / 32), Math.ceil((sms * 1024) / total), 1024);
  const seg = Math.ceil(R / splits);
  const part = b.empty(x.dtype, [Math.ceil((outer * splits * inner * reduceAccBytes(kind, x.dtype)) / bytesPerElement(x.dtype))], kind);
  const f1 = b.fn(key, "red_cols_p", src);
  b.ctx.argPtr(x.ptr).argPtr(part.ptr);
  I(outer); I(R); I(inner); I(seg);
  b.launch(f1, b.grid(total), 256, splits);
  const f2 = b.fn(key, "red_cols_acc", src);
  b.ctx.argPtr(part.ptr).argPtr(out.ptr);
  I(outer); I(splits); I(inner); b.ctx.argF64(count);
  b.launch(f2, b.grid(total));
  b.dispose(part);
  return out;
}

// ---------------------------------------------------------------- matrix products (cuBLAS)

function matmulKernel(batched: boolean): CudaKernelDef {
  return {
    supports: (d) => FLOATS.has(d[0]) && d[1] === d[0],
    run: (b, [x, y], attrs) => {
      const ta = Boolean(attrs[batched ? "adj_x" : "transpose_a"]);
      const tb = Boolean(attrs[batched ? "adj_y" : "transpose_b"]);
      const rx = x.shape.length;
      const ry = y.shape.length;
      const m = x.shape[ta ? rx - 1 : rx - 2];
      const k = x.shape[ta ? rx - 2 : rx - 1];
      const n = y.shape[tb ? ry - 2 : ry - 1];
      const bx = x.shape.slice(0, -2);
      const by = y.shape.slice(0, -2);
      const bs = broadcastShapes(bx, by);
      if (bs === "incompatible" || bs === null) return null;
      const batchShape = bs as number[];
      const batches = sizeOf(batchShape);
      const out = b.empty(x.dtype, [...batchShape, m, n], batched ? "BatchMatMulV2" : "MatMul");
      if (batches * m * n === 0) return [out];
      if (k === 0) {
        b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(out.ptr, 0, out.storage.bytes, b.ctx.stream));
        return [out];
      }
      const dt = x.dtype as "float32" | "float64";
      const esz = bytesPerElement(dt);
      b.blas.setTf32(cudaSettings.tf32);
      const nbx = sizeOf(bx);
      const nby = sizeOf(by);
      if (batches === 1) {
        b.blas.gemm(dt, ta, tb, m, n, k, x.ptr, y.ptr, out.ptr);
      } else if ((nbx === batches || nbx === 1) && (nby === batches || nby === 1)) {
        b.blas.gemm(dt, ta, tb, m, n, k, x.ptr, y.ptr, out.ptr, batches, nbx === 1 ? 0 : m * k, nby === 1 ? 0 : k * n, m * n);
      } else {
        // Batch dims broadcast against each other ([2,1] with [1,3]): one product per output matrix.
        const offs = (s: readonly number[]) => {
          const r = batchShape.length;
          const padded = [...new Array(r - s.length).fill(1), ...s];
          const st = new Array<number>(r);
          let acc = 1;
          for (let i = r - 1; i >= 0; i--) {
            st[i] = padded[i] === 1 ? 0 : acc;
            acc *= padded[i];
          }
          return (bi: number) => {
            let o = 0;
            for (let i = r - 1; i >= 0; i--) {
              o += (bi % batchShape[i]) * st[i];
              bi = Math.floor(bi / batchShape[i]);
            }
            return o;
          };
        };
        const ox = offs(bx);
        const oy = offs(by);
        for (let bi = 0; bi < batches; bi++) {
          b.blas.gemm(dt, ta, tb, m, n, k, x.ptr + ox(bi) * m * k * esz, y.ptr + oy(bi) * k * n * esz, out.ptr + bi * m * n * esz);
        }
      }
      return [out];
    },
  };
}

// ---------------------------------------------------------------- softmax rows

function softmaxKernel(mode: 0 | 1): CudaKernelDef {
  return {
    supports: (d) => FLOATS.has(d[0]),
    run: (b, [x]) => {
      const r = x.shape.length;
      if (r === 0) return null;
      const C = x.shape[r - 1];
      const n = sizeOf(x.shape);
      const out = b.empty(x.dtype, x.shape, mode === 0 ? "Softmax" : "LogSoftmax");
      if (n === 0) return [out];
      const rows = n / C;
      const i64 = idx64(n);
      const fn = b.fn(`softmax.${x.dtype}.int32.${i64 ? 64 : 32}`, "softmax", () => softmaxSource(x.dtype, "int32", i64));
      b.ctx.argPtr(x.ptr).argPtr(out.ptr);
      argI(b, i64, rows); argI(b, i64, C);
      b.ctx.argI32(mode);
      b.launch(fn, Math.min(rows, b.maxBlocks * 4), C >= 512 ? 256 : C >= 128 ? 128 : 32);
      return [out];
    },
  };
}

const xentKernel: CudaKernelDef = {
  supports: (d) => FLOATS.has(d[0]) && d[1] === d[0],
  run: (b, [x, l]) => {
    // Only the common case of equal shapes; broadcast labels go to the CPU.
    if (x.shape.length < 1 || x.shape.join(",") !== l.shape.join(",")) return null;
    const C = x.shape[x.shape.length - 1];
    const n = sizeOf(x.shape);
    const loss = b.empty(x.dtype, x.shape.slice(0, -1), "SoftmaxCrossEntropyWithLogits");
    const grad = b.empty(x.dtype, x.shape, "SoftmaxCrossEntropyWithLogits");
    if (n === 0) {
      b.dispose(loss);
      b.dispose(grad);
      return null;
    }
    const rows = n / C;
    const i64 = idx64(n);
    const fn = b.fn(`softmax.${x.dtype}.int32.${i64 ? 64 : 32}`, "xent", () => softmaxSource(x.dtype, "int32", i64));
    b.ctx.argPtr(x.ptr).argPtr(l.ptr).argPtr(loss.ptr).argPtr(grad.ptr);
    argI(b, i64, rows); argI(b, i64, C);
    b.launch(fn, Math.min(rows, b.maxBlocks * 4), C >= 512 ? 256 : C >= 128 ? 128 : 32);
    return [loss, grad];
  },
};

const sparseXentKernel: CudaKernelDef = {
  supports: (d) => FLOATS.has(d[0]) && (d[1] === "int32" || d[1] === "int64"),
  run: (b, [x, l]) => {
    const r = x.shape.length;
    if (r < 1) return null;
    const C = x.shape[r - 1];
    const n = sizeOf(x.shape);
    const rows = C === 0 ? 0 : n / C;
    if (n === 0 || sizeOf(l.shape) !== rows) return null;
    // Labels known on the host (fed from JS) are checked as the CPU kernel checks them; labels computed on
    // the GPU give NaN rows when out of range, as TensorFlow's GPU kernel does.
    const host = l.storage.host;
    if (host) {
      for (let i = 0; i < rows; i++) {
        const y = Number(host[i]);
        if (!(y >= 0 && y < C)) return null; // the CPU kernel raises TensorFlow's error
      }
    }
    const loss = b.empty(x.dtype, x.shape.slice(0, -1), "SparseSoftmaxCrossEntropyWithLogits");
    const grad = b.empty(x.dtype, x.shape, "SparseSoftmaxCrossEntropyWithLogits");
    const i64 = idx64(n);
    const fn = b.fn(`softmax.${x.dtype}.${l.dtype}.${i64 ? 64 : 32}`, "sxent", () => softmaxSource(x.dtype, l.dtype, i64));
    b.ctx.argPtr(x.ptr).argPtr(l.ptr).argPtr(loss.ptr).argPtr(grad.ptr);
    argI(b, i64, rows); argI(b, i64, C);
    b.launch(fn, Math.min(rows, b.maxBlocks * 4), C >= 512 ? 256 : C >= 128 ? 128 : 32);
    return [loss, grad];
  },
};

// ---------------------------------------------------------------- buffers relabelled, not copied

/** The output shape of an op that only relabels its input (Reshape, ExpandDims, Squeeze, Identity). */
function relabel(type: string, host: readonly number[]): CudaKernelDef {
  return {
    host,
    supports: (d) => STORABLE.has(d[0]),
    run: (b, inputs, attrs) => {
      const def = getOpDef(type)!;
      const specs: TensorSpec[] = inputs.map((h, i) => ({ dtype: h.dtype, shape: h.shape.slice(), value: host.includes(i) ? b.hostValues(h) : undefined }));
      const [o] = def.infer(specs, attrs, type);
      const x = inputs[0];
      if (o.shape === null || o.shape.some((d) => d === null)) return null;
      const shape = o.shape as number[];
      if (sizeOf(shape) !== sizeOf(x.shape)) return null;
      return [b.alias(x, shape)];
    },
  };
}

// ---------------------------------------------------------------- data movement (strided copies)

function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

/**
 * Copies the elements of an iteration space `dims` from src (at sbase + c·ss) to dst (at dbase + c·ds),
 * element offsets. Dims of size 1 are dropped and dims both sides walk contiguously are merged; a fully
 * contiguous copy is one cuMemcpyDtoDAsync. Returns false when more than MAX_BCAST_RANK dims remain.
 */
export function stridedCopy(b: CudaBackend, src: CudaHandle, dst: CudaHandle, dims: readonly number[], ss: readonly number[], ds: readonly number[], sbase: number, dbase: number): boolean {
  const n = sizeOf(dims);
  if (n === 0) return true;
  // A pointer that is not a number would reach the GPU as garbage and fault the context: refuse it here.
  if (!(src instanceof CudaHandleClass) || !(dst instanceof CudaHandleClass)) throw new InternalError("stridedCopy: both buffers must be on the GPU");
  const D: number[] = [];
  const S: number[] = [];
  const T: number[] = [];
  dims.forEach((d, i) => {
    if (d === 1) return;
    const k = D.length - 1;
    if (k >= 0 && S[k] === ss[i] * d && T[k] === ds[i] * d) {
      D[k] *= d;
      S[k] = ss[i];
      T[k] = ds[i];
    } else {
      D.push(d);
      S.push(ss[i]);
      T.push(ds[i]);
    }
  });
  const esz = bytesPerElement(src.dtype);
  if (D.length === 0 || (D.length === 1 && S[0] === 1 && T[0] === 1)) {
    const r = b.ctx.api.lib.cuMemcpyDtoDAsync(dst.ptr + dbase * esz, src.ptr + sbase * esz, n * esz, b.ctx.stream);
    b.ctx.api.check("cuMemcpyDtoDAsync", r);
    return true;
  }
  if (D.length > MAX_BCAST_RANK) return false;
  const i64 = idx64(n);
  const fn = b.fn(`scopy.${esz}.${i64 ? 64 : 32}`, "scopy", () => stridedCopySource(esz, i64));
  const pad = (v: number[], fill: number) => [...v, ...new Array(MAX_BCAST_RANK - v.length).fill(fill)];
  b.ctx.argPtr(src.ptr).argPtr(dst.ptr);
  argI(b, i64, n);
  b.ctx.argI32(D.length).argI64(sbase).argI64(dbase).argI64s([...pad(D, 1), ...pad(S, 0), ...pad(T, 0)]);
  b.launch(fn, b.grid(n));
  return true;
}

/** Output shapes from the op table's inference, with host-side inputs' values (null if any is unknown). */
function inferShapes(b: CudaBackend, type: string, inputs: readonly CudaHandle[], attrs: Attrs, host: readonly number[]): number[][] | null {
  const specs: TensorSpec[] = inputs.map((h, i) => ({ dtype: h.dtype, shape: h.shape.slice(), value: host.includes(i) ? b.hostValues(h) : undefined }));
  const outs = getOpDef(type)!.infer(specs, attrs, type);
  if (outs.some((o) => o.shape === null || o.shape.some((d) => d === null))) return null;
  return outs.map((o) => o.shape as number[]);
}

/** A movement op: `plan` gives the output shapes and, per output, the copies that fill it. */
function movement(type: string, host: readonly number[], plan: (b: CudaBackend, ins: CudaHandle[], attrs: Attrs, shapes: number[][]) =>
  { copies: { out: number; src: number; dims: number[]; ss: number[]; ds: number[]; sbase: number; dbase: number }[] } | null): CudaKernelDef {
  return {
    host,
    supports: (d) => d.every((x, i) => host.includes(i) || STORABLE.has(x)),
    run: (b, ins, attrs) => {
      const shapes = inferShapes(b, type, ins, attrs, host);
      if (!shapes) return null;
      const p = plan(b, ins, attrs, shapes);
      if (!p) return null;
      const dtype = ins.find((_, i) => !host.includes(i))!.dtype;
      const outs = shapes.map((s) => b.empty(dtype, s, type));
      for (const c of p.copies) {
        if (!stridedCopy(b, ins[c.src], outs[c.out], c.dims, c.ss, c.ds, c.sbase, c.dbase)) {
          for (const o of outs) b.dispose(o);
          return null;
        }
      }
      return outs;
    },
  };
}

const norm = (a: number, r: number) => (a < 0 ? a + r : a);

/**
 * dst = src with its axes permuted (dst's axis i is src's axis perm[i]; dst already has that shape): the
 * strided copy behind Transpose, also used for layout changes (layout.ts, cuDNN's filters). false where
 * stridedCopy declines (too many dims after merging).
 */
export function permuteInto(b: CudaBackend, src: CudaHandle, dst: CudaHandle, perm: readonly number[]): boolean {
  return stridedCopy(b, src, dst, dst.shape, permutedStrides(src.shape, perm), contiguousStrides(dst.shape), 0, 0);
}

/** Source strides walked in the permuted order: element i of the result reads the source through these. */
function permutedStrides(shape: readonly number[], perm: readonly number[]): number[] {
  const st = contiguousStrides(shape);
  return perm.map((d) => st[norm(d, shape.length)]);
}

function movementKernels(t: Map<string, CudaKernelDef>): void {
  t.set("Transpose", movement("Transpose", [1], (b, [x, p], _a, [shape]) => {
    return { copies: [{ out: 0, src: 0, dims: shape, ss: permutedStrides(x.shape, hostInts(b, p)), ds: contiguousStrides(shape), sbase: 0, dbase: 0 }] };
  }));
  t.set("BroadcastTo", movement("BroadcastTo", [1], (_b, [x], _a, [shape]) => {
    const r = shape.length;
    const padded = [...new Array(r - x.shape.length).fill(1), ...x.shape];
    const st = contiguousStrides(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
    return { copies: [{ out: 0, src: 0, dims: shape, ss: st, ds: contiguousStrides(shape), sbase: 0, dbase: 0 }] };
  }));
  t.set("Slice", movement("Slice", [1, 2], (b, [x, bg], _a, [shape]) => {
    const begin = hostInts(b, bg);
    const st = contiguousStrides(x.shape);
    return { copies: [{ out: 0, src: 0, dims: shape, ss: st, ds: contiguousStrides(shape), sbase: begin.reduce((o, v, d) => o + v * st[d], 0), dbase: 0 }] };
  }));
  t.set("ReverseV2", movement("ReverseV2", [1], (b, [x, ax], _a, [shape]) => {
    const r = x.shape.length;
    const axes = new Set(hostInts(b, ax).map((a) => norm(a, r)));
    const st = contiguousStrides(x.shape);
    const sbase = [...axes].reduce((o, d) => o + (x.shape[d] - 1) * st[d], 0);
    return { copies: [{ out: 0, src: 0, dims: shape, ss: st.map((s, d) => (axes.has(d) ? -s : s)), ds: contiguousStrides(shape), sbase, dbase: 0 }] };
  }));
  // Concatenation and stacking: each input is copied into its slab of the output.
  const slabs = (ins: CudaHandle[], shape: number[], a: number, dimsOf: (h: CudaHandle) => number[]) => {
    const ost = contiguousStrides(shape);
    let off = 0;
    return ins.map((h, i) => {
      const dims = dimsOf(h);
      const c = { out: 0, src: i, dims, ss: contiguousStrides(dims), ds: ost, sbase: 0, dbase: off * ost[a] };
      off += dims[a];
      return c;
    });
  };
  t.set("ConcatV2", {
    supports: (d) => d.slice(0, -1).every((x) => STORABLE.has(x)),
    run: (b, ins, attrs) => {
      const vals = ins.slice(0, -1);
      const shapes = inferShapes(b, "ConcatV2", ins, attrs, [ins.length - 1]);
      if (!shapes) return null;
      const shape = shapes[0];
      const a = norm(hostInts(b, ins[ins.length - 1])[0], shape.length);
      const out = b.empty(vals[0].dtype, shape, "ConcatV2");
      for (const c of slabs(vals, shape, a, (h) => h.shape.slice())) {
        if (!stridedCopy(b, vals[c.src], out, c.dims, c.ss, c.ds, c.sbase, c.dbase)) {
          b.dispose(out);
          return null;
        }
      }
      return [out];
    },
  });
  t.set("Pack", movement("Pack", [], (_b, ins, attrs, [shape]) => {
    const a = norm(Number(attrs.axis ?? 0), shape.length);
    return { copies: slabs(ins, shape, a, (h) => [...h.shape.slice(0, a), 1, ...h.shape.slice(a)]) };
  }));
  // Unstacking and splitting: each output is a slab of the input.
  const pieces = (x: CudaHandle, src: number, shapes: number[][], a: number, dimsOf: (s: number[]) => number[], sizeOf_: (s: number[]) => number) => {
    const st = contiguousStrides(x.shape);
    let off = 0;
    return shapes.map((s, k) => {
      const dims = dimsOf(s);
      const c = { out: k, src, dims, ss: st, ds: contiguousStrides(dims), sbase: off * st[a], dbase: 0 };
      off += sizeOf_(s);
      return c;
    });
  };
  t.set("Unpack", movement("Unpack", [], (_b, [x], attrs, shapes) => {
    const a = norm(Number(attrs.axis ?? 0), x.shape.length);
    return { copies: pieces(x, 0, shapes, a, (s) => [...s.slice(0, a), 1, ...s.slice(a)], () => 1) };
  }));
  t.set("Split", movement("Split", [0], (b, [dim, x], _attrs, shapes) => {
    const a = norm(hostInts(b, dim)[0], x.shape.length);
    return { copies: pieces(x, 1, shapes, a, (s) => s, (s) => s[a]) };
  }));
  t.set("SplitV", movement("SplitV", [1, 2], (b, [x, , dim], _attrs, shapes) => {
    const a = norm(hostInts(b, dim)[0], x.shape.length);
    return { copies: pieces(x, 0, shapes, a, (s) => s, (s) => s[a]) };
  }));
  t.set("SelectV2", {
    supports: (d) => d[0] === "bool" && STORABLE.has(d[1]) && d[2] === d[1],
    run: (b, [c, x, y]) => {
      const s1 = broadcastShapes(x.shape as number[], y.shape as number[]);
      const s = s1 === "incompatible" || s1 === null ? s1 : broadcastShapes(c.shape as number[], s1 as number[]);
      if (s === "incompatible" || s === null) return null; // the CPU kernel raises TensorFlow's error
      const shape = s as number[];
      const n = sizeOf(shape);
      const sizes = [c, x, y].map((h) => sizeOf(h.shape));
      if (sizes.some((m) => m !== n && m !== 1)) return null; // partial broadcasts: the CPU
      const out = b.empty(x.dtype, shape, "SelectV2");
      if (n === 0) return [out];
      const i64 = idx64(n);
      const fn = b.fn(`select.${x.dtype}.${i64 ? 64 : 32}`, "select_v2", () => selectSource(x.dtype, i64));
      b.ctx.argPtr(c.ptr).argPtr(x.ptr).argPtr(y.ptr).argPtr(out.ptr);
      argI(b, i64, n);
      b.ctx.argI32(sizes[0] === n ? 1 : 0).argI32(sizes[1] === n ? 1 : 0).argI32(sizes[2] === n ? 1 : 0);
      b.launch(fn, b.grid(n));
      return [out];
    },
  });
  t.set("OneHot", {
    host: [1],
    supports: (d) => (d[0] === "int32" || d[0] === "int64" || d[0] === "uint8") && STORABLE.has(d[2]) && d[3] === d[2],
    run: (b, ins, attrs) => {
      const [x, , on, off] = ins;
      const shapes = inferShapes(b, "OneHot", ins, attrs, [1]);
      if (!shapes || sizeOf(on.shape) !== 1 || sizeOf(off.shape) !== 1) return null;
      const shape = shapes[0];
      const axis = Number(attrs.axis ?? -1);
      const a = axis === -1 ? x.shape.length : axis;
      const depth = shape[a];
      const inner = sizeOf(x.shape.slice(a));
      const n = sizeOf(shape);
      const out = b.empty(on.dtype, shape, "OneHot");
      if (n === 0) return [out];
      const i64 = idx64(n);
      const fn = b.fn(`onehot.${on.dtype}.${x.dtype}.${i64 ? 64 : 32}`, "one_hot", () => oneHotSource(on.dtype, x.dtype, i64));
      b.ctx.argPtr(x.ptr).argPtr(on.ptr).argPtr(off.ptr).argPtr(out.ptr);
      argI(b, i64, n);
      argI(b, i64, depth);
      argI(b, i64, Math.max(inner, 1));
      b.launch(fn, b.grid(n));
      return [out];
    },
  });
}

// ---------------------------------------------------------------- training updates

/** Variables one grouped gradient-descent launch updates (its parameter struct: 7 x 8 bytes per variable). */
const GD_GROUP = 32;
const APPLY_GD_SRC = (t: string) => `typedef ${t} T;
extern "C" __global__ void gd(const T* __restrict__ v, const T* __restrict__ alpha, const T* __restrict__ d, T* __restrict__ o, unsigned long long n) {
  const T a = alpha[0];
  for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x) o[i] = v[i] - a * d[i];
}
// Up to GD_GROUP variables in one launch (what PyTorch's foreach SGD does): the same update as gd, element
// for element; start[] holds each variable's first index in the concatenation of all of them.
struct GdGroup { const T* v[${GD_GROUP}]; const T* d[${GD_GROUP}]; T* o[${GD_GROUP}]; unsigned long long start[${GD_GROUP + 1}]; };
extern "C" __global__ void gd_group(const T* __restrict__ alpha, int count, GdGroup g) {
  const T a = alpha[0];
  const unsigned long long total = g.start[count];
  for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (unsigned long long)gridDim.x * blockDim.x) {
    int t = 0;
    while (i >= g.start[t + 1]) t++;
    const unsigned long long j = i - g.start[t];
    g.o[t][j] = g.v[t][j] - a * g.d[t][j];
  }
}
extern "C" __global__ void momentum(const T* __restrict__ v, const T* __restrict__ acc, const T* __restrict__ lr, const T* __restrict__ g,
    const T* __restrict__ mom, T* __restrict__ ov, T* __restrict__ oa, int nesterov, unsigned long long n) {
  const T l = lr[0], m = mom[0];
  for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x) {
    const T a = acc[i] * m + g[i];
    oa[i] = a;
    ov[i] = nesterov ? v[i] - l * g[i] - l * m * a : v[i] - l * a;
  }
}
extern "C" __global__ void adam(const T* __restrict__ v, const T* __restrict__ m, const T* __restrict__ s, const T* __restrict__ b1p,
    const T* __restrict__ b2p, const T* __restrict__ lr, const T* __restrict__ b1, const T* __restrict__ b2, const T* __restrict__ eps,
    const T* __restrict__ g, T* __restrict__ ov, T* __restrict__ om, T* __restrict__ os, unsigned long long n) {
  const T beta1 = b1[0], beta2 = b2[0], e = eps[0];
  const T lrt = lr[0] * sqrt((T)1 - b2p[0]) / ((T)1 - b1p[0]);
  for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x) {
    const T gi = g[i];
    const T mi = m[i] + (gi - m[i]) * ((T)1 - beta1);
    const T si = s[i] + (gi * gi - s[i]) * ((T)1 - beta2);
    om[i] = mi;
    os[i] = si;
    ov[i] = v[i] - lrt * mi / (sqrt(si) + e);
  }
}
`;

function trainingKernel(name: "gd" | "momentum" | "adam", nIn: number, nOut: number): CudaKernelDef {
  return {
    supports: (d) => FLOATS.has(d[0]) && d.every((x) => x === d[0]),
    run: (b, ins, attrs) => {
      const v = ins[0];
      // Shapes must match the variable's exactly; anything else is for the CPU kernel to report.
      const big = name === "gd" ? [0, 2] : name === "momentum" ? [0, 1, 3] : [0, 1, 2, 9];
      if (ins.length !== nIn || big.some((i) => ins[i].shape.join(",") !== v.shape.join(","))) return null;
      const n = sizeOf(v.shape);
      const outs = Array.from({ length: nOut }, () => b.empty(v.dtype, v.shape, name));
      if (n === 0) return outs;
      const fn = b.fn(`train.${v.dtype}`, name, () => APPLY_GD_SRC(storageType(v.dtype)));
      for (const h of ins) b.ctx.argPtr(h.ptr);
      for (const o of outs) b.ctx.argPtr(o.ptr);
      if (name === "momentum") b.ctx.argI32(attrs.use_nesterov ? 1 : 0);
      b.ctx.argI64(n);
      b.launch(fn, b.grid(n));
      return outs;
    },
    runGroup: name === "gd" ? gdGroup : undefined,
  };
}

/**
 * ApplyGradientDescent on many variables sharing one learning rate: one launch per GD_GROUP variables
 * instead of one each. null (the caller updates them one by one) unless every item is [var, alpha, delta]
 * with the same alpha buffer, one dtype, and deltas shaped like their variables.
 */
function gdGroup(b: CudaBackend, items: readonly CudaHandle[][]): Handle[][] | null {
  if (items.length === 0) return [];
  const alpha = items[0][1];
  const dtype = items[0][0].dtype;
  for (const it of items) {
    if (it.length !== 3 || it[1].ptr !== alpha.ptr || it[0].dtype !== dtype || it[2].dtype !== dtype) return null;
    if (it[0].shape.join(",") !== it[2].shape.join(",")) return null;
  }
  const outs = items.map((it) => [b.empty(dtype, it[0].shape, "gd")]);
  const fn = b.fn(`train.${dtype}`, "gd_group", () => APPLY_GD_SRC(storageType(dtype)));
  for (let k0 = 0; k0 < items.length; k0 += GD_GROUP) {
    const chunk = items.slice(k0, k0 + GD_GROUP);
    const ptrs: number[] = new Array(GD_GROUP * 3 + GD_GROUP + 1).fill(0);
    let total = 0;
    chunk.forEach((it, t) => {
      ptrs[t] = it[0].ptr;
      ptrs[GD_GROUP + t] = it[2].ptr;
      ptrs[2 * GD_GROUP + t] = (outs[k0 + t][0] as CudaHandle).ptr;
      ptrs[3 * GD_GROUP + t] = total;
      total += sizeOf(it[0].shape);
    });
    // Unused entries repeat the end so that the search for a variable stops at the last real one.
    for (let t = chunk.length; t <= GD_GROUP; t++) ptrs[3 * GD_GROUP + t] = total;
    if (total === 0) continue;
    b.ctx.argPtr(alpha.ptr).argI32(chunk.length).argI64s(ptrs);
    b.launch(fn, b.grid(total));
  }
  return outs;
}

// ---------------------------------------------------------------- the table

export function cudaKernels(): Map<string, CudaKernelDef> {
  const t = new Map<string, CudaKernelDef>();
  for (const def of allOpDefs()) {
    const ew = def.elementwise;
    if (!ew) continue;
    const arity = def.dtypeGroups?.[0]?.length === 2 ? 2 : 1;
    t.set(def.type, arity === 2 ? binaryKernel(def.type, ew) : unaryKernel(def.type, ew));
  }
  const add = getOpDef("AddV2")!.elementwise!;
  t.set("Cast", {
    supports: (d, attrs) => STORABLE.has(d[0]) && STORABLE.has(attrs.DstT as DType),
    attrKey: (attrs) => String(attrs.DstT),
    run: (b, [x], attrs) => [castOp(b, x, attrs.DstT as DType)],
  });
  t.set("Fill", { host: [0], supports: (d) => STORABLE.has(d[1]), run: (b, [dims, v]) => [fillFromScalar(b, v, hostInts(b, dims))] });
  t.set("ZerosLike", { supports: (d) => STORABLE.has(d[0]), run: (b, [x]) => [fillConst(b, x.dtype, x.shape, 0, "ZerosLike")] });
  t.set("OnesLike", { supports: (d) => STORABLE.has(d[0]), run: (b, [x]) => [fillConst(b, x.dtype, x.shape, 1, "OnesLike")] });
  // Ops computed on the host from shapes (TensorFlow keeps their outputs in host memory on a GPU): their
  // small integer results are written through the backend's cache of small values, so nothing is uploaded
  // once a step has run (and the step can be captured as a CUDA graph).
  const outType = (attrs: Attrs) => ((attrs.out_type as DType | undefined) ?? "int32");
  const ints = (d: DType, v: readonly number[]) => (d === "int64" ? BigInt64Array.from(v.map((x) => BigInt(x))) : Int32Array.from(v));
  t.set("Shape", { host: [0], supports: (_d, a) => outType(a) === "int32" || outType(a) === "int64", attrKey: (a) => outType(a), run: (b, [x], a) => [b.write(ints(outType(a), x.shape), outType(a), [x.shape.length])] });
  t.set("Size", { host: [0], supports: (_d, a) => outType(a) === "int32" || outType(a) === "int64", attrKey: (a) => outType(a), run: (b, [x], a) => [b.write(ints(outType(a), [sizeOf(x.shape)]), outType(a), [])] });
  t.set("Rank", { host: [0], run: (b, [x]) => [b.write(Int32Array.of(x.shape.length), "int32", [])] });
  t.set("BroadcastGradientArgs", {
    host: [0, 1],
    supports: (d) => d.every((x) => x === "int32"),
    run: (b, [s0, s1]) => {
      const cpu = defaultBackend();
      const ins = [s0, s1].map((h) => cpu.write(b.hostValues(h), h.dtype, h.shape));
      try {
        return cpu.runKernel("BroadcastGradientArgs", ins, {}, {}).map((o) => {
          const v = cpu.readSync(o);
          cpu.dispose(o);
          return b.write(v, "int32", o.shape);
        });
      } finally {
        for (const h of ins) cpu.dispose(h);
      }
    },
  });
  t.set("Identity", relabel("Identity", []));
  t.set("StopGradient", relabel("StopGradient", []));
  t.set("Reshape", relabel("Reshape", [1]));
  t.set("ExpandDims", relabel("ExpandDims", [1]));
  t.set("Squeeze", relabel("Squeeze", []));
  t.set("Sum", reduceKernel("sum"));
  t.set("Mean", reduceKernel("mean"));
  t.set("Max", reduceKernel("max"));
  t.set("Min", reduceKernel("min"));
  t.set("Prod", reduceKernel("prod"));
  t.set("Any", reduceKernel("any"));
  t.set("All", reduceKernel("all"));
  t.set("AddN", {
    supports: (d) => d.length > 0 && NUMERIC.has(d[0]) && d.every((x) => x === d[0]),
    run: (b, ins) => {
      if (ins.some((h) => h.shape.join(",") !== ins[0].shape.join(","))) return null;
      if (ins.length === 1) return [b.alias(ins[0])];
      let acc = binaryOp(b, "AddN", add, ins[0], ins[1]);
      for (let i = 2; i < ins.length; i++) {
        const next = binaryOp(b, "AddN", add, acc, ins[i]);
        b.dispose(acc);
        acc = next;
      }
      return [acc];
    },
  });
  t.set("BiasAdd", {
    supports: (d, attrs) => NUMERIC.has(d[0]) && d[1] === d[0] && (attrs.data_format ?? "NHWC") === "NHWC",
    attrKey: (attrs) => String(attrs.data_format ?? "NHWC"),
    run: (b, [x, bias]) => [binaryOp(b, "BiasAdd", add, x, bias)],
  });
  t.set("BiasAddGrad", {
    supports: (d, attrs) => NUMERIC.has(d[0]) && (attrs.data_format ?? "NHWC") === "NHWC",
    attrKey: (attrs) => String(attrs.data_format ?? "NHWC"),
    run: (b, [dy]) => {
      const r = dy.shape.length;
      if (r < 1 || sizeOf(dy.shape) === 0) return null;
      const axes = Array.from({ length: r - 1 }, (_, i) => i);
      if (axes.length === 0 || axes.every((a) => dy.shape[a] === 1)) return [b.alias(dy, [dy.shape[r - 1]])];
      const passes = reductionPasses(dy.shape, axes);
      let cur: CudaHandle = dy;
      passes.forEach((p, i) => {
        const next = reducePass(b, cur, "sum", p, i === passes.length - 1 ? [dy.shape[r - 1]] : [p.outer * p.inner], 1);
        if (cur !== dy) b.dispose(cur);
        cur = next;
      });
      return [cur];
    },
  });
  t.set("MatMul", matmulKernel(false));
  t.set("BatchMatMulV2", matmulKernel(true));
  t.set("Softmax", softmaxKernel(0));
  t.set("LogSoftmax", softmaxKernel(1));
  t.set("SoftmaxCrossEntropyWithLogits", xentKernel);
  t.set("SparseSoftmaxCrossEntropyWithLogits", sparseXentKernel);
  movementKernels(t);
  t.set("ApplyGradientDescent", trainingKernel("gd", 3, 1));
  t.set("ApplyMomentum", trainingKernel("momentum", 5, 2));
  t.set("ApplyAdam", trainingKernel("adam", 10, 3));
  nnKernels(t);
  return t;
}
