import type { DType } from "../../../core/dtype.js";
import { storageType } from "../translate.js";
import { header } from "./common.js";

/**
 * CUDA C++ of the norm family's batch normalization (FusedBatchNormV3 and its gradient) over x viewed as
 * [outer, C, inner]: channels-last data is [N*H*W, C, 1] ("rows": a thread block covers a tile of up to 32
 * channels and a range of rows, so loads are coalesced along C), channels-first [N, C, H*W] ("planes": a
 * block covers one channel and a range of its positions). TX is x's stored type (y, dy, dx alike), TU the
 * statistics' (scale, offset, mean, variance). Everything is computed in double, as the CPU kernel does, and
 * stored rounded once; the module is compiled without FMA contraction, so each double operation rounds as
 * the CPU's JavaScript does.
 *
 * Per-channel sums are two passes: `stats` writes one partial sum per (block, channel), `finalize` adds a
 * channel's partials in a fixed order (one warp per channel; the same order on every run) and derives the
 * statistics and the per-channel coefficients `apply` uses. The forward sums are of x - K and (x - K)^2 with
 * K the channel's first value (when finite): the shifted-data variance (q - s^2/n)/n then loses nothing to
 * cancellation when the mean is large against the spread, in one read of x. The gradient's sums are of dy and
 * dy (x - mean), mean being the saved batch mean (reserve_space_1).
 */
export function batchNormSource(x: DType, u: DType, index64: boolean): string {
  return `${header({ TX: storageType(x), TU: storageType(u) }, index64)}
// A channel's shift: its first value when finite (an infinity would make every difference NaN), else 0.
__device__ __forceinline__ double shift_of(double v) { return v - v == 0.0 ? v : 0.0; }

// Sums over blockDim.x (256) threads' pairs in shared memory, a fixed tree; threads whose index differs by
// a multiple of (1 << lg) from thread t add into t. Leaves the results in s1[0 .. (1 << lg)), s2 likewise.
__device__ __forceinline__ void tree(double* s1, double* s2, int lg) {
  const int rows = blockDim.x >> lg, ty = threadIdx.x >> lg;
  __syncthreads();
  for (int h = rows >> 1; h > 0; h >>= 1) {
    if (ty < h) {
      s1[threadIdx.x] += s1[threadIdx.x + (h << lg)];
      s2[threadIdx.x] += s2[threadIdx.x + (h << lg)];
    }
    __syncthreads();
  }
}

// MODE 0 (forward): sums of x - K and (x - K)^2. MODE 1 (gradient): sums of dy and dy (x - mean).
template <int MODE>
__device__ __forceinline__ void stats_rows(const TX* __restrict__ x, const TX* __restrict__ dy, const TU* __restrict__ mean,
    double* __restrict__ p1, double* __restrict__ p2, I R, I C, I rowsPerBlock, int lg) {
  __shared__ double s1[256], s2[256];
  const int tw = 1 << lg, tx = threadIdx.x & (tw - 1), ty = threadIdx.x >> lg, rows = blockDim.x >> lg;
  const I r0 = (I)blockIdx.x * rowsPerBlock;
  const I r1 = r0 + rowsPerBlock < R ? r0 + rowsPerBlock : R;
  for (I c0 = (I)blockIdx.y * tw; c0 < C; c0 += (I)gridDim.y * tw) {
    const I c = c0 + tx;
    double a = 0, q = 0;
    if (c < C) {
      const double k = MODE == 0 ? shift_of((double)x[c]) : (double)mean[c];
#pragma unroll 4
      for (I r = r0 + ty; r < r1; r += rows) {
        const double v = (double)x[r * C + c] - k;
        if (MODE == 0) { a += v; q += v * v; }
        else { const double g = (double)dy[r * C + c]; a += g; q += g * v; }
      }
    }
    s1[threadIdx.x] = a;
    s2[threadIdx.x] = q;
    tree(s1, s2, lg);
    if (ty == 0 && c < C) {
      p1[(I)blockIdx.x * C + c] = s1[tx];
      p2[(I)blockIdx.x * C + c] = s2[tx];
    }
    __syncthreads();
  }
}
template <int MODE>
__device__ __forceinline__ void stats_planes(const TX* __restrict__ x, const TX* __restrict__ dy, const TU* __restrict__ mean,
    double* __restrict__ p1, double* __restrict__ p2, I outer, I C, I inner, I perBlock) {
  __shared__ double s1[256], s2[256];
  const I R = outer * inner;
  const I q0 = (I)blockIdx.x * perBlock;
  const I q1 = q0 + perBlock < R ? q0 + perBlock : R;
  for (I c = blockIdx.y; c < C; c += gridDim.y) {
    const double k = MODE == 0 ? shift_of((double)x[c * inner]) : (double)mean[c];
    double a = 0, q = 0;
    for (I p = q0 + threadIdx.x; p < q1; p += blockDim.x) {
      const I o = p / inner;
      const I j = (o * C + c) * inner + (p - o * inner);
      const double v = (double)x[j] - k;
      if (MODE == 0) { a += v; q += v * v; }
      else { const double g = (double)dy[j]; a += g; q += g * v; }
    }
    s1[threadIdx.x] = a;
    s2[threadIdx.x] = q;
    tree(s1, s2, 0);
    if (threadIdx.x == 0) {
      p1[(I)blockIdx.x * C + c] = s1[0];
      p2[(I)blockIdx.x * C + c] = s2[0];
    }
    __syncthreads();
  }
}
extern "C" __global__ void bn_stats_rows(const TX* x, double* p1, double* p2, I R, I C, I rowsPerBlock, int lg) {
  stats_rows<0>(x, 0, 0, p1, p2, R, C, rowsPerBlock, lg);
}
extern "C" __global__ void bn_grad_stats_rows(const TX* dy, const TX* x, const TU* mean, double* p1, double* p2, I R, I C, I rowsPerBlock, int lg) {
  stats_rows<1>(x, dy, mean, p1, p2, R, C, rowsPerBlock, lg);
}
extern "C" __global__ void bn_stats_planes(const TX* x, double* p1, double* p2, I outer, I C, I inner, I perBlock) {
  stats_planes<0>(x, 0, 0, p1, p2, outer, C, inner, perBlock);
}
extern "C" __global__ void bn_grad_stats_planes(const TX* dy, const TX* x, const TU* mean, double* p1, double* p2, I outer, I C, I inner, I perBlock) {
  stats_planes<1>(x, dy, mean, p1, p2, outer, C, inner, perBlock);
}

// A channel's partial sums added by one warp: lanes take every 32nd block in order, then a fixed shuffle tree.
__device__ __forceinline__ void warp_sums(const double* __restrict__ p1, const double* __restrict__ p2, int blocks, I C, I c, double& s, double& q) {
  s = 0;
  q = 0;
  for (int k = threadIdx.x & 31; k < blocks; k += 32) {
    s += p1[(I)k * C + c];
    q += p2[(I)k * C + c];
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    s += __shfl_xor_sync(0xffffffffu, s, o);
    q += __shfl_xor_sync(0xffffffffu, q, o);
  }
}
#define WARP_LOOP(c, C) for (I c = ((I)blockIdx.x * blockDim.x + threadIdx.x) >> 5; c < (C); c += ((I)gridDim.x * blockDim.x) >> 5)

// Training: the batch mean and (biased) variance from the partial sums; batch_mean and batch_variance (the
// Bessel-corrected variance, both moved towards the old values when mix), reserve_space_1/2 (the batch mean
// and biased variance, what the gradient reads). Inference: the given mean and variance. Then
// coef[2c] = scale / sqrt(var + eps), coef[2c + 1] = offset - mean coef[2c], as the CPU kernel computes them.
extern "C" __global__ void bn_finalize(const TX* __restrict__ x, const double* __restrict__ p1, const double* __restrict__ p2, int blocks,
    I C, I inner, double count, int training, const TU* __restrict__ scale, const TU* __restrict__ offset, const TU* __restrict__ meanIn,
    const TU* __restrict__ varIn, int hasMean, int hasVar, int mix, double factor, double eps, TU* __restrict__ batchMean,
    TU* __restrict__ batchVar, TU* __restrict__ savedMean, TU* __restrict__ savedVar, double* __restrict__ coef) {
  WARP_LOOP(c, C) {
    double s, q;
    warp_sums(p1, p2, blocks, C, c, s, q);
    if ((threadIdx.x & 31) != 0) continue;
    double mean, var;
    if (training) {
      const double n = count > 0 ? count : 1;
      const double k = count > 0 ? shift_of((double)x[c * inner]) : 0;
      mean = k + s / n;
      var = (q - s * (s / n)) / n;
      if (var < 0) var = 0;
      double bm = mean, bv = var * (count > 1 ? count / (count - 1) : 1);
      if (mix) {
        bm = (1 - factor) * (hasMean ? (double)meanIn[c] : 0) + factor * bm;
        bv = (1 - factor) * (hasVar ? (double)varIn[c] : 0) + factor * bv;
      }
      batchMean[c] = (TU)bm;
      batchVar[c] = (TU)bv;
      savedMean[c] = (TU)mean;
      savedVar[c] = (TU)var;
    } else {
      mean = (double)meanIn[c];
      var = (double)varIn[c];
    }
    const double mul = (double)scale[c] / sqrt(var + eps);
    coef[2 * c] = mul;
    coef[2 * c + 1] = (double)offset[c] - mean * mul;
  }
}

// The gradient's per-channel values: scale_backprop = sum dy (x - mean) / sqrt(var + eps), offset_backprop =
// sum dy, and coef[5c ..] = scale / sqrt(var + eps), mean(dy), mean, 1 / sqrt(var + eps), mean(dy xhat).
extern "C" __global__ void bn_grad_finalize(const double* __restrict__ p1, const double* __restrict__ p2, int blocks, I C, double count,
    const TU* __restrict__ scale, const TU* __restrict__ mean, const TU* __restrict__ var, double eps, TU* __restrict__ dscale,
    TU* __restrict__ doffset, double* __restrict__ coef) {
  WARP_LOOP(c, C) {
    double s, q;
    warp_sums(p1, p2, blocks, C, c, s, q);
    if ((threadIdx.x & 31) != 0) continue;
    const double ic = 1 / sqrt((double)var[c] + eps);
    const double sdx = q * ic;
    dscale[c] = (TU)sdx;
    doffset[c] = (TU)s;
    const double n = count > 1 ? count : 1;
    coef[5 * c] = (double)scale[c] * ic;
    coef[5 * c + 1] = s / n;
    coef[5 * c + 2] = (double)mean[c];
    coef[5 * c + 3] = ic;
    coef[5 * c + 4] = sdx / n;
  }
}

// y = x coef[2c] + coef[2c + 1].
extern "C" __global__ void bn_apply_rows(const TX* __restrict__ x, const double* __restrict__ coef, TX* __restrict__ y, I R, I C, I rowsPerBlock, int lg) {
  const int tw = 1 << lg, tx = threadIdx.x & (tw - 1), ty = threadIdx.x >> lg, rows = blockDim.x >> lg;
  const I r0 = (I)blockIdx.x * rowsPerBlock;
  const I r1 = r0 + rowsPerBlock < R ? r0 + rowsPerBlock : R;
  for (I c = (I)blockIdx.y * tw + tx; c < C; c += (I)gridDim.y * tw) {
    const double m = coef[2 * c], a = coef[2 * c + 1];
#pragma unroll 4
    for (I r = r0 + ty; r < r1; r += rows) y[r * C + c] = (TX)((double)x[r * C + c] * m + a);
  }
}
extern "C" __global__ void bn_apply_planes(const TX* __restrict__ x, const double* __restrict__ coef, TX* __restrict__ y, I n, I C, I inner) {
  GRID_LOOP(i, n) {
    const I c = (i / inner) % C;
    y[i] = (TX)((double)x[i] * coef[2 * c] + coef[2 * c + 1]);
  }
}

// dx = k1 (dy - mean(dy) - (x - mean) ic mean(dy xhat)) in training, k1 dy in inference (the CPU kernel's order).
__device__ __forceinline__ double grad_at(const double* __restrict__ k, double g, double v, int training) {
  return training ? k[0] * (g - k[1] - (v - k[2]) * k[3] * k[4]) : k[0] * g;
}
extern "C" __global__ void bn_grad_apply_rows(const TX* __restrict__ dy, const TX* __restrict__ x, const double* __restrict__ coef,
    TX* __restrict__ dx, I R, I C, I rowsPerBlock, int lg, int training) {
  const int tw = 1 << lg, tx = threadIdx.x & (tw - 1), ty = threadIdx.x >> lg, rows = blockDim.x >> lg;
  const I r0 = (I)blockIdx.x * rowsPerBlock;
  const I r1 = r0 + rowsPerBlock < R ? r0 + rowsPerBlock : R;
  for (I c = (I)blockIdx.y * tw + tx; c < C; c += (I)gridDim.y * tw) {
    double k[5];
#pragma unroll
    for (int j = 0; j < 5; j++) k[j] = coef[5 * c + j];
#pragma unroll 4
    for (I r = r0 + ty; r < r1; r += rows) dx[r * C + c] = (TX)grad_at(k, (double)dy[r * C + c], (double)x[r * C + c], training);
  }
}
extern "C" __global__ void bn_grad_apply_planes(const TX* __restrict__ dy, const TX* __restrict__ x, const double* __restrict__ coef,
    TX* __restrict__ dx, I n, I C, I inner, int training) {
  GRID_LOOP(i, n) {
    const I c = (i / inner) % C;
    dx[i] = (TX)grad_at(coef + 5 * c, (double)dy[i], (double)x[i], training);
  }
}
`;
}
