import type { DType } from "../../core/dtype.js";
import type { ElementwiseSpec } from "../../ops/registry.js";
import { computeClass, computeType, PRELUDE, storageType, storeConversion, translateSpec, TranslateError } from "./translate.js";

/**
 * CUDA C++ sources for the kernels the cuda backend generates: elementwise ops (from the op table, through
 * translate.ts), casts, fills, reductions and softmax rows. Each source is one module holding the variants a
 * launch may pick (contiguous, scalar operand, broadcast; single pass or split rows). Every source starts with
 * its typedefs, so one text is one cache entry on disk.
 *
 * Index type I: 32-bit when every index of the launch fits, else 64-bit (the caller picks, it is in the key).
 */

export const MAX_BCAST_RANK = 6;

export function header(types: Record<string, string>, index64: boolean): string {
  const lines = Object.entries(types).map(([k, v]) => `typedef ${v} ${k};`);
  lines.push(`typedef ${index64 ? "unsigned long long" : "unsigned int"} I;`);
  return `${PRELUDE}\n${lines.join("\n")}\n#define GRID_LOOP(i, n) for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (I)gridDim.x * blockDim.x)\n${ILP_LOOP}`;
}

/**
 * A grid-stride loop doing four elements per step: their loads are independent, so each thread keeps four
 * memory requests in flight instead of one (LOAD(k, i) loads element i into slot k, STORE(k, i) stores it).
 */
const ILP_LOOP = `#define ILP4(n, LOAD, STORE) { \\
  const I s_ = (I)gridDim.x * blockDim.x; \\
  I i_ = (I)blockIdx.x * blockDim.x + threadIdx.x; \\
  for (; i_ + 3 * s_ < (n); i_ += 4 * s_) { \\
    LOAD(0, i_) LOAD(1, i_ + s_) LOAD(2, i_ + 2 * s_) LOAD(3, i_ + 3 * s_) \\
    STORE(0, i_) STORE(1, i_ + s_) STORE(2, i_ + 2 * s_) STORE(3, i_ + 3 * s_) } \\
  for (; i_ < (n); i_ += s_) { LOAD(0, i_) STORE(0, i_) } }
`;

/** Broadcast strides of a launch: dims and per-input element strides (0 where broadcast), innermost last. */
const BC_STRUCT = `struct BC { long long d[${MAX_BCAST_RANK}]; long long sa[${MAX_BCAST_RANK}]; long long sb[${MAX_BCAST_RANK}]; };`;

/** Kernels ew_vv (same shapes), ew_sv / ew_vs (scalar a / b), ew_vr / ew_rv (a broadcast row), ew_bc (general broadcast) for a binary op. */
export function binarySource(spec: ElementwiseSpec, inDType: DType, outDType: DType, index64: boolean): string {
  const body = translateSpec(spec, inDType, 2);
  const c = computeClass(inDType)!;
  return `${header({ T: computeType(c), TI: storageType(inDType), TO: storageType(outDType) }, index64)}
${BC_STRUCT}
__device__ __forceinline__ TO ts_op(T a, T b) { return ${storeConversion(outDType, body)}; }
extern "C" __global__ void ew_vv(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n) {
  T a[4], b[4];
#define LD(k, i) a[k] = (T)A[i]; b[k] = (T)B[i];
#define ST(k, i) O[i] = ts_op(a[k], b[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
extern "C" __global__ void ew_sv(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n) {
  const T a = (T)A[0];
  T b[4];
#define LD(k, i) b[k] = (T)B[i];
#define ST(k, i) O[i] = ts_op(a, b[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
extern "C" __global__ void ew_vs(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n) {
  const T b = (T)B[0];
  T a[4];
#define LD(k, i) a[k] = (T)A[i];
#define ST(k, i) O[i] = ts_op(a[k], b);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
// A row of C values broadcast over the rows of the other operand (a bias): ew_vr (B is the row), ew_rv (A is).
extern "C" __global__ void ew_vr(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n, I C) {
  T a[4], b[4];
#define LD(k, i) a[k] = (T)A[i]; b[k] = (T)B[(i) % C];
#define ST(k, i) O[i] = ts_op(a[k], b[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
extern "C" __global__ void ew_rv(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n, I C) {
  T a[4], b[4];
#define LD(k, i) a[k] = (T)A[(i) % C]; b[k] = (T)B[i];
#define ST(k, i) O[i] = ts_op(a[k], b[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
extern "C" __global__ void ew_bc(const TI* __restrict__ A, const TI* __restrict__ B, TO* __restrict__ O, I n, int rank, BC s) {
  GRID_LOOP(i, n) {
    I rem = i, ia = 0, ib = 0;
#pragma unroll
    for (int d = ${MAX_BCAST_RANK - 1}; d >= 0; d--) {
      if (d < rank) {
        const I dim = (I)s.d[d];
        const I q = rem / dim;
        const I c = rem - q * dim;
        ia += c * (I)s.sa[d];
        ib += c * (I)s.sb[d];
        rem = q;
      }
    }
    O[i] = ts_op((T)A[ia], (T)B[ib]);
  }
}
`;
}

export function unarySource(spec: ElementwiseSpec, inDType: DType, outDType: DType, index64: boolean): string {
  const body = translateSpec(spec, inDType, 1);
  const c = computeClass(inDType)!;
  return `${header({ T: computeType(c), TI: storageType(inDType), TO: storageType(outDType) }, index64)}
__device__ __forceinline__ TO ts_op(T x) { return ${storeConversion(outDType, body)}; }
extern "C" __global__ void ew_u(const TI* __restrict__ X, TO* __restrict__ O, I n) {
  T x[4];
#define LD(k, i) x[k] = (T)X[i];
#define ST(k, i) O[i] = ts_op(x[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
`;
}

/** TensorFlow's cast semantics as the CPU reference has them: truncation toward zero, NaN to true. */
export function castExpr(from: DType, to: DType): string {
  const floatIn = from === "float32" || from === "float64";
  switch (to) {
    case "float32": return "(float)v";
    case "float64": return "(double)v";
    case "bool": return "(unsigned char)(v != 0)";
    case "int32": return floatIn ? "ts_toint32(ts_trunc(v))" : "(int)v";
    case "uint8": return floatIn ? "ts_touint8(ts_trunc(v))" : "(unsigned char)v";
    case "int64": return floatIn ? "(ts_isfinite(v) ? (long long)ts_trunc(v) : 0LL)" : "(long long)v";
    default: throw new TranslateError(`no CUDA cast to ${to}`);
  }
}

export function castSource(from: DType, to: DType, index64: boolean): string {
  return `${header({ TI: storageType(from), TO: storageType(to) }, index64)}
__device__ __forceinline__ TO conv(TI v) { return ${castExpr(from, to)}; }
extern "C" __global__ void cast(const TI* __restrict__ X, TO* __restrict__ O, I n) {
  TI x[4];
#define LD(k, i) x[k] = X[i];
#define ST(k, i) O[i] = conv(x[k]);
  ILP4(n, LD, ST)
#undef LD
#undef ST
}
`;
}

/** fill_s: every element from a device scalar; fill_c: from a constant argument (double or long long). */
export function fillSource(dtype: DType, index64: boolean): string {
  const arg = dtype === "int64" ? "long long" : "double";
  return `${header({ TO: storageType(dtype) }, index64)}
extern "C" __global__ void fill_s(TO* __restrict__ O, const TO* __restrict__ V, I n) {
  const TO v = V[0];
  GRID_LOOP(i, n) O[i] = v;
}
extern "C" __global__ void fill_c(TO* __restrict__ O, ${arg} c, I n) {
  const TO v = (TO)c;
  GRID_LOOP(i, n) O[i] = v;
}
`;
}

export type ReduceKind = "sum" | "mean" | "prod" | "max" | "min" | "any" | "all";

/** Accumulator type, initial value and combine step of a reduction on `dtype`. */
function reduceParts(kind: ReduceKind, dtype: DType): { acc: string; init: string; comb: string; fin: string } {
  const float = dtype === "float32" || dtype === "float64";
  const ft = storageType(dtype);
  switch (kind) {
    case "sum": case "mean":
      // float32 sums accumulate in double (the CPU reference does), integer sums in 64 bits, wrapping on store.
      return {
        acc: float ? "double" : "long long", init: "0", comb: "((a) + (b))",
        fin: kind === "mean" ? (float ? "(TO)(a / count)" : "(count == 0 ? (TO)0 : (TO)(a / (long long)count))") : "(TO)(a)",
      };
    case "prod":
      return { acc: float ? "double" : "unsigned long long", init: "1", comb: "((a) * (b))", fin: "(TO)(a)" };
    case "max": case "min": {
      const gt = kind === "max" ? ">" : "<";
      if (float) {
        // NaN wins, as in TensorFlow.
        const inf = kind === "max" ? "-TS_INF" : "TS_INF";
        return { acc: ft, init: `(${ft})(${inf})`, comb: `(((a) != (a)) ? (a) : (((b) != (b)) || ((b) ${gt} (a))) ? (b) : (a))`, fin: "(TO)(a)" };
      }
      const limits: Record<string, [string, string]> = {
        int32: ["(-2147483647 - 1)", "2147483647"], uint8: ["0", "255"], bool: ["0", "255"], int64: ["(-9223372036854775807LL - 1)", "9223372036854775807LL"],
      };
      const [lo, hi] = limits[dtype];
      return { acc: dtype === "int64" ? "long long" : "int", init: kind === "max" ? lo : hi, comb: `(((b) ${gt} (a)) ? (b) : (a))`, fin: "(TO)(a)" };
    }
    case "any":
      return { acc: "int", init: "0", comb: "((a) | ((b) != 0))", fin: "(TO)(a != 0)" };
    case "all":
      return { acc: "int", init: "1", comb: "((a) & ((b) != 0))", fin: "(TO)(a != 0)" };
  }
}

/**
 * Reductions of a tensor viewed as [outer, R, inner] over R. Rows (inner == 1): one block per row, or per
 * segment of a row with a second pass over the partial results when rows are few and long. Columns
 * (inner > 1): one thread per (outer, inner) element, walking R with coalesced loads, again optionally
 * split over R with a second pass.
 */
export function reduceSource(kind: ReduceKind, dtype: DType, index64: boolean): string {
  const p = reduceParts(kind, dtype);
  return `${header({ TI: storageType(dtype), TO: storageType(dtype), ACC: p.acc }, index64)}
#define COMB(a, b) ${p.comb}
__device__ __forceinline__ TO fin(ACC a, double count) { return ${p.fin}; }
__device__ __forceinline__ ACC block_reduce(ACC v) {
  __shared__ ACC sh[32];
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) { ACC u = __shfl_down_sync(0xffffffffu, v, o); v = COMB(v, u); }
  if (lane == 0) sh[w] = v;
  __syncthreads();
  if (w == 0) {
    v = (lane < (int)(blockDim.x >> 5)) ? sh[lane] : (ACC)(${p.init});
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) { ACC u = __shfl_down_sync(0xffffffffu, v, o); v = COMB(v, u); }
  }
  __syncthreads();
  return v;
}
template <class X, bool FINAL>
__device__ __forceinline__ void rows(const X* __restrict__ x, ACC* __restrict__ part, TO* __restrict__ out, I outer, I R, I seg, double count) {
  const I splits = gridDim.y;
  for (I row = blockIdx.x; row < outer; row += gridDim.x) {
    const I lo = (I)blockIdx.y * seg;
    const I hi = lo + seg < R ? lo + seg : R;
    const X* xr = x + row * R;
    // Four accumulators: four independent loads in flight per thread.
    ACC a0 = (ACC)(${p.init}), a1 = a0, a2 = a0, a3 = a0;
    const I st = blockDim.x;
    I j = lo + threadIdx.x;
    for (; j + 3 * st < hi; j += 4 * st) {
      const ACC v0 = (ACC)xr[j], v1 = (ACC)xr[j + st], v2 = (ACC)xr[j + 2 * st], v3 = (ACC)xr[j + 3 * st];
      a0 = COMB(a0, v0); a1 = COMB(a1, v1); a2 = COMB(a2, v2); a3 = COMB(a3, v3);
    }
    for (; j < hi; j += st) { const ACC v = (ACC)xr[j]; a0 = COMB(a0, v); }
    a0 = COMB(a0, a1); a2 = COMB(a2, a3);
    ACC acc = COMB(a0, a2);
    acc = block_reduce(acc);
    if (threadIdx.x == 0) {
      if (FINAL) out[row] = fin(acc, count);
      else part[row * splits + blockIdx.y] = acc;
    }
  }
}
extern "C" __global__ void red_rows(const TI* X, TO* O, I outer, I R, double count) { rows<TI, true>(X, 0, O, outer, R, R, count); }
extern "C" __global__ void red_rows_p(const TI* X, ACC* P, I outer, I R, I seg) { rows<TI, false>(X, P, 0, outer, R, seg, 0.0); }
extern "C" __global__ void red_rows_acc(const ACC* X, TO* O, I outer, I R, double count) { rows<ACC, true>(X, 0, O, outer, R, R, count); }
template <class X, bool FINAL>
__device__ __forceinline__ void cols(const X* __restrict__ x, ACC* __restrict__ part, TO* __restrict__ out, I outer, I R, I inner, I seg, double count) {
  const I splits = gridDim.y;
  const I lo = (I)blockIdx.y * seg;
  const I hi = lo + seg < R ? lo + seg : R;
  GRID_LOOP(idx, outer * inner) {
    const I o = idx / inner, in = idx - o * inner;
    const X* xp = x + o * R * inner + in;
    ACC a0 = (ACC)(${p.init}), a1 = a0, a2 = a0, a3 = a0;
    I j = lo;
    for (; j + 3 < hi; j += 4) {
      const ACC v0 = (ACC)xp[j * inner], v1 = (ACC)xp[(j + 1) * inner], v2 = (ACC)xp[(j + 2) * inner], v3 = (ACC)xp[(j + 3) * inner];
      a0 = COMB(a0, v0); a1 = COMB(a1, v1); a2 = COMB(a2, v2); a3 = COMB(a3, v3);
    }
    for (; j < hi; j++) { const ACC v = (ACC)xp[j * inner]; a0 = COMB(a0, v); }
    a0 = COMB(a0, a1); a2 = COMB(a2, a3);
    const ACC acc = COMB(a0, a2);
    if (FINAL) out[idx] = fin(acc, count);
    else part[(o * splits + blockIdx.y) * inner + in] = acc;
  }
}
extern "C" __global__ void red_cols(const TI* X, TO* O, I outer, I R, I inner, double count) { cols<TI, true>(X, 0, O, outer, R, inner, R, count); }
extern "C" __global__ void red_cols_p(const TI* X, ACC* P, I outer, I R, I inner, I seg) { cols<TI, false>(X, P, 0, outer, R, inner, seg, 0.0); }
extern "C" __global__ void red_cols_acc(const ACC* X, TO* O, I outer, I R, I inner, double count) { cols<ACC, true>(X, 0, O, outer, R, inner, R, count); }
`;
}

/** Bytes of one accumulator of a reduction (for the partial-results buffer). */
export function reduceAccBytes(kind: ReduceKind, dtype: DType): number {
  const a = reduceParts(kind, dtype).acc;
  return a === "int" || a === "float" ? 4 : 8;
}

/**
 * Row-wise softmax family over the last axis, one block per row: softmax, log_softmax, and the two
 * cross-entropy ops (loss per row plus backprop = softmax - labels), computed in the dtype's precision
 * with the row maximum subtracted first.
 */
export function softmaxSource(dtype: DType, labelDType: DType | null, index64: boolean): string {
  const t = storageType(dtype);
  const lt = labelDType ? storageType(labelDType) : "int";
  return `${header({ T: t, TL: lt }, index64)}
__device__ __forceinline__ T bmax(T v) {
  __shared__ T sh[32];
  __shared__ T res;
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) { T u = __shfl_down_sync(0xffffffffu, v, o); v = (u > v || u != u) ? u : v; }
  if (lane == 0) sh[w] = v;
  __syncthreads();
  if (w == 0) {
    v = (lane < (int)(blockDim.x >> 5)) ? sh[lane] : (T)(-TS_INF);
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) { T u = __shfl_down_sync(0xffffffffu, v, o); v = (u > v || u != u) ? u : v; }
    if (lane == 0) res = v;
  }
  __syncthreads();
  return res;
}
__device__ __forceinline__ T bsum(T v) {
  __shared__ T sh[32];
  __shared__ T res;
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  if (lane == 0) sh[w] = v;
  __syncthreads();
  if (w == 0) {
    v = (lane < (int)(blockDim.x >> 5)) ? sh[lane] : (T)0;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    if (lane == 0) res = v;
  }
  __syncthreads();
  return res;
}
// mode 0: softmax, 1: log_softmax
extern "C" __global__ void softmax(const T* __restrict__ X, T* __restrict__ Y, I rows, I C, int mode) {
  for (I r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = X + r * C;
    T* y = Y + r * C;
    T m = (T)(-TS_INF);
    for (I j = threadIdx.x; j < C; j += blockDim.x) m = (x[j] > m || x[j] != x[j]) ? x[j] : m;
    m = bmax(m);
    T s = 0;
    for (I j = threadIdx.x; j < C; j += blockDim.x) s += ts_exp(x[j] - m);
    s = bsum(s);
    if (mode == 0) { const T inv = (T)1 / s; for (I j = threadIdx.x; j < C; j += blockDim.x) y[j] = ts_exp(x[j] - m) * inv; }
    else { const T ls = ts_log(s); for (I j = threadIdx.x; j < C; j += blockDim.x) y[j] = x[j] - m - ls; }
  }
}
// Dense labels [rows, C]: loss = sum(labels * (logsumexp - x)), backprop = softmax - labels.
extern "C" __global__ void xent(const T* __restrict__ X, const T* __restrict__ L, T* __restrict__ loss, T* __restrict__ G, I rows, I C) {
  for (I r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = X + r * C;
    const T* l = L + r * C;
    T* g = G + r * C;
    T m = (T)(-TS_INF);
    for (I j = threadIdx.x; j < C; j += blockDim.x) m = (x[j] > m || x[j] != x[j]) ? x[j] : m;
    m = bmax(m);
    T s = 0;
    for (I j = threadIdx.x; j < C; j += blockDim.x) s += ts_exp(x[j] - m);
    s = bsum(s);
    const T lse = m + ts_log(s);
    T acc = 0;
    for (I j = threadIdx.x; j < C; j += blockDim.x) { acc += l[j] * (lse - x[j]); g[j] = ts_exp(x[j] - lse) - l[j]; }
    acc = bsum(acc);
    if (threadIdx.x == 0) loss[r] = acc;
  }
}
// Sparse labels [rows]: loss = logsumexp - x[label], backprop = softmax - one_hot(label). A label outside
// [0, C) gives NaN for its row, as TensorFlow's GPU kernel does.
extern "C" __global__ void sxent(const T* __restrict__ X, const TL* __restrict__ L, T* __restrict__ loss, T* __restrict__ G, I rows, I C) {
  for (I r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = X + r * C;
    T* g = G + r * C;
    const long long lab = (long long)L[r];
    const bool ok = lab >= 0 && lab < (long long)C;
    T m = (T)(-TS_INF);
    for (I j = threadIdx.x; j < C; j += blockDim.x) m = (x[j] > m || x[j] != x[j]) ? x[j] : m;
    m = bmax(m);
    T s = 0;
    for (I j = threadIdx.x; j < C; j += blockDim.x) s += ts_exp(x[j] - m);
    s = bsum(s);
    const T lse = m + ts_log(s);
    for (I j = threadIdx.x; j < C; j += blockDim.x) g[j] = ok ? ts_exp(x[j] - lse) - ((long long)j == lab ? (T)1 : (T)0) : (T)TS_NAN;
    if (threadIdx.x == 0) loss[r] = ok ? lse - x[lab] : (T)TS_NAN;
  }
}
`;
}

/** Element types by size: data movement only needs the bytes. */
export function moveType(bytes: number): string {
  return bytes === 1 ? "unsigned char" : bytes === 2 ? "unsigned short" : bytes === 4 ? "unsigned int" : "unsigned long long";
}

/**
 * One strided copy: element i of an iteration space of up to MAX_BCAST_RANK dims is read at
 * sbase + sum(c_d * ss_d) and written at dbase + sum(c_d * ds_d). Strides may be negative (reversal) or
 * zero (broadcast). Transpose, BroadcastTo, Slice, ReverseV2, ConcatV2, Pack, Unpack and Split are all
 * launches of this kernel with different strides.
 */
export function stridedCopySource(bytes: number, index64: boolean): string {
  return `${header({ E: moveType(bytes) }, index64)}
struct SC { long long d[${MAX_BCAST_RANK}]; long long ss[${MAX_BCAST_RANK}]; long long ds[${MAX_BCAST_RANK}]; };
extern "C" __global__ void scopy(const E* __restrict__ S, E* __restrict__ D, I n, int rank, long long sbase, long long dbase, SC s) {
  GRID_LOOP(i, n) {
    I rem = i;
    long long so = sbase, dof = dbase;
#pragma unroll
    for (int d = ${MAX_BCAST_RANK - 1}; d >= 0; d--) {
      if (d < rank) {
        const I dim = (I)s.d[d];
        const I q = rem / dim;
        const long long c = (long long)(rem - q * dim);
        so += c * s.ss[d];
        dof += c * s.ds[d];
        rem = q;
      }
    }
    D[dof] = S[so];
  }
}
`;
}

/** SelectV2 where each operand is either full-size or a scalar (steps 1 or 0). */
export function selectSource(dtype: DType, index64: boolean): string {
  return `${header({ E: storageType(dtype) }, index64)}
extern "C" __global__ void select_v2(const unsigned char* __restrict__ C, const E* __restrict__ T_, const E* __restrict__ F, E* __restrict__ O, I n, int sc, int st, int sf) {
  GRID_LOOP(i, n) O[i] = C[sc ? i : 0] ? T_[st ? i : 0] : F[sf ? i : 0];
}
`;
}

/** OneHot: output [outer, depth, inner] from indices [outer, inner]; on/off values read from device scalars. */
export function oneHotSource(dtype: DType, indexDType: DType, index64: boolean): string {
  return `${header({ E: storageType(dtype), IX: storageType(indexDType) }, index64)}
extern "C" __global__ void one_hot(const IX* __restrict__ X, const E* __restrict__ ON, const E* __restrict__ OFF, E* __restrict__ O, I n, I depth, I inner) {
  const E on = ON[0], off = OFF[0];
  GRID_LOOP(i, n) {
    const I in = i % inner;
    const I rest = i / inner;
    const I v = rest % depth;
    const I o = rest / depth;
    const long long ix = (long long)X[o * inner + in];
    O[i] = (ix == (long long)v) ? on : off;
  }
}
`;
}
