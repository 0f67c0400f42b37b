import type { DType } from "../../../core/dtype.js";
import { sizeOf } from "../../../core/shape.js";
import { getOpSchema } from "../../../core/schema/index.js";
import type { Attrs, TensorSpec } from "../../../core/schema/types.js";
import type { CudaHandle } from "../handle.js";
import type { Ptr } from "../ffi.js";
import type { CudaKernelTable, KernelContext } from "../kernel.js";
import { batchNormSource } from "../sources/norm.js";
import { addSpec, binaryOp } from "./elementwise.js";
import { reducePass, reductionPasses } from "./reduce.js";
import { argI, FLOATS, idx64, NARROW, NUMERIC } from "./util.js";

/**
 * The norm family on the GPU: BiasAdd (AddV2's broadcasting kernel) and BiasAddGrad (a column reduction),
 * channels-last; FusedBatchNormV3 and FusedBatchNormGradV3 in every data format (sources/norm.ts). LRN runs
 * on the CPU.
 *
 * Batch normalization uses kernels of our own rather than cuDNN's batch-norm calls: cuDNN saves the inverse
 * standard deviation where the CPU kernel's reserve_space_2 is the biased batch variance (a forward on one
 * device and its gradient on the other must agree), refuses epsilon below 1e-5 (the op allows any), has no
 * form for an empty mean or variance in training, and rounds its statistics in float where the CPU kernel
 * sums in double. The own kernels are launches only (scratch from the caching allocator, no host reads), so a
 * step holding them is captured as a CUDA graph.
 */

/** x's dtype T and the statistics' U: any floating type (TensorFlow's GPU kernels: T half/bfloat16/float, U float). */
const BN_DTYPES: ReadonlySet<DType> = new Set([...FLOATS, ...NARROW]);

/** x viewed as [outer, C, inner], as the CPU kernel's channelView: NHWC/NDHWC is [N*H*W, C, 1], NCHW/NCDHW [N, C, H*W]. */
interface ChannelView {
  outer: number;
  C: number;
  inner: number;
}
function channelView(shape: readonly number[], attrs: Attrs): ChannelView {
  const ax = String(attrs.data_format).startsWith("NC") ? 1 : shape.length - 1;
  return { outer: sizeOf(shape.slice(0, ax)), C: shape[ax], inner: sizeOf(shape.slice(ax + 1)) };
}

const isVector = (h: CudaHandle, n: number) => h.shape.length === 1 && h.shape[0] === n;

/**
 * Inputs the kernels do not take (shape inference let them through only if something upstream is wrong):
 * the op's shape function raises TensorFlow's error for them, as the CPU path would; null if it does not.
 */
function rejected(type: "FusedBatchNormV3" | "FusedBatchNormGradV3", inputs: readonly CudaHandle[], attrs: Attrs): null {
  const specs: TensorSpec[] = inputs.map((h) => ({ dtype: h.dtype, shape: h.shape.slice() }));
  getOpSchema(type)!.infer(specs, attrs, type);
  return null;
}

/** Launch geometry of the channels-last kernels: tiles of `tw` channels (a power of two up to 32) by 256 / tw rows. */
function rowTiles(C: number): { lg: number; gy: number; rows: number } {
  let lg = 0;
  while (lg < 5 && 1 << lg < C) lg++;
  return { lg, gy: Math.min(Math.ceil(C / (1 << lg)), 65535), rows: 256 >> lg };
}

/**
 * Blocks per multiprocessor of the stats and apply passes (scaled down for many channel tiles). Mutable so
 * that bench/gpu_bn_bench.ts can time other values on a GPU; nothing else writes them. 8 and 64 were the
 * fastest of 4:16, 16:16, 32:32 and 8:64 on ResNet-18's shapes at batch 256 (H200, 2026-12-03: 5-23% less
 * time than 4:16 forward and backward, float32 and bfloat16).
 */
export const bnLaunch = { statsPerSm: 8, applyPerSm: 64 };

/** Most blocks along the positions (partial sums per channel: what one warp of the finalize pass adds up). */
const MAX_BLOCKS_ALONG = 4096;

/**
 * Blocks along `positions` (rows or plane positions) beside `gy` blocks across the channels: about `perSm`
 * blocks per multiprocessor in all, but at least `minPerBlock` positions each; `per` positions per block.
 */
function blocksAlong(b: KernelContext, positions: number, gy: number, minPerBlock: number, perSm: number): { blocks: number; per: number } {
  const want = Math.ceil((b.ctx.info.multiprocessors * perSm) / gy);
  const blocks0 = Math.max(1, Math.min(want, Math.ceil(positions / minPerBlock), MAX_BLOCKS_ALONG));
  const per = Math.ceil(positions / blocks0);
  return { blocks: Math.ceil(positions / per), per };
}

/** 64-bit indices when an element, a partial sum or a coefficient (5 per channel) could be past 32-bit ones. */
const indexWide = (n: number, C: number) => idx64(Math.max(n, MAX_BLOCKS_ALONG * C, 5 * C));

interface Partials {
  p1: CudaHandle;
  p2: CudaHandle;
  blocks: number;
}

/** The stats pass: per (block, channel) partial sums (forward: of x; gradient: of dy and dy (x - mean)). */
function statsPass(b: KernelContext, fn: (name: string) => Ptr, v: ChannelView, i64: boolean, args: CudaHandle[], grad: boolean): Partials {
  const R = v.outer * v.inner;
  const rows = v.inner === 1;
  const tiles = rows ? rowTiles(v.C) : { lg: 0, gy: Math.min(v.C, 65535), rows: 256 };
  const { blocks, per } = blocksAlong(b, R, tiles.gy, tiles.rows * 8, bnLaunch.statsPerSm);
  const p1 = b.empty("float64", [blocks * v.C], "FusedBatchNorm");
  const p2 = b.empty("float64", [blocks * v.C], "FusedBatchNorm");
  for (const h of args) b.ctx.argPtr(h.ptr);
  b.ctx.argPtr(p1.ptr).argPtr(p2.ptr);
  if (rows) {
    argI(b, i64, R);
    argI(b, i64, v.C);
    argI(b, i64, per);
    b.ctx.argI32(tiles.lg);
  } else {
    argI(b, i64, v.outer);
    argI(b, i64, v.C);
    argI(b, i64, v.inner);
    argI(b, i64, per);
  }
  const name = `bn_${grad ? "grad_" : ""}stats_${rows ? "rows" : "planes"}`;
  b.launch(fn(name), blocks, 256, tiles.gy);
  return { p1, p2, blocks };
}

/** The apply pass: y (or dx) from x (and dy) and the per-channel coefficients. */
function applyPass(
  b: KernelContext,
  fn: (name: string) => Ptr,
  v: ChannelView,
  i64: boolean,
  args: CudaHandle[],
  out: CudaHandle,
  training: number | null,
): void {
  const n = v.outer * v.C * v.inner;
  for (const h of args) b.ctx.argPtr(h.ptr);
  b.ctx.argPtr(out.ptr);
  const grad = training !== null;
  if (v.inner === 1) {
    const t = rowTiles(v.C);
    const { blocks, per } = blocksAlong(b, v.outer, t.gy, t.rows * 4, bnLaunch.applyPerSm);
    argI(b, i64, v.outer);
    argI(b, i64, v.C);
    argI(b, i64, per);
    b.ctx.argI32(t.lg);
    if (grad) b.ctx.argI32(training);
    b.launch(fn(grad ? "bn_grad_apply_rows" : "bn_apply_rows"), blocks, 256, t.gy);
    return;
  }
  argI(b, i64, n);
  argI(b, i64, v.C);
  argI(b, i64, v.inner);
  if (grad) b.ctx.argI32(training);
  b.launch(fn(grad ? "bn_grad_apply_planes" : "bn_apply_planes"), b.grid(n));
}

/** The module's functions for x's and the statistics' dtypes, compiled without FMA contraction (sources/norm.ts). */
function moduleFor(b: KernelContext, x: DType, u: DType, i64: boolean): (name: string) => Ptr {
  const key = `norm.bn.${x}.${u}.${i64 ? 64 : 32}`;
  return (name) => b.fn(key, name, () => batchNormSource(x, u, i64), ["--fmad=false"]);
}

/** Outputs: y, batch_mean, batch_variance, reserve_space_1 (batch mean), reserve_space_2 (biased batch variance), reserve_space_3 (empty). */
function fusedBatchNorm(b: KernelContext, inputs: CudaHandle[], attrs: Attrs): CudaHandle[] | null {
  const [x, scale, offset, mean, variance] = inputs;
  const training = attrs.is_training as boolean;
  const r = x.shape.length;
  if (r !== 4 && r !== 5) return rejected("FusedBatchNormV3", inputs, attrs);
  const v = channelView(x.shape, attrs);
  const stat = (h: CudaHandle) => isVector(h, v.C) || (training && isVector(h, 0));
  if (!isVector(scale, v.C) || !isVector(offset, v.C) || !stat(mean) || !stat(variance)) return rejected("FusedBatchNormV3", inputs, attrs);
  const u = scale.dtype;
  const n = sizeOf(x.shape);
  const y = b.empty(x.dtype, x.shape, "FusedBatchNormV3");
  const empty = b.empty(u, [0], "FusedBatchNormV3");
  if (!training) {
    // The given statistics are the outputs as they are (the CPU kernel copies them).
    const outs = [y, b.alias(mean) as CudaHandle, b.alias(variance) as CudaHandle, b.alias(mean) as CudaHandle, b.alias(variance) as CudaHandle, empty];
    if (n > 0) normalize(b, v, x, [scale, offset, mean, variance], y, null, attrs);
    return outs;
  }
  const stats = [0, 1, 2, 3].map(() => b.empty(u, [v.C], "FusedBatchNormV3"));
  if (v.C > 0) normalize(b, v, x, [scale, offset, mean, variance], y, stats, attrs);
  return [y, ...stats, empty];
}

/** Statistics (training: into `stats`), coefficients, then y. */
function normalize(
  b: KernelContext,
  v: ChannelView,
  x: CudaHandle,
  [scale, offset, mean, variance]: CudaHandle[],
  y: CudaHandle,
  stats: CudaHandle[] | null,
  attrs: Attrs,
): void {
  const R = v.outer * v.inner;
  const n = R * v.C;
  const training = stats !== null;
  const i64 = indexWide(n, v.C);
  const fn = moduleFor(b, x.dtype, scale.dtype, i64);
  const parts = training && R > 0 ? statsPass(b, fn, v, i64, [x], false) : null;
  const coef = b.empty("float64", [2 * v.C], "FusedBatchNormV3");
  try {
    const factor = attrs.exponential_avg_factor as number;
    b.ctx
      .argPtr(x.ptr)
      .argPtr(parts?.p1.ptr ?? 0)
      .argPtr(parts?.p2.ptr ?? 0)
      .argI32(parts?.blocks ?? 0);
    argI(b, i64, v.C);
    argI(b, i64, v.inner);
    b.ctx.argF64(R).argI32(training ? 1 : 0);
    b.ctx.argPtr(scale.ptr).argPtr(offset.ptr).argPtr(mean.ptr).argPtr(variance.ptr);
    b.ctx.argI32(sizeOf(mean.shape) > 0 ? 1 : 0).argI32(sizeOf(variance.shape) > 0 ? 1 : 0);
    // TensorFlow moves the statistics only when the factor is not 1 (so an old NaN does not leak in).
    b.ctx
      .argI32(factor !== 1 ? 1 : 0)
      .argF64(factor)
      .argF64(attrs.epsilon as number);
    for (const h of stats ?? [null, null, null, null]) b.ctx.argPtr(h?.ptr ?? 0);
    b.ctx.argPtr(coef.ptr);
    b.launch(fn("bn_finalize"), b.grid(v.C * 32));
    if (n > 0) applyPass(b, fn, v, i64, [x, coef], y, null);
  } finally {
    if (parts) {
      b.dispose(parts.p1);
      b.dispose(parts.p2);
    }
    b.dispose(coef);
  }
}

/** Outputs: x_backprop, scale_backprop, offset_backprop and two empty reserve spaces. */
function fusedBatchNormGrad(b: KernelContext, inputs: CudaHandle[], attrs: Attrs): CudaHandle[] | null {
  const [dy, x, scale, savedMean, savedVar] = inputs;
  const r = x.shape.length;
  if ((r !== 4 && r !== 5) || dy.shape.join(",") !== x.shape.join(",")) return rejected("FusedBatchNormGradV3", inputs, attrs);
  const v = channelView(x.shape, attrs);
  if (!isVector(scale, v.C) || !isVector(savedMean, v.C) || !isVector(savedVar, v.C)) return rejected("FusedBatchNormGradV3", inputs, attrs);
  const u = scale.dtype;
  const dx = b.empty(x.dtype, x.shape, "FusedBatchNormGradV3");
  const dscale = b.empty(u, [v.C], "FusedBatchNormGradV3");
  const doffset = b.empty(u, [v.C], "FusedBatchNormGradV3");
  const outs = [dx, dscale, doffset, b.empty(u, [0], "FusedBatchNormGradV3"), b.empty(u, [0], "FusedBatchNormGradV3")];
  if (v.C === 0) return outs;
  const R = v.outer * v.inner;
  const n = R * v.C;
  const i64 = indexWide(n, v.C);
  const fn = moduleFor(b, x.dtype, u, i64);
  const parts = R > 0 ? statsPass(b, fn, v, i64, [dy, x, savedMean], true) : null;
  const coef = b.empty("float64", [5 * v.C], "FusedBatchNormGradV3");
  try {
    b.ctx
      .argPtr(parts?.p1.ptr ?? 0)
      .argPtr(parts?.p2.ptr ?? 0)
      .argI32(parts?.blocks ?? 0);
    argI(b, i64, v.C);
    b.ctx.argF64(R);
    b.ctx
      .argPtr(scale.ptr)
      .argPtr(savedMean.ptr)
      .argPtr(savedVar.ptr)
      .argF64(attrs.epsilon as number);
    b.ctx.argPtr(dscale.ptr).argPtr(doffset.ptr).argPtr(coef.ptr);
    b.launch(fn("bn_grad_finalize"), b.grid(v.C * 32));
    if (n > 0) applyPass(b, fn, v, i64, [dy, x, coef], dx, attrs.is_training ? 1 : 0);
  } finally {
    if (parts) {
      b.dispose(parts.p1);
      b.dispose(parts.p2);
    }
    b.dispose(coef);
  }
  return outs;
}

export const normKernels: CudaKernelTable = {
  BiasAdd: {
    supports: (d, attrs) => (NUMERIC.has(d[0]) || NARROW.has(d[0])) && d[1] === d[0] && attrs.data_format === "NHWC",
    attrKey: (attrs) => String(attrs.data_format),
    run: (b, [x, bias]) => [binaryOp(b, "BiasAdd", addSpec(), x, bias)],
  },
  BiasAddGrad: {
    supports: (d, attrs) => (NUMERIC.has(d[0]) || NARROW.has(d[0])) && attrs.data_format === "NHWC",
    attrKey: (attrs) => String(attrs.data_format),
    run: (b, [dy]) => {
      const r = dy.shape.length;
      if (r < 1 || sizeOf(dy.shape) === 0) return null;
      const axes = Array.from({ length: r - 1 }, (_, i) => i);
      if (axes.length === 0 || axes.every((a) => dy.shape[a] === 1)) return [b.alias(dy, [dy.shape[r - 1]])];
      const passes = reductionPasses(dy.shape, axes);
      let cur: CudaHandle = dy;
      passes.forEach((p, i) => {
        const next = reducePass(b, cur, "sum", p, i === passes.length - 1 ? [dy.shape[r - 1]] : [p.outer * p.inner], 1);
        if (cur !== dy) b.dispose(cur);
        cur = next;
      });
      return [cur];
    },
  },
  // x (and dy) of dtype T, the statistics of one dtype U.
  FusedBatchNormV3: {
    supports: (d) => BN_DTYPES.has(d[0]) && BN_DTYPES.has(d[1]) && d.slice(2).every((t) => t === d[1]),
    run: (b, inputs, attrs) => fusedBatchNorm(b, inputs, attrs),
  },
  FusedBatchNormGradV3: {
    supports: (d) => BN_DTYPES.has(d[0]) && d[1] === d[0] && BN_DTYPES.has(d[2]) && d.slice(3).every((t) => t === d[2]),
    run: (b, inputs, attrs) => fusedBatchNormGrad(b, inputs, attrs),
  },
};
