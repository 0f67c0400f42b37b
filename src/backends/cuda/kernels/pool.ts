import type { DType } from "../../../core/dtype.js";
import { sizeOf } from "../../../core/shape.js";
import type { Attrs } from "../../../core/schema/types.js";
import { listAttr, windows } from "../../../core/geometry/window.js";
import { cudnnMaxPool, cudnnMaxPoolGrad } from "../cudnn.js";
import type { CudaKernelDef, CudaKernelTable, KernelContext } from "../kernel.js";
import { channelsFirstVia } from "../layout.js";
import { inFloat32, viaFloat32 } from "../widen.js";
import { poolSource } from "../sources/pool.js";
import { storageType } from "../translate.js";
import { hostInts, INT_LIMIT, NARROW, NHWC } from "./util.js";

/**
 * The pool family on the GPU: 2-D max and average pooling with their gradients on channels-last data (NCHW
 * through transposes, layout.ts); cuDNN for the max-pooling forward pass (and the 16-bit floats' gradient).
 * float16 and bfloat16 that cuDNN does not take run the own kernels in float32 (widen.ts). Sources: sources/pool.ts.
 */

interface PoolGeom {
  n: number;
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  padT: number;
  padL: number;
}

function poolGeom(x: readonly number[], attrs: Attrs): PoolGeom | null {
  if (x.length !== 4) return null;
  const [wh, ww] = windows(x, listAttr(attrs, "ksize"), attrs, false, true);
  const g = { n: x[0], H: x[1], W: x[2], C: x[3], OH: wh.out, OW: ww.out, kH: wh.k, kW: ww.k, sH: wh.s, sW: ww.s, padT: wh.pad, padL: ww.pad };
  if (sizeOf(x) > INT_LIMIT || g.n * g.OH * g.OW * g.C > INT_LIMIT) return null;
  return g;
}

function poolArgs(b: KernelContext, g: PoolGeom, total: number): void {
  b.ctx
    .argI32(total)
    .argI32(g.H)
    .argI32(g.W)
    .argI32(g.C)
    .argI32(g.OH)
    .argI32(g.OW)
    .argI32(g.kH)
    .argI32(g.kW)
    .argI32(g.sH)
    .argI32(g.sW)
    .argI32(g.padT)
    .argI32(g.padL);
}

const POOL_DTYPES: ReadonlySet<DType> = new Set(["float32", "float64", "int32"]);

const maxPool: CudaKernelDef = {
  // float16 and bfloat16 through cuDNN, else in float32 (the own kernels compute in the stored type).
  supports: (d, attrs) => (POOL_DTYPES.has(d[0]) || NARROW.has(d[0])) && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format),
  run: (b, [x], attrs, env) => {
    const g = poolGeom(x.shape, attrs);
    if (!g) return null;
    const out = b.empty(x.dtype, [g.n, g.OH, g.OW, g.C], "MaxPool");
    const total = sizeOf(out.shape);
    if (total === 0) return [out];
    // cuDNN's max pooling is as fast or faster than maxpool below (1.0-1.8x); its gradient is not (see
    // maxPoolGrad).
    if (cudnnMaxPool(b, g, x, out)) return [out];
    if (NARROW.has(x.dtype)) {
      b.dispose(out);
      return inFloat32(b, maxPool, [x], [0], attrs, env);
    }
    b.ctx.argPtr(x.ptr).argPtr(out.ptr);
    poolArgs(b, g, total);
    b.launch(poolFn(b, x.dtype, "maxpool"), b.grid(total));
    return [out];
  },
};

const maxPoolGrad: CudaKernelDef = {
  supports: (d, attrs) => (POOL_DTYPES.has(d[0]) || NARROW.has(d[0])) && d.every((x) => x === d[0]) && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format),
  // Not cuDNN's: its deterministic max-pooling gradient (which routes ties as TensorFlow does) took 1.4-5.6x
  // the time of maxpool_grad on the H100 (bench/GPU_NOTES.md).
  run: (b, [x, y, dy], attrs, env) => {
    const g = poolGeom(x.shape, attrs);
    if (!g || dy.shape.join(",") !== [g.n, g.OH, g.OW, g.C].join(",")) return null;
    const dx = b.empty(x.dtype, x.shape, "MaxPoolGrad");
    if (dx.storage.bytes === 0) return [dx];
    // The 16-bit floats: cuDNN's deterministic gradient (its atomics-free routing), else float32 atomics.
    if (NARROW.has(x.dtype)) {
      if (y.shape.join(",") === dy.shape.join(",") && cudnnMaxPoolGrad(b, g, x, y, dy, dx)) return [dx];
      b.dispose(dx);
      return inFloat32(b, maxPoolGrad, [x, y, dy], [0, 1, 2], attrs, env);
    }
    b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(dx.ptr, 0, dx.storage.bytes, b.ctx.stream));
    const total = sizeOf(dy.shape);
    if (total === 0) return [dx];
    // One thread per window finds its first maximum and adds dy there (windows may overlap: atomics).
    b.ctx.argPtr(x.ptr).argPtr(dy.ptr).argPtr(dx.ptr);
    poolArgs(b, g, total);
    b.launch(poolFn(b, x.dtype, "maxpool_grad"), b.grid(total));
    return [dx];
  },
};

const AVG_DTYPES: ReadonlySet<DType> = new Set(["float32", "float64"]);

const avgPool: CudaKernelDef = {
  supports: (d, attrs) => AVG_DTYPES.has(d[0]) && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format),
  run: (b, [x], attrs) => {
    const g = poolGeom(x.shape, attrs);
    if (!g) return null;
    const out = b.empty(x.dtype, [g.n, g.OH, g.OW, g.C], "AvgPool");
    const total = sizeOf(out.shape);
    if (total === 0) return [out];
    b.ctx.argPtr(x.ptr).argPtr(out.ptr);
    poolArgs(b, g, total);
    b.launch(poolFn(b, x.dtype, "avgpool"), b.grid(total));
    return [out];
  },
};

const avgPoolGrad: CudaKernelDef = {
  host: [0],
  supports: (d, attrs) => AVG_DTYPES.has(d[1]) && NHWC(attrs),
  attrKey: (attrs) => String(attrs.data_format),
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
    b.launch(poolFn(b, dy.dtype, "avgpool_grad"), b.grid(total));
    return [dx];
  },
};

function poolFn(b: KernelContext, dtype: DType, name: string) {
  return b.fn(`pool.${dtype}`, name, () => poolSource(storageType(dtype)));
}

export const poolKernels: CudaKernelTable = {
  MaxPool: channelsFirstVia(maxPool, { data: [0], dataOut: true }),
  MaxPoolGrad: channelsFirstVia(maxPoolGrad, { data: [0, 1, 2], dataOut: true }),
  // Average pooling of the 16-bit floats in float32 (its window sums are double either way).
  AvgPool: channelsFirstVia(viaFloat32(avgPool, [0]), { data: [0], dataOut: true }),
  AvgPoolGrad: channelsFirstVia(viaFloat32(avgPoolGrad, [1]), { data: [1], hostShape: 0, dataOut: true }),
};
