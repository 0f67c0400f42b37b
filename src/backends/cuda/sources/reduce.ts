import type { DType } from "../../../core/dtype.js";
import { storageType } from "../translate.js";
import { header } from "./common.js";

/** CUDA C++ of the reduce family: reductions over [outer, R, inner] views, and column sums of few columns. */

export type ReduceKind = "sum" | "mean" | "prod" | "max" | "min" | "any" | "all";

/** Accumulator type, initial value and combine step of a reduction on `dtype`. */
function reduceParts(kind: ReduceKind, dtype: DType): { acc: string; init: string; comb: string; fin: string } {
  const narrow = dtype === "float16" || dtype === "bfloat16";
  const float = dtype === "float32" || dtype === "float64" || narrow;
  // The 16-bit floats are compared in float (a warp shuffle moves no 2-byte struct).
  const ft = narrow ? "float" : storageType(dtype);
  switch (kind) {
    case "sum":
    case "mean":
      // float32 sums accumulate in double (the CPU reference does), integer sums in 64 bits, wrapping on store.
      return {
        acc: float ? "double" : "long long",
        init: "0",
        comb: "((a) + (b))",
        fin: kind === "mean" ? (float ? "(TO)(a / count)" : "(count == 0 ? (TO)0 : (TO)(a / (long long)count))") : "(TO)(a)",
      };
    case "prod":
      return { acc: float ? "double" : "unsigned long long", init: "1", comb: "((a) * (b))", fin: "(TO)(a)" };
    case "max":
    case "min": {
      const gt = kind === "max" ? ">" : "<";
      if (float) {
        // NaN wins, as in TensorFlow.
        const inf = kind === "max" ? "-TS_INF" : "TS_INF";
        return { acc: ft, init: `(${ft})(${inf})`, comb: `(((a) != (a)) ? (a) : (((b) != (b)) || ((b) ${gt} (a))) ? (b) : (a))`, fin: "(TO)(a)" };
      }
      const limits: Record<string, [string, string]> = {
        int32: ["(-2147483647 - 1)", "2147483647"],
        uint8: ["0", "255"],
        bool: ["0", "255"],
        int64: ["(-9223372036854775807LL - 1)", "9223372036854775807LL"],
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

/** Column sums in double (kernels/reduce.ts columnSums) and the in-order sum of per-block partial results. */
export function columnSumSource(t: string): string {
  return `typedef ${t} T;
// Column sums of a [R, C] matrix with few columns (BiasAddGrad of a convolution): each block sums a range of
// rows with coalesced loads (thread t always reads column t % C) in double, combines per column in shared
// memory, and writes part[block][C]; sum_partials finishes (the float32 result is the double sum, rounded).
extern "C" __global__ void colsum(const T* __restrict__ x, double* __restrict__ part, long long R, int C, long long rowsPerBlock) {
  __shared__ double sh[256];
  const int group = blockDim.x / C;
  const int c = threadIdx.x % C, r0 = threadIdx.x / C;
  double acc = 0;
  if (r0 < group) {
    const long long begin = (long long)blockIdx.x * rowsPerBlock;
    const long long end = begin + rowsPerBlock < R ? begin + rowsPerBlock : R;
    for (long long r = begin + r0; r < end; r += group) acc += (double)x[r * C + c];
  }
  sh[threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.x < C) {
    double s = 0;
    for (int k = threadIdx.x; k < group * C; k += C) s += sh[k];
    part[(long long)blockIdx.x * C + threadIdx.x] = s;
  }
}
// One warp per output: lanes take every 32nd partial, then a fixed shuffle tree (the same order every run).
extern "C" __global__ void sum_partials(const double* __restrict__ part, T* __restrict__ out, int blocks, int M) {
  const int lane = threadIdx.x & 31;
  for (int m = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; m < M; m += (gridDim.x * blockDim.x) >> 5) {
    double s = 0;
    for (int k = lane; k < blocks; k += 32) s += part[(long long)k * M + m];
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    if (lane == 0) out[m] = (T)s;
  }
}
`;
}
