import { bytesPerElement, DType } from "../../../core/dtype.js";
import { sizeOf } from "../../../core/shape.js";
import type { Attrs } from "../../../core/schema/types.js";
import { windows } from "../../../core/geometry/window.js";
import { getSetting } from "../../../core/settings.js";
import { cudnnConv2d, cudnnConv2dBackpropFilter, cudnnConv2dBackpropInput } from "../cudnn.js";
import type { CudaHandle } from "../handle.js";
import type { Handle, KernelEnv } from "../../../core/backend.js";
import type { CudaKernelDef, CudaKernelTable, KernelContext } from "../kernel.js";
import { channelsFirstVia } from "../layout.js";
import { inFloat32 } from "../widen.js";
import { convFilterSource, convPixelSource, convSource } from "../sources/conv.js";
import { storageType } from "../translate.js";
import { sumPartials } from "./reduce.js";
import type { GemmDType } from "../blas.js";
import { FLOATS, hostInts, INT_LIMIT, NARROW, NHWC } from "./util.js";

/**
 * The conv family on the GPU: Conv2D and its two gradients on channels-last data (NHWC, filters HWIO; NCHW
 * through transposes, layout.ts). cuDNN where it is faster (cudnn.ts), else direct kernels for small
 * channel counts or im2col / col2im around one cuBLAS product per chunk of images. Sources: sources/conv.ts.
 */

/** Elements of the patch matrix built at a time: bounds the scratch memory whatever the batch. */
const CHUNK_ELEMS = 2 ** 26;

interface ConvGeom {
  n: number;
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  OC: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  padT: number;
  padL: number;
  /** Patch length kH*kW*C. */
  K: number;
  /** The input is its own patch matrix (1x1 window, stride 1, no padding). */
  pointwise: boolean;
}

function convGeom(x: readonly number[], f: readonly number[], attrs: Attrs): ConvGeom | null {
  if (x.length !== 4 || f.length !== 4 || x[3] !== f[2]) return null;
  const [wh, ww] = windows(x, [f[0], f[1]], attrs, false, false);
  const g: ConvGeom = {
    n: x[0],
    H: x[1],
    W: x[2],
    C: x[3],
    OH: wh.out,
    OW: ww.out,
    OC: f[3],
    kH: wh.k,
    kW: ww.k,
    sH: wh.s,
    sW: ww.s,
    dH: wh.d,
    dW: ww.d,
    padT: wh.pad,
    padL: ww.pad,
    K: f[0] * f[1] * f[2],
    pointwise: false,
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

/**
 * cuDNN takes the convolutions it serves when both channel counts are at least 8 and the filter has at least
 * 2048 weights (K*OC), unless a test or benchmark forces one of the own algorithms. Measured on the H100
 * (bench/GPU_NOTES.md, cuDNN 9.14, bench/gpu_cudnn_bench.ts): 8 -> 16 5x5 and from 16 -> 32 3x3 up cuDNN is
 * 1.2-10x faster; LeNet-5's 1 -> 6 layer, 8 -> 8 3x3 and 3 -> 32 3x3 are faster on the own kernels (up to
 * 17x); LeNet-5's 6 -> 16 layer stays on the own kernels (cuDNN 4-17% faster summed over its directions,
 * slower forward at batch 1024; the step was measured this way).
 */
const cudnnConvs = (g: ConvGeom, dtype: DType) =>
  getSetting("convAlgorithm") === "auto" && (NARROW.has(dtype) || (Math.min(g.C, g.OC) >= 8 && g.K * g.OC >= 2048));
/**
 * The own kernels compute in the stored type, so a float16 or bfloat16 convolution cuDNN declines (cuDNN's
 * legacy API has no bfloat16 kernels for some shapes, such as 3 input channels) runs in float32 on the GPU
 * (widen.ts inFloat32), as TensorFlow's kernels accumulate in float32 too. `out`, made for the narrow
 * result, is given back first.
 */
function narrowInFloat32(
  b: KernelContext,
  def: CudaKernelDef,
  inputs: CudaHandle[],
  narrow: readonly number[],
  attrs: Attrs,
  env: KernelEnv,
  out: CudaHandle,
): Handle[] | null {
  b.dispose(out);
  return inFloat32(b, def, inputs, narrow, attrs, env);
}

/** Direct kernels for small channel counts (each thread loops over a patch): K*OC up to 16384 multiply-adds. */
function useDirect(g: ConvGeom): boolean {
  const a = getSetting("convAlgorithm");
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
  return getSetting("convAlgorithm") === "im2col" || (getSetting("convAlgorithm") === "auto" && g.K * g.OC > 16384) ? null : smem;
}

function directArgs(b: KernelContext, g: ConvGeom, total: number): void {
  b.ctx
    .argI32(total)
    .argI32(g.H)
    .argI32(g.W)
    .argI32(g.C)
    .argI32(g.OH)
    .argI32(g.OW)
    .argI32(g.OC)
    .argI32(g.kH)
    .argI32(g.kW)
    .argI32(g.sH)
    .argI32(g.sW)
    .argI32(g.dH)
    .argI32(g.dW)
    .argI32(g.padT)
    .argI32(g.padL);
}

/** 32-bit indices for whole tensors in the direct kernels. */
function fitsDirect(g: ConvGeom): boolean {
  return g.n * g.H * g.W * g.C <= INT_LIMIT && g.n * g.OH * g.OW * g.OC <= INT_LIMIT;
}

/** Shared memory for a whole filter (the per-pixel kernels), or null past 48 KiB or 32 channels. */
function pixelKernel(g: ConvGeom, channels: number, esz: number): number | null {
  const smem = g.K * g.OC * esz;
  return channels <= 32 && smem <= 48 * 1024 ? smem : null;
}

function geomArgs(b: KernelContext, g: ConvGeom, total: number, withKH: boolean): void {
  b.ctx.argI32(total).argI32(g.K).argI32(g.H).argI32(g.W).argI32(g.C).argI32(g.OH).argI32(g.OW);
  if (withKH) b.ctx.argI32(g.kH);
  b.ctx.argI32(g.kW).argI32(g.sH).argI32(g.sW).argI32(g.dH).argI32(g.dW).argI32(g.padT).argI32(g.padL);
}

function convFn(b: KernelContext, dtype: DType, name: string) {
  return b.fn(`conv.${dtype}`, name, () => convSource(storageType(dtype)));
}

/** Patch rows of images [n0, n0 + imgs) into `cols`. */
function im2col(b: KernelContext, g: ConvGeom, x: CudaHandle, n0: number, imgs: number, cols: CudaHandle): void {
  const esz = bytesPerElement(x.dtype);
  const total = imgs * g.OH * g.OW * g.K;
  b.ctx.argPtr(x.ptr + n0 * g.H * g.W * g.C * esz).argPtr(cols.ptr);
  geomArgs(b, g, total, false);
  b.launch(convFn(b, x.dtype, "im2col"), b.grid(total));
}

const conv2d: CudaKernelDef = {
  supports: (d, attrs) => (FLOATS.has(d[0]) || NARROW.has(d[0])) && d[1] === d[0] && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format),
  run: (b, [x, f], attrs, env) => {
    const g = convGeom(x.shape, f.shape, attrs);
    if (!g) return null;
    const dt = x.dtype as GemmDType;
    const esz = bytesPerElement(dt);
    const out = b.empty(dt, [g.n, g.OH, g.OW, g.OC], "Conv2D");
    if (sizeOf(out.shape) === 0) return [out];
    if (g.K === 0) {
      b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(out.ptr, 0, out.storage.bytes, b.ctx.stream));
      return [out];
    }
    if (cudnnConvs(g, dt) && cudnnConv2d(b, g, x, f, out)) return [out];
    if (NARROW.has(dt)) return narrowInFloat32(b, conv2d, [x, f], [0, 1], attrs, env, out);
    if (useDirect(g) && fitsDirect(g)) {
      const smem = pixelKernel(g, g.OC, esz);
      if (smem !== null) {
        const pixels = g.n * g.OH * g.OW;
        b.ctx
          .argPtr(x.ptr)
          .argPtr(f.ptr)
          .argPtr(out.ptr)
          .argI32(pixels)
          .argI32(g.H)
          .argI32(g.W)
          .argI32(g.C)
          .argI32(g.OH)
          .argI32(g.OW)
          .argI32(g.kH)
          .argI32(g.kW)
          .argI32(g.sH)
          .argI32(g.sW)
          .argI32(g.dH)
          .argI32(g.dW)
          .argI32(g.padT)
          .argI32(g.padL);
        const fn = b.fn(`convpx.${dt}.${g.OC}`, "conv_fwd_px", () => convPixelSource(storageType(dt), g.OC));
        b.launch(fn, Math.min(b.grid(pixels), b.ctx.info.multiprocessors * 8), 256, 1, smem);
        return [out];
      }
      const total = sizeOf(out.shape);
      b.ctx.argPtr(x.ptr).argPtr(f.ptr).argPtr(out.ptr);
      directArgs(b, g, total);
      b.launch(convFn(b, dt, "conv_fwd"), b.grid(total));
      return [out];
    }
    b.blas.setTf32(getSetting("convTf32"));
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
  supports: (d, attrs) => (FLOATS.has(d[1]) || NARROW.has(d[1])) && d[2] === d[1] && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format),
  run: (b, [sizes, f, dy], attrs, env) => {
    const xs = hostInts(b, sizes);
    const g = convGeom(xs, f.shape, attrs);
    if (!g || dy.shape.join(",") !== [g.n, g.OH, g.OW, g.OC].join(",")) return null;
    const dt = dy.dtype as GemmDType;
    const esz = bytesPerElement(dt);
    const dx = b.empty(dt, xs, "Conv2DBackpropInput");
    if (sizeOf(xs) === 0) return [dx];
    if (g.OC === 0 || sizeOf(dy.shape) === 0) {
      b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(dx.ptr, 0, dx.storage.bytes, b.ctx.stream));
      return [dx];
    }
    if (cudnnConvs(g, dt) && cudnnConv2dBackpropInput(b, g, f, dy, dx)) return [dx];
    if (NARROW.has(dt)) return narrowInFloat32(b, conv2dBackpropInput, [sizes, f, dy], [1, 2], attrs, env, dx);
    if (useDirect(g) && fitsDirect(g)) {
      const smem = pixelKernel(g, g.C, esz);
      if (smem !== null) {
        const pixels = g.n * g.H * g.W;
        b.ctx
          .argPtr(dy.ptr)
          .argPtr(f.ptr)
          .argPtr(dx.ptr)
          .argI32(pixels)
          .argI32(g.H)
          .argI32(g.W)
          .argI32(g.OC)
          .argI32(g.OH)
          .argI32(g.OW)
          .argI32(g.kH)
          .argI32(g.kW)
          .argI32(g.sH)
          .argI32(g.sW)
          .argI32(g.dH)
          .argI32(g.dW)
          .argI32(g.padT)
          .argI32(g.padL);
        const fn = b.fn(`convpx.${dt}.${g.C}`, "conv_bwd_in_px", () => convPixelSource(storageType(dt), g.C));
        b.launch(fn, Math.min(b.grid(pixels), b.ctx.info.multiprocessors * 8), 256, 1, smem);
        return [dx];
      }
      const total = sizeOf(xs);
      b.ctx.argPtr(dy.ptr).argPtr(f.ptr).argPtr(dx.ptr);
      directArgs(b, g, total);
      b.launch(convFn(b, dt, "conv_bwd_in"), b.grid(total));
      return [dx];
    }
    b.blas.setTf32(getSetting("convTf32"));
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
  supports: (d, attrs) => (FLOATS.has(d[0]) || NARROW.has(d[0])) && d[2] === d[0] && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format),
  run: (b, [x, sizes, dy], attrs, env) => {
    const fs = hostInts(b, sizes);
    const g = convGeom(x.shape, fs, attrs);
    if (!g || dy.shape.join(",") !== [g.n, g.OH, g.OW, g.OC].join(",")) return null;
    const dt = x.dtype as GemmDType;
    const esz = bytesPerElement(dt);
    const df = b.empty(dt, fs, "Conv2DBackpropFilter");
    if (sizeOf(fs) === 0) return [df];
    if (g.n * g.OH * g.OW === 0) {
      b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(df.ptr, 0, df.storage.bytes, b.ctx.stream));
      return [df];
    }
    if (cudnnConvs(g, dt) && cudnnConv2dBackpropFilter(b, g, x, dy, df)) return [df];
    if (NARROW.has(dt)) return narrowInFloat32(b, conv2dBackpropFilter, [x, sizes, dy], [0, 2], attrs, env, df);
    const smem = fitsDirect(g) ? filterTiled(g, esz) : null;
    if (smem !== null) {
      const positions = g.n * g.OH * g.OW;
      const TP = tileOf(g);
      const KO = g.K * g.OC;
      // Enough blocks to hide the gathers' latency (up to 8 per multiprocessor), partials within 32 MiB.
      const blocks = Math.max(1, Math.min(b.ctx.info.multiprocessors * 8, Math.ceil(positions / TP), Math.floor(2 ** 22 / KO)));
      const part = b.empty("float64", [blocks * KO], "Conv2DBackpropFilter");
      b.ctx
        .argPtr(x.ptr)
        .argPtr(dy.ptr)
        .argPtr(part.ptr)
        .argI32(positions)
        .argI32(g.K)
        .argI32(g.H)
        .argI32(g.W)
        .argI32(g.C)
        .argI32(g.OH)
        .argI32(g.OW)
        .argI32(g.OC)
        .argI32(g.kW)
        .argI32(g.sH)
        .argI32(g.sW)
        .argI32(g.dH)
        .argI32(g.dW)
        .argI32(g.padT)
        .argI32(g.padL)
        .argI32(TP);
      const G = groupOf(g, esz);
      b.launch(
        b.fn(`convfilter.${dt}.${G}`, "conv_bwd_filter", () => convFilterSource(storageType(dt), G)),
        blocks,
        256,
        1,
        smem,
      );
      sumPartials(b, part, df, blocks, KO);
      b.dispose(part);
      return [df];
    }
    b.blas.setTf32(getSetting("convTf32"));
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

export const convKernels: CudaKernelTable = {
  // NCHW through transposes around the NHWC kernels (layout.ts).
  Conv2D: channelsFirstVia(conv2d, { data: [0], dataOut: true }),
  Conv2DBackpropInput: channelsFirstVia(conv2dBackpropInput, { data: [2], hostShape: 0, dataOut: true }),
  Conv2DBackpropFilter: channelsFirstVia(conv2dBackpropFilter, { data: [0, 2], dataOut: false }),
};
