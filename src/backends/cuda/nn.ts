import { bytesPerElement, DType } from "../../core/dtype.js";
import { sizeOf } from "../../core/shape.js";
import { Philox } from "../../ops/random_state.js";
import type { Attrs, Handle } from "../backend.js";
import { attrList, windows } from "../cpu/kernels/conv_util.js";
import type { CudaBackend, CudaHandle } from "./backend.js";
import { cudaSettings } from "./config.js";
import type { CudaKernelDef } from "./kernels.js";
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
    const int c = i % C;
    int t = i / C;
    const int iw = t % W; t /= W;
    const int ih = t % H, n = t / H;
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
// Max pooling over channels-last windows; the gradient goes to the first maximum in scan order (TensorFlow's rule).
extern "C" __global__ void maxpool(const T* __restrict__ x, T* __restrict__ y, int total, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int padT, int padL) {
  GRID(i, total) {
    const int c = i % C;
    int t = i / C;
    const int ow = t % OW; t /= OW;
    const int oh = t % OH, n = t / OH;
    const int h0 = oh * sH - padT, w0 = ow * sW - padL;
    const int h1 = min(h0 + kH, H), w1 = min(w0 + kW, W);
    T best = 0;
    bool any = false;
    for (int h = max(h0, 0); h < h1; h++)
      for (int w = max(w0, 0); w < w1; w++) {
        const T v = x[((n * H + h) * W + w) * C + c];
        if (!any || v > best) { best = v; any = true; }
      }
    y[i] = best;
  }
}
extern "C" __global__ void maxpool_grad(const T* __restrict__ x, const T* __restrict__ dy, T* __restrict__ dx, int total, int H, int W, int C,
    int OH, int OW, int kH, int kW, int sH, int sW, int padT, int padL) {
  GRID(i, total) {
    const int c = i % C;
    int t = i / C;
    const int ow = t % OW; t /= OW;
    const int oh = t % OH, n = t / OH;
    const int h0 = oh * sH - padT, w0 = ow * sW - padL;
    const int h1 = min(h0 + kH, H), w1 = min(w0 + kW, W);
    T best = 0;
    int arg = -1;
    for (int h = max(h0, 0); h < h1; h++)
      for (int w = max(w0, 0); w < w1; w++) {
        const int j = ((n * H + h) * W + w) * C + c;
        const T v = x[j];
        if (arg < 0 || v > best) { best = v; arg = j; }
      }
    if (arg >= 0) atomicAdd(dx + arg, dy[i]);
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
    b.blas.setTf32(cudaSettings.tf32);
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
    b.blas.setTf32(cudaSettings.tf32);
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
    b.blas.setTf32(cudaSettings.tf32);
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
    b.ctx.argPtr(x.ptr).argPtr(out.ptr);
    poolArgs(b, g, total);
    b.launch(convFn(b, x.dtype, "maxpool"), b.grid(total));
    return [out];
  },
};

const maxPoolGrad: CudaKernelDef = {
  supports: (d, attrs) => POOL_DTYPES.has(d[0]) && d.every((x) => x === d[0]) && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format ?? "NHWC"),
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

export function nnKernels(t: Map<string, CudaKernelDef>): void {
  t.set("RandomUniform", randomKernel("uniform"));
  t.set("RandomStandardNormal", randomKernel("normal"));
  t.set("TruncatedNormal", randomKernel("truncated"));
  t.set("Conv2D", conv2d);
  t.set("Conv2DBackpropInput", conv2dBackpropInput);
  t.set("Conv2DBackpropFilter", conv2dBackpropFilter);
  t.set("MaxPool", maxPool);
  t.set("MaxPoolGrad", maxPoolGrad);
}
