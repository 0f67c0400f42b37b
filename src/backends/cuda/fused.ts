import { InternalError } from "../../core/errors.js";
import type { DType } from "../../core/dtype.js";
import { sizeOf } from "../../core/shape.js";
import { getOpSchema } from "../../core/schema/index.js";
import { collapseDims, FusedOp, FusedProgram } from "../../core/fused.js";
import type { CudaHandle } from "./handle.js";
import type { KernelContext } from "./kernel.js";
import type { Ptr } from "./ffi.js";
import { header, MAX_BCAST_RANK } from "./sources/common.js";
import { castExpr } from "./sources/elementwise.js";
import { computeClass, computeType, storageType, storeConversion, translateSpec } from "./translate.js";

/**
 * Fused elementwise programs on the GPU: one NVRTC kernel per program and input layout. Each op becomes a
 * device function built exactly as its unfused kernel's `ts_op` is (operands converted from their storage
 * type to the op's compute type, the op table's expression translated by translate.ts, the result converted
 * to the storage type), so intermediates round as the unfused kernels' stores do.
 *
 * Compiled with --fmad=false: inlining the ops into one function would otherwise let the compiler contract a
 * product of one op with a sum of the next into an FMA, which the unfused kernels cannot do (and results
 * would differ in the last bit). Within a single op, the unfused kernels may still contract (TanhGrad's
 * `1 - a * a`); there the fused value may differ in the last bit. These kernels are memory-bound, so the
 * separate multiply and add cost nothing measurable.
 */

/** How an input is indexed by output element i, after the output's dims are collapsed. */
type Mode = "full" | "scalar" | "row" | "col" | "gen";

// The 16-bit floats too: each intermediate is stored rounded to its type, as the unfused kernels store it.
const STORABLE: ReadonlySet<DType> = new Set(["float32", "float64", "int32", "int64", "uint8", "bool", "float16", "bfloat16"]);

export const FUSED_NVRTC_OPTIONS: readonly string[] = ["--fmad=false"];

/** The device function computing one op (names f<i>), from the same pieces as the unfused kernels. */
function opFunction(op: FusedOp, i: number): string {
  const to = storageType(op.outDType);
  if (op.type === "Cast") {
    return `__device__ __forceinline__ ${to} f${i}(${storageType(op.inDType)} v) { return ${castExpr(op.inDType, op.outDType)}; }`;
  }
  if (op.type === "SelectV2") {
    const e = storageType(op.inDType);
    return `__device__ __forceinline__ ${to} f${i}(unsigned char c, ${e} t, ${e} e) { return c ? t : e; }`;
  }
  const spec = getOpSchema(op.type)?.elementwise;
  if (!spec) throw new InternalError(`fused kernel: ${op.type} is not elementwise`);
  const arity = op.args.length === 2 ? 2 : 1;
  const t = computeType(computeClass(op.inDType)!);
  const body = storeConversion(op.outDType, translateSpec(spec, op.inDType, arity));
  const params = arity === 2 ? `${t} a, ${t} b` : `${t} x`;
  // The translated expression names its compute type T (literals, T(TS_INF)).
  return `__device__ __forceinline__ ${to} f${i}(${params}) { typedef ${t} T; return ${body}; }`;
}

/** The operands of op `op` as the expressions its function takes. */
function callArgs(op: FusedOp, ref: (a: number) => string): string {
  if (op.type === "Cast" || op.type === "SelectV2") return op.args.map(ref).join(", ");
  const t = computeType(computeClass(op.inDType)!);
  return op.args.map((a) => `(${t})${ref(a)}`).join(", ");
}

export function fusedSource(p: FusedProgram, modes: readonly Mode[], index64: boolean): string {
  const k = p.inputDTypes.length;
  const outT = storageType(p.ops[p.ops.length - 1].outDType);
  const gen = modes.includes("gen");
  const lines: string[] = [header({}, index64)];
  if (gen) {
    lines.push(`struct FB { long long d[${MAX_BCAST_RANK}]; long long s[${k}][${MAX_BCAST_RANK}]; };`);
    lines.push(`__device__ __forceinline__ I goff(I i, const FB& s, int j, int rank) {
  I off = 0;
#pragma unroll
  for (int d = ${MAX_BCAST_RANK - 1}; d >= 0; d--) {
    if (d < rank) { const I dim = (I)s.d[d]; const I q = i / dim; off += (i - q * dim) * (I)s.s[j][d]; i = q; }
  }
  return off;
}`);
  }
  p.ops.forEach((op, i) => lines.push(opFunction(op, i)));
  const params = p.inputDTypes.map((d, j) => `const ${storageType(d)}* __restrict__ A${j}`);
  params.push(`${outT}* __restrict__ O`, "I n", "I C");
  if (gen) params.push("int rank", "FB s");
  const pre: string[] = [];
  const loads: string[] = [];
  p.inputDTypes.forEach((d, j) => {
    const st = storageType(d);
    const idx = { full: "(i)", row: "((i) % C)", col: "((i) / C)", gen: `goff((i), s, ${j}, rank)`, scalar: "0" }[modes[j]];
    if (modes[j] === "scalar") pre.push(`const ${st} x${j} = A${j}[0];`);
    else {
      pre.push(`${st} x${j}[4];`);
      loads.push(`x${j}[k] = A${j}[${idx}];`);
    }
  });
  const ref = (a: number) => (a < 0 ? (modes[-1 - a] === "scalar" ? `x${-1 - a}` : `x${-1 - a}[k]`) : `v${a}`);
  const last = p.ops.length - 1;
  const compute = p.ops.map((op, i) => {
    const call = `f${i}(${callArgs(op, ref)})`;
    return i === last ? `O[i] = ${call};` : `const ${storageType(op.outDType)} v${i} = ${call};`;
  });
  lines.push(`extern "C" __global__ void fused(${params.join(", ")}) {
  ${pre.join("\n  ")}
#define LD(k, i) { ${loads.join(" ")} }
#define ST(k, i) { ${compute.join(" ")} }
  ILP4(n, LD, ST)
#undef LD
#undef ST
}`);
  return lines.join("\n");
}

/** Whether a fused kernel computes `type` on `inDType` as the unfused GPU kernel does. */
export function cudaCanFuse(b: KernelContext, type: string, inDType: DType, outDType: DType): boolean {
  if (!STORABLE.has(inDType) || !STORABLE.has(outDType)) return false;
  try {
    if (type === "Cast") {
      castExpr(inDType, outDType);
      return true;
    }
    if (type === "SelectV2") return true;
    const spec = getOpSchema(type)?.elementwise;
    if (!spec) return false;
    const arity = getOpSchema(type)!.dtypeGroups?.[0]?.length === 2 ? 2 : 1;
    translateSpec(spec, inDType, arity);
    return b.canRun(type, arity === 2 ? [inDType, inDType] : [inDType]);
  } catch {
    return false;
  }
}

/** Integer tensors the backend computes on the host rather than launching (CudaBackend #fold). */
const FOLD_ELEMENTS = 16;

/**
 * Launches program `p` on `inputs` (this backend's buffers) for an output of `shape`; null where the unfused
 * ops would do something else: an op whose operands are all small values known on the host (the unfused op
 * is computed on the host, by the CPU's kernel), or a broadcast over more dims than the kernel takes.
 */
export function runFusedCuda(b: KernelContext, p: FusedProgram, inputs: readonly CudaHandle[], shape: readonly number[]): CudaHandle | null {
  for (const h of inputs) if ((h.backend as object) !== b || !STORABLE.has(h.dtype)) return null;
  for (const args of hostOnlyOps(p)) {
    let folded = true;
    for (const k of args) {
      const h = inputs[k];
      if (h.storage.host === null || sizeOf(h.shape) > FOLD_ELEMENTS) folded = false;
    }
    if (folded) return null;
  }
  const n = sizeOf(shape);
  if (n === 0) return b.empty(p.ops[p.ops.length - 1].outDType, shape, "FusedElementwise");
  // A training step runs the same program on the same shapes every time: its launch is worked out once.
  let cached = launches.get(p);
  if (!cached || cached.b !== b || !sameShapes(cached.shapes, inputs)) {
    cached = prepare(b, p, inputs, shape);
    launches.set(p, cached);
  }
  if (!cached.launch) return null;
  const { fn, args } = cached.launch;
  const out = b.empty(p.ops[p.ops.length - 1].outDType, shape, "FusedElementwise");
  b.ctx.makeCurrent();
  b.ctx.resetArgs();
  for (const h of inputs) b.ctx.argPtr(h.ptr);
  b.ctx.argPtr(out.ptr);
  if (args.i64) b.ctx.argI64(n).argI64(args.C);
  else b.ctx.argI32(n).argI32(args.C);
  if (args.gen) b.ctx.argI32(args.rank).argI64s(args.gen);
  b.launch(fn, b.grid(n));
  return out;
}

interface Prepared {
  readonly b: KernelContext;
  readonly shapes: readonly (readonly number[])[];
  /** null: the program cannot run as one kernel on these shapes. */
  readonly launch: { fn: Ptr; args: { i64: boolean; C: number; rank: number; gen: number[] | null } } | null;
}
const launches = new WeakMap<FusedProgram, Prepared>();

function sameShapes(a: readonly (readonly number[])[], inputs: readonly CudaHandle[]): boolean {
  if (a.length !== inputs.length) return false;
  for (let k = 0; k < a.length; k++) {
    const s = inputs[k].shape;
    if (s.length !== a[k].length) return false;
    for (let d = 0; d < s.length; d++) if (s[d] !== a[k][d]) return false;
  }
  return true;
}

/** Per program, the input indices of each op that reads external inputs only (those the host may fold). */
const hostOnly = new WeakMap<FusedProgram, readonly (readonly number[])[]>();
function hostOnlyOps(p: FusedProgram): readonly (readonly number[])[] {
  let l = hostOnly.get(p);
  if (!l) hostOnly.set(p, (l = p.ops.filter((op) => op.args.every((a) => a < 0)).map((op) => op.args.map((a) => -1 - a))));
  return l;
}

/** Layout, kernel (compiled on first use) and broadcast arguments of a program on these input shapes. */
function prepare(b: KernelContext, p: FusedProgram, inputs: readonly CudaHandle[], shape: readonly number[]): Prepared {
  const shapes = inputs.map((h) => h.shape.slice());
  const n = sizeOf(shape);
  const { dims, strides } = collapseDims(shape, shapes);
  if (dims.length > MAX_BCAST_RANK) return { b, shapes, launch: null };
  const r = dims.length;
  const modes: Mode[] = strides.map((st) => {
    if (st.every((x) => x === 0)) return "scalar";
    if (r <= 1) return "full";
    if (r === 2) {
      if (st[0] === dims[1] && st[1] === 1) return "full";
      if (st[0] === 0 && st[1] === 1) return "row";
      if (st[0] === 1 && st[1] === 0) return "col";
    }
    return "gen";
  });
  const i64 = n >= 2 ** 31;
  const key = `fused.${p.key}.${modes.join(",")}.${i64 ? 64 : 32}`;
  b.ctx.makeCurrent();
  // Compiled on the first run of a step (uncaptured); a captured replay only launches it.
  const fn = b.fn(key, "fused", () => fusedSource(p, modes, i64), FUSED_NVRTC_OPTIONS);
  const pad = (v: number[], fill: number) => [...v, ...new Array<number>(MAX_BCAST_RANK - v.length).fill(fill)];
  const gen = modes.includes("gen") ? [...pad(dims, 1), ...strides.flatMap((st) => pad(st, 0))] : null;
  return { b, shapes, launch: { fn, args: { i64, C: r === 2 ? dims[1] : 1, rank: r, gen } } };
}
