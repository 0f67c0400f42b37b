import { bytesPerElement, DType } from "../../core/dtype.js";
import { sizeOf } from "../../core/shape.js";
import { Philox } from "../../ops/random_state.js";
import type { Attrs, Handle } from "../../core/backend.js";
import { attrList, windows } from "../cpu/kernels/conv_util.js";
import type { CudaBackend, CudaHandle } from "./backend.js";
import { cudaSettings } from "./config.js";
import { cudnnConv2d, cudnnConv2dBackpropFilter, cudnnConv2dBackpropInput, cudnnMaxPool } from "./cudnn.js";
import type { CudaKernelDef } from "./kernels.js";
import { channelsFirstVia } from "./layout.js";
import { storageType } from "./translate.js";

/**
 * Kernels a training step needs beyond elementwise math and matrix products: random initialisers (Philox on
 * the GPU, the same stream as the CPU's generator), 2-D convolutions and their two gradients (im2col or
 * col2im kernels around one cuBLAS product per chunk of images), and max pooling with its gradient. All
 * take channels-last data (NHWC, filters HWIO) as TensorFlow's CPU kernels do; NCHW, 3-D pooling and
 * other cases return null and run on the CPU.
 */

const FLOATS: ReadonlySet<DType> = new Set(["float32", "float64"]);

function hostInts(b: CudaBackend, h: Handle): number[] {
  return Array.from(b.hostValues(h) as ArrayLike<number | bigint>, (v) => Number(v));
}

// ---------------------------------------------------------------- random numbers (Philox4x32-10)

/**
 * Draw s of the stream of key (k0, k1) is word s%4 of the Philox block at counter s/4, exactly as
 * src/ops/random_state.ts computes it: the GPU and the CPU draw the same numbers for the same op and seeds
 * (uniform values bit for bit; normals through the same Box-Muller in double precision).
 */
const RANDOM_SRC = (t: string, f32: boolean) => `typedef ${t} T;
typedef unsigned long long U64;
__device__ __forceinline__ void philox(unsigned int c0, unsigned int c1, unsigned int c2, unsigned int c3, unsigned int k0, unsigned int k1, unsigned int* r) {
  #pragma unroll
  for (int i = 0; i < 10; i++) {
    const unsigned int hi0 = __umulhi(0xd2511f53u, c0), lo0 = 0xd2511f53u * c0;
    const unsigned int hi1 = __umulhi(0xcd9e8d57u, c2), lo1 = 0xcd9e8d57u * c2;
    c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
    k0 += 0x9e3779b9u; k1 += 0xbb67ae85u;
  }
  r[0] = c0; r[1] = c1; r[2] = c2; r[3] = c3;
}
__device__ __forceinline__ unsigned int draw(U64 s, unsigned int k0, unsigned int k1) {
  unsigned int r[4];
  const U64 b = s >> 2;
  philox((unsigned int)b, (unsigned int)(b >> 32), 0u, 0u, k0, k1, r);
  const unsigned int w = (unsigned int)(s & 3);
  return w == 0 ? r[0] : w == 1 ? r[1] : w == 2 ? r[2] : r[3];
}
#define GRID(i, n) for (U64 i = (U64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (U64)gridDim.x * blockDim.x)
extern "C" __global__ void uniform(T* __restrict__ o, U64 n, unsigned int k0, unsigned int k1, U64 start) {
  GRID(i, n) {
    const unsigned int u = draw(start + i, k0, k1);
    o[i] = (T)(${f32 ? "(double)(u >> 8) / 16777216.0" : "(double)u / 4294967296.0"});
  }
}
extern "C" __global__ void normal(T* __restrict__ o, U64 n, unsigned int k0, unsigned int k1, U64 start) {
  const U64 pairs = (n + 1) / 2;
  GRID(j, pairs) {
    const unsigned int a = draw(start + 2 * j, k0, k1), b = draw(start + 2 * j + 1, k0, k1);
    const double u1 = ((double)a + 1.0) / 4294967297.0, u2 = (double)b / 4294967296.0;
    const double rad = sqrt(-2.0 * log(u1)), th = 2.0 * 3.141592653589793 * u2;
    o[2 * j] = (T)(rad * cos(th));
    if (2 * j + 1 < n) o[2 * j + 1] = (T)(rad * sin(th));
  }
}
// Truncated normals redraw: element i uses the blocks (base + i, attempt, 0) with attempt = 1, 2, ...
// (counter word 2 non-zero, so they never meet the main stream's blocks).
extern "C" __global__ void truncated(T* __restrict__ o, U64 n, unsigned int k0, unsigned int k1, U64 base) {
  GRID(i, n) {
    const U64 b = base + i;
    bool done = false;
    for (unsigned int t = 1; !done; t++) {
      unsigned int r[4];
      philox((unsigned int)b, (unsigned int)(b >> 32), t, 0u, k0, k1, r);
      for (int p = 0; p < 2 && !done; p++) {
        const double u1 = ((double)r[2 * p] + 1.0) / 4294967297.0, u2 = (double)r[2 * p + 1] / 4294967296.0;
        const double rad = sqrt(-2.0 * log(u1)), th = 2.0 * 3.141592653589793 * u2;
        const double x = rad * cos(th), y = rad * sin(th);
        if (fabs(x) <= 2.0) { o[i] = (T)x; done = true; }
        else if (fabs(y) <= 2.0) { o[i] = (T)y; done = true; }
      }
    }
  }
}
`;

function randomKernel(kind: "uniform" | "normal" | "truncated"): CudaKernelDef {
  return {
    host: [0],
    supports: (_d, attrs) => FLOATS.has(attrs.dtype as DType),
    attrKey: (attrs) => String(attrs.dtype),
    run: (b, [shapeH], attrs, env) => {
      const rng = env.rng;
      // Another kind of random source (or a stream past 2^53 draws): the CPU kernel draws from it.
      if (!(rng instanceof Philox)) return null;
      const pos = rng.position();
      if (pos === null) return null;
      const dtype = attrs.dtype as DType;
      const shape = hostInts(b, shapeH);
      if (shape.some((d) => !(d >= 0))) return null; // the CPU kernel raises TensorFlow's error
      const n = sizeOf(shape);
      const out = b.empty(dtype, shape, kind);
      if (n === 0) return [out];
      const [k0, k1] = rng.key;
      const fn = b.fn(`random.${dtype}`, kind, () => RANDOM_SRC(storageType(dtype), dtype === "float32"));
      const base = Math.ceil(pos / 4);
      b.ctx.argPtr(out.ptr).argI64(n).argI32(k0 | 0).argI32(k1 | 0).argI64(kind === "truncated" ? base : pos);
      b.launch(fn, b.grid(kind === "normal" ? Math.ceil(n / 2) : n));
      // What the kernel consumed: n draws; pairs for normals (an odd count wastes the last sine, as on the CPU);
      // truncated normals use their own blocks, after which the stream continues.
      rng.seek(kind === "uniform" ? pos + n : kind === "normal" ? pos + 2 * Math.ceil(n / 2) : (base + n) * 4);
      return [out];
    },
  };
}

// ---------------------------------------------------------------- convolutions (im2col / col2im + cuBLAS)

/** Elements of the patch matrix built at a time: bounds the scratch memory whatever the batch. */
const CHUNK_ELEMS = 2 ** 26;
const INT_LIMIT = 2 ** 30;

const CONV_SRC = (t: string) => `typedef ${t} T;
#define GRID(i, n) for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += gridDim.x * blockDim.x)
// (n, h, w, c) of flat index i into a channels-last [N, H, W, C] tensor.
struct Pix { int n, h, w, c; };
__device__ __forceinline__ Pix pixel(int i, int H, int W, int C) {
  Pix p;
  p.c = i % C;
  int t = i / C;
  p.w = t % W; t /= W;
  p.h = t % H; p.n = t / H;
  return p;
}
// The in-image part [lo, hi) of window o (stride s, padding pad before it, size k) along a dimension of size n.
struct Span { int lo, hi; };
__device__ __forceinline__ Span span(int o, int s, int pad, int k, int n) {
  const int a = o * s - pad;
  Span r;
  r.lo = max(a, 0); r.hi = min(a + k, n);
  return r;
}
// cols[row, (kh, kw, c)] for row = (n, oh, ow): the patch matrix of channels-last x.
extern "C" __global__ void im2col(const T* __restrict__ x, T* __restrict__ cols, int total, int K, int H, int W, int C,
    int OH, int OW, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  GRID(i, total) {
    const int row = i / K, kk = i - row * K;
    const int c = kk % C, t = kk / C, kw = t % kW, kh = t / kW;
    const int ow = row % OW, t2 = row / OW, oh = t2 % OH, n = t2 / OH;
    const int ih = oh * sH - padT + kh * dH, iw = ow * sW - padL + kw * dW;
    cols[i] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[((n * H + ih) * W + iw) * C + c] : (T)0;
  }
}
// dx[n, ih, iw, c] = sum of the patch-matrix entries that read it (a gather: no atomics, deterministic).
extern "C" __global__ void col2im(const T* __restrict__ cols, T* __restrict__ dx, int total, int K, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, H, W, C);
    const int n = q.n, ih = q.h, iw = q.w, c = q.c;
    T acc = 0;
    for (int kh = 0; kh < kH; kh++) {
      const int hn = ih + padT - kh * dH;
      if (hn < 0 || hn % sH != 0) continue;
      const int oh = hn / sH;
      if (oh >= OH) continue;
      for (int kw = 0; kw < kW; kw++) {
        const int wn = iw + padL - kw * dW;
        if (wn < 0 || wn % sW != 0) continue;
        const int ow = wn / sW;
        if (ow >= OW) continue;
        acc += cols[((n * OH + oh) * OW + ow) * K + (kh * kW + kw) * C + c];
      }
    }
    dx[i] = acc;
  }
}
// Direct convolution, one thread per output element (n, oh, ow, oc): adjacent threads share the input
// pixels (broadcast loads) and read adjacent filter entries (coalesced).
extern "C" __global__ void conv_fwd(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y, int total, int H, int W, int C,
    int OH, int OW, int OC, int kH, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, OH, OW, OC);
    const int n = q.n, oh = q.h, ow = q.w, oc = q.c;
    const int ih0 = oh * sH - padT, iw0 = ow * sW - padL;
    T acc = 0;
    for (int kh = 0; kh < kH; kh++) {
      const int ih = ih0 + kh * dH;
      if (ih < 0 || ih >= H) continue;
      for (int kw = 0; kw < kW; kw++) {
        const int iw = iw0 + kw * dW;
        if (iw < 0 || iw >= W) continue;
        const T* xp = x + ((n * H + ih) * W + iw) * C;
        const T* wp = w + (kh * kW + kw) * C * OC + oc;
        for (int c = 0; c < C; c++) acc += xp[c] * wp[c * OC];
      }
    }
    y[i] = acc;
  }
}
// The input gradient as a gather, one thread per dx element (n, ih, iw, c): no atomics, deterministic.
extern "C" __global__ void conv_bwd_in(const T* __restrict__ dy, const T* __restrict__ w, T* __restrict__ dx, int total, int H, int W, int C,
    int OH, int OW, int OC, int kH, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, H, W, C);
    const int n = q.n, ih = q.h, iw = q.w, c = q.c;
    T acc = 0;
    for (int kh = 0; kh < kH; kh++) {
      const int hn = ih + padT - kh * dH;
      if (hn < 0 || hn % sH != 0) continue;
      const int oh = hn / sH;
      if (oh >= OH) continue;
      for (int kw = 0; kw < kW; kw++) {
        const int wn = iw + padL - kw * dW;
        if (wn < 0 || wn % sW != 0) continue;
        const int ow = wn / sW;
        if (ow >= OW) continue;
        const T* dyp = dy + ((n * OH + oh) * OW + ow) * OC;
        const T* wp = w + ((kh * kW + kw) * C + c) * OC;
        for (int oc = 0; oc < OC; oc++) acc += dyp[oc] * wp[oc];
      }
    }
    dx[i] = acc;
  }
}
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
// Max pooling over channels-last windows; the gradient goes to the first maximum in scan order (TensorFlow's rule).
extern "C" __global__ void maxpool(const T* __restrict__ x, T* __restrict__ y, int total, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, OH, OW, C);
    const int n = q.n, c = q.c;
    const Span sh = span(q.h, sH, padT, kH, H), sw = span(q.w, sW, padL, kW, W);
    T best = 0;
    bool any = false;
    for (int h = sh.lo; h < sh.hi; h++)
      for (int w = sw.lo; w < sw.hi; w++) {
        const T v = x[((n * H + h) * W + w) * C + c];
        if (!any || v > best) { best = v; any = true; }
      }
    y[i] = best;
  }
}
extern "C" __global__ void maxpool_grad(const T* __restrict__ x, const T* __restrict__ dy, T* __restrict__ dx, int total, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, OH, OW, C);
    const int n = q.n, c = q.c;
    const Span sh = span(q.h, sH, padT, kH, H), sw = span(q.w, sW, padL, kW, W);
    T best = 0;
    int arg = -1;
    for (int h = sh.lo; h < sh.hi; h++)
      for (int w = sw.lo; w < sw.hi; w++) {
        const int j = ((n * H + h) * W + w) * C + c;
        const T v = x[j];
        if (arg < 0 || v > best) { best = v; arg = j; }
      }
    if (arg >= 0) atomicAdd(dx + arg, dy[i]);
  }
}
// Average pooling as TensorFlow's AvgPool: the mean of the window's elements inside the image (padding is
// not counted), summed in double. The gradient gathers, for each input element, dy / count of every window
// covering it (no atomics, so the result does not depend on scheduling).
extern "C" __global__ void avgpool(const T* __restrict__ x, T* __restrict__ y, int total, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int padT, int padL) {
  GRID(i, total) {
    const Pix q = pixel(i, OH, OW, C);
    const Span sh = span(q.h, sH, padT, kH, H), sw = span(q.w, sW, padL, kW, W);
    double acc = 0;
    for (int h = sh.lo; h < sh.hi; h++)
      for (int w = sw.lo; w < sw.hi; w++) acc += (double)x[((q.n * H + h) * W + w) * C + q.c];
    y[i] = (T)(acc / (double)((sh.hi - sh.lo) * (sw.hi - sw.lo)));
  }
}
extern "C" __global__ void avgpool_grad(const T* __restrict__ dy, T* __restrict__ dx, int total, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int padT, int padL) {
  GRID(j, total) {
    const Pix q = pixel(j, H, W, C);
    const int n = q.n, h = q.h, w = q.w, c = q.c;
    // Windows covering h: oh * sH - padT <= h < oh * sH - padT + kH.
    const int hl = h + padT - kH + 1, wl = w + padL - kW + 1;
    const int oh0 = hl <= 0 ? 0 : (hl + sH - 1) / sH, ow0 = wl <= 0 ? 0 : (wl + sW - 1) / sW;
    const int oh1 = min((h + padT) / sH, OH - 1), ow1 = min((w + padL) / sW, OW - 1);
    double acc = 0;
    for (int oh = oh0; oh <= oh1; oh++) {
      const Span sh = span(oh, sH, padT, kH, H);
      for (int ow = ow0; ow <= ow1; ow++) {
        const Span sw = span(ow, sW, padL, kW, W);
        acc += (double)dy[((n * OH + oh) * OW + ow) * C + c] / (double)((sh.hi - sh.lo) * (sw.hi - sw.lo));
      }
    }
    dx[j] = (T)acc;
  }
}
`;

/**
 * Direct convolutions for few channels, one thread per pixel with all its channels in registers (OCN output
 * channels forward, CN input channels for the input gradient) and the whole filter in shared memory, read
 * by every thread at the same address (broadcast): each input value is loaded once per pixel.
 */
const CONV_PX_SRC = (t: string, n: number) => `typedef ${t} T;
#define NCH ${n}
#define GRID(i, n) for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += gridDim.x * blockDim.x)
extern "C" __global__ void conv_fwd_px(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y, int pixels, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  extern __shared__ unsigned char smem_raw[];
  T* sw = (T*)smem_raw;
  const int KW = kH * kW * C * NCH;
  for (int j = threadIdx.x; j < KW; j += blockDim.x) sw[j] = w[j];
  __syncthreads();
  GRID(p, pixels) {
    const int ow = p % OW, t = p / OW, oh = t % OH, n = t / OH;
    const int ih0 = oh * sH - padT, iw0 = ow * sW - padL;
    T acc[NCH];
    #pragma unroll
    for (int o = 0; o < NCH; o++) acc[o] = 0;
    for (int kh = 0; kh < kH; kh++) {
      const int ih = ih0 + kh * dH;
      if (ih < 0 || ih >= H) continue;
      for (int kw = 0; kw < kW; kw++) {
        const int iw = iw0 + kw * dW;
        if (iw < 0 || iw >= W) continue;
        const T* xp = x + ((n * H + ih) * W + iw) * C;
        const T* wp = sw + (kh * kW + kw) * C * NCH;
        for (int c = 0; c < C; c++) {
          const T v = xp[c];
          #pragma unroll
          for (int o = 0; o < NCH; o++) acc[o] += v * wp[c * NCH + o];
        }
      }
    }
    T* yp = y + (long long)p * NCH;
    #pragma unroll
    for (int o = 0; o < NCH; o++) yp[o] = acc[o];
  }
}
extern "C" __global__ void conv_bwd_in_px(const T* __restrict__ dy, const T* __restrict__ w, T* __restrict__ dx, int pixels, int H, int W, int OC,
    int OH, int OW, int kH, int kW, int sH, int sW, int dH, int dW, int padT, int padL) {
  extern __shared__ unsigned char smem_raw[];
  T* sw = (T*)smem_raw;
  const int KW = kH * kW * NCH * OC;
  for (int j = threadIdx.x; j < KW; j += blockDim.x) sw[j] = w[j];
  __syncthreads();
  GRID(p, pixels) {
    const int iw = p % W, t = p / W, ih = t % H, n = t / H;
    T acc[NCH];
    #pragma unroll
    for (int c = 0; c < NCH; c++) acc[c] = 0;
    for (int kh = 0; kh < kH; kh++) {
      const int hn = ih + padT - kh * dH;
      if (hn < 0 || hn % sH != 0) continue;
      const int oh = hn / sH;
      if (oh >= OH) continue;
      for (int kw = 0; kw < kW; kw++) {
        const int wn = iw + padL - kw * dW;
        if (wn < 0 || wn % sW != 0) continue;
        const int ow = wn / sW;
        if (ow >= OW) continue;
        const T* dyp = dy + ((n * OH + oh) * OW + ow) * OC;
        const T* wp = sw + (kh * kW + kw) * NCH * OC;
        if (sizeof(T) == 4 && (OC & 3) == 0) {
          // float32 and channels in fours: one 16-byte load of dy per four channels.
          for (int oc = 0; oc < OC; oc += 4) {
            const float4 g = *reinterpret_cast<const float4*>(dyp + oc);
            #pragma unroll
            for (int c = 0; c < NCH; c++) acc[c] += g.x * wp[c * OC + oc] + g.y * wp[c * OC + oc + 1] + g.z * wp[c * OC + oc + 2] + g.w * wp[c * OC + oc + 3];
          }
        } else {
          for (int oc = 0; oc < OC; oc++) {
            const T g = dyp[oc];
            #pragma unroll
            for (int c = 0; c < NCH; c++) acc[c] += g * wp[c * OC + oc];
          }
        }
      }
    }
    T* dxp = dx + (long long)p * NCH;
    #pragma unroll
    for (int c = 0; c < NCH; c++) dxp[c] = acc[c];
  }
}
`;

/**
 * The filter gradient df[k, oc] = sum over positions p of patch[p, k] * dy[p, oc]. Each block walks tiles of TP
 * positions and stages their patches [TP][K] and dy rows [TP][OC] in shared memory (patch offsets from
 * per-block tables: no division per element). A thread owns groups of G adjacent output channels for one k
 * (one shared load of the patch value feeds G multiply-adds; dy read as float2/float4) and, when there are
 * fewer groups than threads, one of S slices of the tile's positions. Slices are combined in shared memory
 * and each block writes part[block][KO] (double); sum_partials adds the blocks up in order: deterministic,
 * no float atomics.
 */
const FILTER_SRC = (t: string, G: number) => `typedef ${t} T;
#define G ${G}
#define MAXQ 8
extern "C" __global__ void conv_bwd_filter(const T* __restrict__ x, const T* __restrict__ dy, double* __restrict__ part, int positions, int K, int H, int W, int C,
    int OH, int OW, int OC, int kW, int sH, int sW, int dH, int dW, int padT, int padL, int TP) {
  extern __shared__ unsigned char smem_raw[];
  T* sx = (T*)smem_raw;
  T* sd = sx + TP * K;
  int* kdh = (int*)(sd + TP * OC);
  int* kdw = kdh + K;
  int* kc = kdw + K;
  int* pbase = kc + K;
  int* pih = pbase + TP;
  int* piw = pih + TP;
  const int OCG = OC / G, KOG = K * OCG;
  const int S = KOG >= (int)blockDim.x ? 1 : blockDim.x / KOG;
  const int slice = threadIdx.x / KOG;
  for (int kk = threadIdx.x; kk < K; kk += blockDim.x) {
    const int c = kk % C, tt = kk / C;
    kc[kk] = c; kdw[kk] = (tt % kW) * dW; kdh[kk] = (tt / kW) * dH;
  }
  T acc[MAXQ][G];
  #pragma unroll
  for (int q = 0; q < MAXQ; q++)
    #pragma unroll
    for (int g = 0; g < G; g++) acc[q][g] = 0;
  for (int p0 = blockIdx.x * TP; p0 < positions; p0 += gridDim.x * TP) {
    if (threadIdx.x < TP) {
      const int p = p0 + threadIdx.x;
      if (p < positions) {
        const int ow = p % OW, t2 = p / OW, oh = t2 % OH, n = t2 / OH;
        pbase[threadIdx.x] = n * H * W * C; pih[threadIdx.x] = oh * sH - padT; piw[threadIdx.x] = ow * sW - padL;
      } else {
        pbase[threadIdx.x] = 0; pih[threadIdx.x] = -(1 << 29); piw[threadIdx.x] = 0;
      }
    }
    __syncthreads();
    for (int j = threadIdx.x; j < TP * K; j += blockDim.x) {
      const int pp = j / K, kk = j - pp * K;
      const int ih = pih[pp] + kdh[kk], iw = piw[pp] + kdw[kk];
      sx[j] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[pbase[pp] + (ih * W + iw) * C + kc[kk]] : (T)0;
    }
    for (int j = threadIdx.x; j < TP * OC; j += blockDim.x) sd[j] = p0 + j / OC < positions ? dy[(long long)p0 * OC + j] : (T)0;
    __syncthreads();
    if (slice < S) {
      #pragma unroll
      for (int q = 0; q < MAXQ; q++) {
        const int grp = (S > 1 ? threadIdx.x - slice * KOG : threadIdx.x) + q * (S > 1 ? KOG : blockDim.x);
        if ((S > 1 && q > 0) || grp >= KOG) break;
        const int k = grp / OCG, oc = (grp - k * OCG) * G;
        for (int pp = slice; pp < TP; pp += S) {
          const T v = sx[pp * K + k];
#if G == 4
          const float4 d = *reinterpret_cast<const float4*>(sd + pp * OC + oc);
          acc[q][0] += v * d.x; acc[q][1] += v * d.y; acc[q][2] += v * d.z; acc[q][3] += v * d.w;
#elif G == 2
          const float2 d = *reinterpret_cast<const float2*>(sd + pp * OC + oc);
          acc[q][0] += v * d.x; acc[q][1] += v * d.y;
#else
          acc[q][0] += v * sd[pp * OC + oc];
#endif
        }
      }
    }
    __syncthreads();
  }
  // Slices of the same group: combined through shared memory (sx is free now), slice 0 writes.
  if (S > 1) {
    T* red = sx;
    if (slice < S)
      #pragma unroll
      for (int g = 0; g < G; g++) red[threadIdx.x * G + g] = acc[0][g];
    __syncthreads();
    if (threadIdx.x < KOG) {
      const int k = threadIdx.x / OCG, oc = (threadIdx.x - k * OCG) * G;
      for (int g = 0; g < G; g++) {
        double s = 0;
        for (int sl = 0; sl < S; sl++) s += (double)red[(sl * KOG + threadIdx.x) * G + g];
        part[(long long)blockIdx.x * K * OC + k * OC + oc + g] = s;
      }
    }
    return;
  }
  #pragma unroll
  for (int q = 0; q < MAXQ; q++) {
    const int grp = threadIdx.x + q * blockDim.x;
    if (grp < KOG) {
      const int k = grp / OCG, oc = (grp - k * OCG) * G;
      #pragma unroll
      for (int g = 0; g < G; g++) part[(long long)blockIdx.x * K * OC + k * OC + oc + g] = (double)acc[q][g];
    }
  }
}
`;

interface ConvGeom {
  n: number; H: number; W: number; C: number; OH: number; OW: number; OC: number;
  kH: number; kW: number; sH: number; sW: number; dH: number; dW: number; padT: number; padL: number;
  /** Patch length kH*kW*C. */
  K: number;
  /** The input is its own patch matrix (1x1 window, stride 1, no padding). */
  pointwise: boolean;
}

function convGeom(x: readonly number[], f: readonly number[], attrs: Attrs): ConvGeom | null {
  if (x.length !== 4 || f.length !== 4 || x[3] !== f[2]) return null;
  const [wh, ww] = windows(x, [f[0], f[1]], attrs, false, false);
  const g: ConvGeom = {
    n: x[0], H: x[1], W: x[2], C: x[3], OH: wh.out, OW: ww.out, OC: f[3],
    kH: wh.k, kW: ww.k, sH: wh.s, sW: ww.s, dH: wh.d, dW: ww.d, padT: wh.pad, padL: ww.pad,
    K: f[0] * f[1] * f[2], pointwise: false,
  };
  g.pointwise = g.kH === 1 && g.kW === 1 && g.sH === 1 && g.sW === 1 && g.padT === 0 && g.padL === 0 && g.OH === g.H && g.OW === g.W;
  // 32-bit indices inside the kernels: one image's patch rows and planes must fit.
  if (g.OH * g.OW * g.K > INT_LIMIT || g.H * g.W * g.C > INT_LIMIT || g.OH * g.OW * g.OC > INT_LIMIT) return null;
  return g;
}

/** Images per chunk so that patch matrices and input planes stay within the scratch and index limits. */
function imagesPerChunk(g: ConvGeom): number {
  const per = Math.min(Math.floor(CHUNK_ELEMS / Math.max(g.OH * g.OW * g.K, 1)), Math.floor(INT_LIMIT / Math.max(g.H * g.W * g.C, 1)));
  return Math.max(1, Math.min(per, g.n));
}

const NHWC = (attrs: Attrs) => (attrs.data_format ?? "NHWC") === "NHWC";

/**
 * cuDNN takes the convolutions it serves when both channel counts are at least 8 and the filter has at least
 * 2048 weights (K*OC), unless a test or benchmark forces one of the own algorithms. Measured on the H100
 * (bench/GPU_NOTES.md, cuDNN 9.14, bench/gpu_cudnn_bench.ts): 8 -> 16 5x5 and from 16 -> 32 3x3 up cuDNN is
 * 1.2-10x faster; LeNet-5's 1 -> 6 layer, 8 -> 8 3x3 and 3 -> 32 3x3 are faster on the own kernels (up to
 * 17x); LeNet-5's 6 -> 16 layer stays on the own kernels (cuDNN 4-17% faster summed over its directions,
 * slower forward at batch 1024; the step was measured this way).
 */
const cudnnConvs = (g: ConvGeom) => cudaSettings.convAlgorithm === "auto" && Math.min(g.C, g.OC) >= 8 && g.K * g.OC >= 2048;

/** Direct kernels for small channel counts (each thread loops over a patch): K*OC up to 16384 multiply-adds. */
function useDirect(g: ConvGeom): boolean {
  const a = cudaSettings.convAlgorithm;
  return a === "direct" || (a === "auto" && g.K * g.OC <= 16384);
}
const MAXQ = 8;
/** Positions per tile of the filter gradient: more when patches are short (fewer synchronisations). */
const tileOf = (g: ConvGeom) => (g.K + g.OC <= 64 ? 128 : 32);
/** Output channels per thread in the filter gradient (vector loads of dy; float32 only). */
const groupOf = (g: ConvGeom, esz: number) => (esz !== 4 ? 1 : g.OC % 4 === 0 ? 4 : g.OC % 2 === 0 ? 2 : 1);
/** The tiled filter gradient: its groups fit the block's registers and its tile the shared memory. */
function filterTiled(g: ConvGeom, esz: number): number | null {
  const TP = tileOf(g);
  const smem = Math.max(TP * (g.K + g.OC) * esz, 256 * 4 * esz) + (3 * g.K + 3 * TP) * 4;
  if ((g.K * g.OC) / groupOf(g, esz) > 256 * MAXQ || smem > 48 * 1024) return null;
  return cudaSettings.convAlgorithm === "im2col" || (cudaSettings.convAlgorithm === "auto" && g.K * g.OC > 16384) ? null : smem;
}

function directArgs(b: CudaBackend, g: ConvGeom, total: number): void {
  b.ctx.argI32(total).argI32(g.H).argI32(g.W).argI32(g.C).argI32(g.OH).argI32(g.OW).argI32(g.OC)
    .argI32(g.kH).argI32(g.kW).argI32(g.sH).argI32(g.sW).argI32(g.dH).argI32(g.dW).argI32(g.padT).argI32(g.padL);
}

/** 32-bit indices for whole tensors in the direct kernels. */
function fitsDirect(g: ConvGeom): boolean {
  return g.n * g.H * g.W * g.C <= INT_LIMIT && g.n * g.OH * g.OW * g.OC <= INT_LIMIT;
}

/**
 * out[c] = sum over rows of x viewed as [R, C], for few columns (C <= 256, float types): per-block sums
 * with coalesced loads, in double, then the blocks' sums added in order. Returns null when it does not apply.
 */
export function columnSums(b: CudaBackend, x: CudaHandle, R: number, C: number, outShape: readonly number[]): CudaHandle | null {
  if (C > 256 || C < 1 || !FLOATS.has(x.dtype)) return null;
  const out = b.empty(x.dtype, outShape, "Sum");
  const blocks = Math.max(1, Math.min(b.ctx.info.multiprocessors * 2, Math.ceil(R / 64)));
  const rowsPerBlock = Math.ceil(R / blocks);
  const part = b.empty("float64", [blocks * C], "Sum");
  b.ctx.argPtr(x.ptr).argPtr(part.ptr).argI64(R).argI32(C).argI64(rowsPerBlock);
  b.launch(convFn(b, x.dtype, "colsum"), blocks, 256);
  sumPartials(b, part, out, blocks, C);
  b.dispose(part);
  return out;
}

/** out[m] = sum over k < blocks of part[k][m] (double), in order. */
function sumPartials(b: CudaBackend, part: CudaHandle, out: CudaHandle, blocks: number, M: number): void {
  b.ctx.argPtr(part.ptr).argPtr(out.ptr).argI32(blocks).argI32(M);
  b.launch(convFn(b, out.dtype, "sum_partials"), b.grid(M * 32));
}

/** Shared memory for a whole filter (the per-pixel kernels), or null past 48 KiB or 32 channels. */
function pixelKernel(g: ConvGeom, channels: number, esz: number): number | null {
  const smem = g.K * g.OC * esz;
  return channels <= 32 && smem <= 48 * 1024 ? smem : null;
}

function geomArgs(b: CudaBackend, g: ConvGeom, total: number, withKH: boolean): void {
  b.ctx.argI32(total).argI32(g.K).argI32(g.H).argI32(g.W).argI32(g.C).argI32(g.OH).argI32(g.OW);
  if (withKH) b.ctx.argI32(g.kH);
  b.ctx.argI32(g.kW).argI32(g.sH).argI32(g.sW).argI32(g.dH).argI32(g.dW).argI32(g.padT).argI32(g.padL);
}

function convFn(b: CudaBackend, dtype: DType, name: string) {
  return b.fn(`conv.${dtype}`, name, () => CONV_SRC(storageType(dtype)));
}

/** Patch rows of images [n0, n0 + imgs) into `cols`. */
function im2col(b: CudaBackend, g: ConvGeom, x: CudaHandle, n0: number, imgs: number, cols: CudaHandle): void {
  const esz = bytesPerElement(x.dtype);
  const total = imgs * g.OH * g.OW * g.K;
  b.ctx.argPtr(x.ptr + n0 * g.H * g.W * g.C * esz).argPtr(cols.ptr);
  geomArgs(b, g, total, false);
  b.launch(convFn(b, x.dtype, "im2col"), b.grid(total));
}

const conv2d: CudaKernelDef = {
  supports: (d, attrs) => FLOATS.has(d[0]) && d[1] === d[0] && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format ?? "NHWC"),
  run: (b, [x, f], attrs) => {
    const g = convGeom(x.shape, f.shape, attrs);
    if (!g) return null;
    const dt = x.dtype as "float32" | "float64";
    const esz = bytesPerElement(dt);
    const out = b.empty(dt, [g.n, g.OH, g.OW, g.OC], "Conv2D");
    if (sizeOf(out.shape) === 0) return [out];
    if (g.K === 0) {
      b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(out.ptr, 0, out.storage.bytes, b.ctx.stream));
      return [out];
    }
    if (cudnnConvs(g) && cudnnConv2d(b, g, x, f, out)) return [out];
    if (useDirect(g) && fitsDirect(g)) {
      const smem = pixelKernel(g, g.OC, esz);
      if (smem !== null) {
        const pixels = g.n * g.OH * g.OW;
        b.ctx.argPtr(x.ptr).argPtr(f.ptr).argPtr(out.ptr).argI32(pixels).argI32(g.H).argI32(g.W).argI32(g.C).argI32(g.OH).argI32(g.OW)
          .argI32(g.kH).argI32(g.kW).argI32(g.sH).argI32(g.sW).argI32(g.dH).argI32(g.dW).argI32(g.padT).argI32(g.padL);
        const fn = b.fn(`convpx.${dt}.${g.OC}`, "conv_fwd_px", () => CONV_PX_SRC(storageType(dt), g.OC));
        b.launch(fn, Math.min(b.grid(pixels), b.ctx.info.multiprocessors * 8), 256, 1, smem);
        return [out];
      }
      const total = sizeOf(out.shape);
      b.ctx.argPtr(x.ptr).argPtr(f.ptr).argPtr(out.ptr);
      directArgs(b, g, total);
      b.launch(convFn(b, dt, "conv_fwd"), b.grid(total));
      return [out];
    }
    b.blas.setTf32(cudaSettings.convTf32);
    if (g.pointwise) {
      b.blas.gemm(dt, false, false, g.n * g.H * g.W, g.OC, g.K, x.ptr, f.ptr, out.ptr);
      return [out];
    }
    const per = imagesPerChunk(g);
    const cols = b.empty(dt, [per * g.OH * g.OW * g.K], "Conv2D");
    try {
      for (let n0 = 0; n0 < g.n; n0 += per) {
        const imgs = Math.min(per, g.n - n0);
        im2col(b, g, x, n0, imgs, cols);
        b.blas.gemm(dt, false, false, imgs * g.OH * g.OW, g.OC, g.K, cols.ptr, f.ptr, out.ptr + n0 * g.OH * g.OW * g.OC * esz);
      }
    } finally {
      b.dispose(cols);
    }
    return [out];
  },
};

const conv2dBackpropInput: CudaKernelDef = {
  host: [0],
  supports: (d, attrs) => FLOATS.has(d[1]) && d[2] === d[1] && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format ?? "NHWC"),
  run: (b, [sizes, f, dy], attrs) => {
    const xs = hostInts(b, sizes);
    const g = convGeom(xs, f.shape, attrs);
    if (!g || dy.shape.join(",") !== [g.n, g.OH, g.OW, g.OC].join(",")) return null;
    const dt = dy.dtype as "float32" | "float64";
    const esz = bytesPerElement(dt);
    const dx = b.empty(dt, xs, "Conv2DBackpropInput");
    if (sizeOf(xs) === 0) return [dx];
    if (g.OC === 0 || sizeOf(dy.shape) === 0) {
      b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(dx.ptr, 0, dx.storage.bytes, b.ctx.stream));
      return [dx];
    }
    if (cudnnConvs(g) && cudnnConv2dBackpropInput(b, g, f, dy, dx)) return [dx];
    if (useDirect(g) && fitsDirect(g)) {
      const smem = pixelKernel(g, g.C, esz);
      if (smem !== null) {
        const pixels = g.n * g.H * g.W;
        b.ctx.argPtr(dy.ptr).argPtr(f.ptr).argPtr(dx.ptr).argI32(pixels).argI32(g.H).argI32(g.W).argI32(g.OC).argI32(g.OH).argI32(g.OW)
          .argI32(g.kH).argI32(g.kW).argI32(g.sH).argI32(g.sW).argI32(g.dH).argI32(g.dW).argI32(g.padT).argI32(g.padL);
        const fn = b.fn(`convpx.${dt}.${g.C}`, "conv_bwd_in_px", () => CONV_PX_SRC(storageType(dt), g.C));
        b.launch(fn, Math.min(b.grid(pixels), b.ctx.info.multiprocessors * 8), 256, 1, smem);
        return [dx];
      }
      const total = sizeOf(xs);
      b.ctx.argPtr(dy.ptr).argPtr(f.ptr).argPtr(dx.ptr);
      directArgs(b, g, total);
      b.launch(convFn(b, dt, "conv_bwd_in"), b.grid(total));
      return [dx];
    }
    b.blas.setTf32(cudaSettings.convTf32);
    // dcols[rows, K] = dy[rows, OC] · F[K, OC]^T, then each input element gathers the entries that read it.
    if (g.pointwise) {
      b.blas.gemm(dt, false, true, g.n * g.H * g.W, g.K, g.OC, dy.ptr, f.ptr, dx.ptr);
      return [dx];
    }
    const per = imagesPerChunk(g);
    const cols = b.empty(dt, [per * g.OH * g.OW * g.K], "Conv2DBackpropInput");
    try {
      for (let n0 = 0; n0 < g.n; n0 += per) {
        const imgs = Math.min(per, g.n - n0);
        b.blas.gemm(dt, false, true, imgs * g.OH * g.OW, g.K, g.OC, dy.ptr + n0 * g.OH * g.OW * g.OC * esz, f.ptr, cols.ptr);
        const total = imgs * g.H * g.W * g.C;
        b.ctx.argPtr(cols.ptr).argPtr(dx.ptr + n0 * g.H * g.W * g.C * esz);
        geomArgs(b, g, total, true);
        b.launch(convFn(b, dt, "col2im"), b.grid(total));
      }
    } finally {
      b.dispose(cols);
    }
    return [dx];
  },
};

const conv2dBackpropFilter: CudaKernelDef = {
  host: [1],
  supports: (d, attrs) => FLOATS.has(d[0]) && d[2] === d[0] && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format ?? "NHWC"),
  run: (b, [x, sizes, dy], attrs) => {
    const fs = hostInts(b, sizes);
    const g = convGeom(x.shape, fs, attrs);
    if (!g || dy.shape.join(",") !== [g.n, g.OH, g.OW, g.OC].join(",")) return null;
    const dt = x.dtype as "float32" | "float64";
    const esz = bytesPerElement(dt);
    const df = b.empty(dt, fs, "Conv2DBackpropFilter");
    if (sizeOf(fs) === 0) return [df];
    if (g.n * g.OH * g.OW === 0) {
      b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(df.ptr, 0, df.storage.bytes, b.ctx.stream));
      return [df];
    }
    if (cudnnConvs(g) && cudnnConv2dBackpropFilter(b, g, x, dy, df)) return [df];
    const smem = fitsDirect(g) ? filterTiled(g, esz) : null;
    if (smem !== null) {
      const positions = g.n * g.OH * g.OW;
      const TP = tileOf(g);
      const KO = g.K * g.OC;
      // Enough blocks to hide the gathers' latency (up to 8 per multiprocessor), partials within 32 MiB.
      const blocks = Math.max(1, Math.min(b.ctx.info.multiprocessors * 8, Math.ceil(positions / TP), Math.floor(2 ** 22 / KO)));
      const part = b.empty("float64", [blocks * KO], "Conv2DBackpropFilter");
      b.ctx.argPtr(x.ptr).argPtr(dy.ptr).argPtr(part.ptr).argI32(positions).argI32(g.K).argI32(g.H).argI32(g.W).argI32(g.C)
        .argI32(g.OH).argI32(g.OW).argI32(g.OC).argI32(g.kW).argI32(g.sH).argI32(g.sW).argI32(g.dH).argI32(g.dW).argI32(g.padT).argI32(g.padL).argI32(TP);
      const G = groupOf(g, esz);
      b.launch(b.fn(`convfilter.${dt}.${G}`, "conv_bwd_filter", () => FILTER_SRC(storageType(dt), G)), blocks, 256, 1, smem);
      sumPartials(b, part, df, blocks, KO);
      b.dispose(part);
      return [df];
    }
    b.blas.setTf32(cudaSettings.convTf32);
    // dF[K, OC] = cols[rows, K]^T · dy[rows, OC], accumulated over chunks of images.
    if (g.pointwise) {
      b.blas.gemm(dt, true, false, g.K, g.OC, g.n * g.H * g.W, x.ptr, dy.ptr, df.ptr);
      return [df];
    }
    const per = imagesPerChunk(g);
    const cols = b.empty(dt, [per * g.OH * g.OW * g.K], "Conv2DBackpropFilter");
    try {
      for (let n0 = 0; n0 < g.n; n0 += per) {
        const imgs = Math.min(per, g.n - n0);
        im2col(b, g, x, n0, imgs, cols);
        b.blas.gemm(dt, true, false, g.K, g.OC, imgs * g.OH * g.OW, cols.ptr, dy.ptr + n0 * g.OH * g.OW * g.OC * esz, df.ptr, 1, 0, 0, 0, n0 > 0);
      }
    } finally {
      b.dispose(cols);
    }
    return [df];
  },
};

// ---------------------------------------------------------------- max pooling

interface PoolGeom { n: number; H: number; W: number; C: number; OH: number; OW: number; kH: number; kW: number; sH: number; sW: number; padT: number; padL: number }

function poolGeom(x: readonly number[], attrs: Attrs): PoolGeom | null {
  if (x.length !== 4) return null;
  const [wh, ww] = windows(x, attrList(attrs, "ksize", 4, 1), attrs, false, true);
  const g = { n: x[0], H: x[1], W: x[2], C: x[3], OH: wh.out, OW: ww.out, kH: wh.k, kW: ww.k, sH: wh.s, sW: ww.s, padT: wh.pad, padL: ww.pad };
  if (sizeOf(x) > INT_LIMIT || g.n * g.OH * g.OW * g.C > INT_LIMIT) return null;
  return g;
}

function poolArgs(b: CudaBackend, g: PoolGeom, total: number): void {
  b.ctx.argI32(total).argI32(g.H).argI32(g.W).argI32(g.C).argI32(g.OH).argI32(g.OW)
    .argI32(g.kH).argI32(g.kW).argI32(g.sH).argI32(g.sW).argI32(g.padT).argI32(g.padL);
}

const POOL_DTYPES: ReadonlySet<DType> = new Set(["float32", "float64", "int32"]);

const maxPool: CudaKernelDef = {
  supports: (d, attrs) => POOL_DTYPES.has(d[0]) && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format ?? "NHWC"),
  run: (b, [x], attrs) => {
    const g = poolGeom(x.shape, attrs);
    if (!g) return null;
    const out = b.empty(x.dtype, [g.n, g.OH, g.OW, g.C], "MaxPool");
    const total = sizeOf(out.shape);
    if (total === 0) return [out];
    // cuDNN's max pooling is as fast or faster than maxpool below (1.0-1.8x); its gradient is not (see
    // maxPoolGrad).
    if (cudnnMaxPool(b, g, x, out)) return [out];
    b.ctx.argPtr(x.ptr).argPtr(out.ptr);
    poolArgs(b, g, total);
    b.launch(convFn(b, x.dtype, "maxpool"), b.grid(total));
    return [out];
  },
};

const maxPoolGrad: CudaKernelDef = {
  supports: (d, attrs) => POOL_DTYPES.has(d[0]) && d.every((x) => x === d[0]) && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format ?? "NHWC"),
  // Not cuDNN's: its deterministic max-pooling gradient (which routes ties as TensorFlow does) took 1.4-5.6x
  // the time of maxpool_grad on the H100 (bench/GPU_NOTES.md).
  run: (b, [x, , dy], attrs) => {
    const g = poolGeom(x.shape, attrs);
    if (!g || dy.shape.join(",") !== [g.n, g.OH, g.OW, g.C].join(",")) return null;
    const dx = b.empty(x.dtype, x.shape, "MaxPoolGrad");
    if (dx.storage.bytes === 0) return [dx];
    b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(dx.ptr, 0, dx.storage.bytes, b.ctx.stream));
    const total = sizeOf(dy.shape);
    if (total === 0) return [dx];
    // One thread per window finds its first maximum and adds dy there (windows may overlap: atomics).
    b.ctx.argPtr(x.ptr).argPtr(dy.ptr).argPtr(dx.ptr);
    poolArgs(b, g, total);
    b.launch(convFn(b, x.dtype, "maxpool_grad"), b.grid(total));
    return [dx];
  },
};

const AVG_DTYPES: ReadonlySet<DType> = new Set(["float32", "float64"]);

const avgPool: CudaKernelDef = {
  supports: (d, attrs) => AVG_DTYPES.has(d[0]) && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format ?? "NHWC"),
  run: (b, [x], attrs) => {
    const g = poolGeom(x.shape, attrs);
    if (!g) return null;
    const out = b.empty(x.dtype, [g.n, g.OH, g.OW, g.C], "AvgPool");
    const total = sizeOf(out.shape);
    if (total === 0) return [out];
    b.ctx.argPtr(x.ptr).argPtr(out.ptr);
    poolArgs(b, g, total);
    b.launch(convFn(b, x.dtype, "avgpool"), b.grid(total));
    return [out];
  },
};

const avgPoolGrad: CudaKernelDef = {
  host: [0],
  supports: (d, attrs) => AVG_DTYPES.has(d[1]) && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format ?? "NHWC"),
  run: (b, [s, dy], attrs) => {
    const xs = hostInts(b, s);
    const g = poolGeom(xs, attrs);
    if (!g || dy.shape.join(",") !== [g.n, g.OH, g.OW, g.C].join(",")) return null;
    const dx = b.empty(dy.dtype, xs, "AvgPoolGrad");
    const total = sizeOf(xs);
    if (total === 0) return [dx];
    if (sizeOf(dy.shape) === 0) {
      b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(dx.ptr, 0, dx.storage.bytes, b.ctx.stream));
      return [dx];
    }
    b.ctx.argPtr(dy.ptr).argPtr(dx.ptr);
    poolArgs(b, g, total);
    b.launch(convFn(b, dy.dtype, "avgpool_grad"), b.grid(total));
    return [dx];
  },
};

export function nnKernels(t: Map<string, CudaKernelDef>): void {
  t.set("RandomUniform", randomKernel("uniform"));
  t.set("RandomStandardNormal", randomKernel("normal"));
  t.set("TruncatedNormal", randomKernel("truncated"));
  // NCHW through transposes around the NHWC kernels (layout.ts).
  t.set("Conv2D", channelsFirstVia(conv2d, { data: [0], dataOut: true }));
  t.set("Conv2DBackpropInput", channelsFirstVia(conv2dBackpropInput, { data: [2], hostShape: 0, dataOut: true }));
  t.set("Conv2DBackpropFilter", channelsFirstVia(conv2dBackpropFilter, { data: [0, 2], dataOut: false }));
  t.set("MaxPool", channelsFirstVia(maxPool, { data: [0], dataOut: true }));
  t.set("MaxPoolGrad", channelsFirstVia(maxPoolGrad, { data: [0, 1, 2], dataOut: true }));
  t.set("AvgPool", channelsFirstVia(avgPool, { data: [0], dataOut: true }));
  t.set("AvgPoolGrad", channelsFirstVia(avgPoolGrad, { data: [1], hostShape: 0, dataOut: true }));
}
