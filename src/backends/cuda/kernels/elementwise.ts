import { DType } from "../../../core/dtype.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { broadcastShapes, sizeOf } from "../../../core/shape.js";
import { getOpSchema } from "../../../core/schema/index.js";
import type { ElementwiseSpec } from "../../../core/schema/types.js";
import type { Handle } from "../../../core/backend.js";
import type { CudaHandle } from "../handle.js";
import type { CudaKernelDef, CudaKernelTable, KernelContext } from "../kernel.js";
import { MAX_BCAST_RANK } from "../sources/common.js";
import { binarySource, castSource, fillSource, selectSource, unarySource } from "../sources/elementwise.js";
import { translateSpec } from "../translate.js";
import { argI, argN, FLOATS, hostInts, idx64, NARROW, NUMERIC, STORED } from "./util.js";

/**
 * The elementwise family on the GPU: one generated kernel per elementwise row of the op table (binaryKernel,
 * unaryKernel; kernels/index.ts adds them), and Cast, fills, SelectV2 and AddN. Sources: sources/elementwise.ts.
 */

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
    if (!STORED.has(d) || dtypes.some((x) => x !== d)) return false;
    const out = spec.outDType ?? d;
    if (!STORED.has(out)) return false;
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
  FloorDiv: (v) => v === 0,
  FloorMod: (v) => v === 0,
  Pow: (v) => v < 0,
};

export function binaryKernel(type: string, spec: ElementwiseSpec): CudaKernelDef {
  const bad = INT_CHECKS[type];
  return {
    supports: elementwiseSupports(spec, 2),
    run: (b, [x, y]) => {
      if (bad && !FLOATS.has(y.dtype) && !NARROW.has(y.dtype) && y.storage.host) {
        const v = y.storage.host as ArrayLike<number | bigint>;
        for (let i = 0; i < v.length; i++) if (bad(Number(v[i]))) return null;
      }
      return [binaryOp(b, type, spec, x, y)];
    },
  };
}

/** Runs one generated binary kernel with TensorFlow's broadcasting. */
export function binaryOp(b: KernelContext, type: string, spec: ElementwiseSpec, x: CudaHandle, y: CudaHandle): CudaHandle {
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
    if (plan.dims.length > MAX_BCAST_RANK)
      throw new InvalidArgumentError(`${type}: broadcasting over more than ${MAX_BCAST_RANK} distinct dimensions is not supported on the GPU`);
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

export function unaryKernel(type: string, spec: ElementwiseSpec): CudaKernelDef {
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

// ---------------------------------------------------------------- cast and fills

export function castOp(b: KernelContext, x: CudaHandle, to: DType): Handle {
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
export function fillConst(b: KernelContext, dtype: DType, shape: readonly number[], value: number, op: string): CudaHandle {
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

function fillFromScalar(b: KernelContext, v: CudaHandle, shape: readonly number[]): Handle {
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

let addRow: ElementwiseSpec | null = null;
/** AddV2's row (AddN and BiasAdd launch its kernel), looked up once the op library has registered. */
export function addSpec(): ElementwiseSpec {
  return (addRow ??= getOpSchema("AddV2")!.elementwise!);
}

export const elementwiseKernels: CudaKernelTable = {
  Cast: {
    supports: (d, attrs) => STORED.has(d[0]) && STORED.has(attrs.DstT as DType),
    attrKey: (attrs) => String(attrs.DstT),
    run: (b, [x], attrs) => [castOp(b, x, attrs.DstT as DType)],
  },
  Fill: { host: [0], supports: (d) => STORED.has(d[1]), run: (b, [dims, v]) => [fillFromScalar(b, v, hostInts(b, dims))] },
  ZerosLike: { supports: (d) => STORED.has(d[0]), run: (b, [x]) => [fillConst(b, x.dtype, x.shape, 0, "ZerosLike")] },
  OnesLike: { supports: (d) => STORED.has(d[0]), run: (b, [x]) => [fillConst(b, x.dtype, x.shape, 1, "OnesLike")] },
  SelectV2: {
    supports: (d) => d[0] === "bool" && STORED.has(d[1]) && d[2] === d[1],
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
      b.ctx
        .argI32(sizes[0] === n ? 1 : 0)
        .argI32(sizes[1] === n ? 1 : 0)
        .argI32(sizes[2] === n ? 1 : 0);
      b.launch(fn, b.grid(n));
      return [out];
    },
  },
  AddN: {
    supports: (d) => d.length > 0 && (NUMERIC.has(d[0]) || NARROW.has(d[0])) && d.every((x) => x === d[0]),
    run: (b, ins) => {
      if (ins.some((h) => h.shape.join(",") !== ins[0].shape.join(","))) return null;
      if (ins.length === 1) return [b.alias(ins[0])];
      const add = addSpec();
      let acc = binaryOp(b, "AddN", add, ins[0], ins[1]);
      for (let i = 2; i < ins.length; i++) {
        const next = binaryOp(b, "AddN", add, acc, ins[i]);
        b.dispose(acc);
        acc = next;
      }
      return [acc];
    },
  },
};
