import type { DType } from "../../../core/dtype.js";
import { storageType } from "../translate.js";
import { header } from "./common.js";

/**
 * Row-wise softmax family over the last axis, one block per row: softmax, log_softmax, and the two
 * cross-entropy ops (loss per row plus backprop = softmax - labels), computed in the dtype's precision
 * (float for float16 and bfloat16) with the row maximum subtracted first.
 */
export function softmaxSource(dtype: DType, labelDType: DType | null, index64: boolean): string {
  const st = storageType(dtype);
  // S: the stored element; T: what rows are computed in (float for the 16-bit floats).
  const t = dtype === "float16" || dtype === "bfloat16" ? "float" : st;
  const lt = labelDType ? storageType(labelDType) : "int";
  return `${header({ S: st, T: t, TL: lt }, index64)}
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
extern "C" __global__ void softmax(const S* __restrict__ X, S* __restrict__ Y, I rows, I C, int mode) {
  for (I r = blockIdx.x; r < rows; r += gridDim.x) {
    const S* x = X + r * C;
    S* y = Y + r * C;
    T m = (T)(-TS_INF);
    for (I j = threadIdx.x; j < C; j += blockDim.x) m = (((T)x[j]) > m || ((T)x[j]) != ((T)x[j])) ? ((T)x[j]) : m;
    m = bmax(m);
    T s = 0;
    for (I j = threadIdx.x; j < C; j += blockDim.x) s += ts_exp(((T)x[j]) - m);
    s = bsum(s);
    if (mode == 0) { const T inv = (T)1 / s; for (I j = threadIdx.x; j < C; j += blockDim.x) y[j] = ts_exp(((T)x[j]) - m) * inv; }
    else { const T ls = ts_log(s); for (I j = threadIdx.x; j < C; j += blockDim.x) y[j] = ((T)x[j]) - m - ls; }
  }
}
// Dense labels [rows, C]: loss = sum(labels * (logsumexp - x)), backprop = softmax - labels.
extern "C" __global__ void xent(const S* __restrict__ X, const S* __restrict__ L, S* __restrict__ loss, S* __restrict__ G, I rows, I C) {
  for (I r = blockIdx.x; r < rows; r += gridDim.x) {
    const S* x = X + r * C;
    const S* l = L + r * C;
    S* g = G + r * C;
    T m = (T)(-TS_INF);
    for (I j = threadIdx.x; j < C; j += blockDim.x) m = (((T)x[j]) > m || ((T)x[j]) != ((T)x[j])) ? ((T)x[j]) : m;
    m = bmax(m);
    T s = 0;
    for (I j = threadIdx.x; j < C; j += blockDim.x) s += ts_exp(((T)x[j]) - m);
    s = bsum(s);
    const T lse = m + ts_log(s);
    T acc = 0;
    for (I j = threadIdx.x; j < C; j += blockDim.x) { acc += ((T)l[j]) * (lse - ((T)x[j])); g[j] = ts_exp(((T)x[j]) - lse) - ((T)l[j]); }
    acc = bsum(acc);
    if (threadIdx.x == 0) loss[r] = acc;
  }
}
// Sparse labels [rows]: loss = logsumexp - x[label], backprop = softmax - one_hot(label). A label outside
// [0, C) gives NaN for its row, as TensorFlow's GPU kernel does.
extern "C" __global__ void sxent(const S* __restrict__ X, const TL* __restrict__ L, S* __restrict__ loss, S* __restrict__ G, I rows, I C) {
  for (I r = blockIdx.x; r < rows; r += gridDim.x) {
    const S* x = X + r * C;
    S* g = G + r * C;
    const long long lab = (long long)L[r];
    const bool ok = lab >= 0 && lab < (long long)C;
    T m = (T)(-TS_INF);
    for (I j = threadIdx.x; j < C; j += blockDim.x) m = (((T)x[j]) > m || ((T)x[j]) != ((T)x[j])) ? ((T)x[j]) : m;
    m = bmax(m);
    T s = 0;
    for (I j = threadIdx.x; j < C; j += blockDim.x) s += ts_exp(((T)x[j]) - m);
    s = bsum(s);
    const T lse = m + ts_log(s);
    for (I j = threadIdx.x; j < C; j += blockDim.x) g[j] = ok ? ts_exp(((T)x[j]) - lse) - ((long long)j == lab ? (T)1 : (T)0) : (T)TS_NAN;
    if (threadIdx.x == 0) loss[r] = ok ? lse - ((T)x[lab]) : (T)TS_NAN;
  }
}
`;
}
