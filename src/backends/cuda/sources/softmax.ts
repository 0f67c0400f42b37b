import type { DType } from "../../../core/dtype.js";
import { storageType } from "../translate.js";
import { header } from "./common.js";

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
