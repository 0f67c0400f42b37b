import type { Attrs } from "../../../core/schema/types.js";
import { allocOutput, type DType } from "../../../core/dtype.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { sizeOf } from "../../../core/shape.js";
import { CpuTensor, KernelTable, out } from "../kernel.js";
import { alloc, NArr } from "./layout.js";
import { axpy, gemv } from "../blas_ops.js";
import { getBlas } from "../blas.js";
import { gemm } from "../gemm.js";
import { channelLoops, MAX_GENERATED_CHANNELS } from "../channel_loops.js";

/**
 * Per-channel ops (BiasAdd, fused batch norm) and local response normalization on the CPU.
 * Channel-wise loops view a tensor as [outer, C, inner]: NHWC is [N*H*W, C, 1], NCHW is [N, C, H*W].
 */
interface ChannelView {
  outer: number;
  c: number;
  inner: number;
}

function channelView(shape: readonly number[], format: unknown): ChannelView {
  const r = shape.length;
  const ax = typeof format === "string" && format.startsWith("NC") && r >= 3 ? 1 : r - 1;
  return { outer: sizeOf(shape.slice(0, ax)), c: shape[ax], inner: sizeOf(shape.slice(ax + 1)) };
}

// ---------------------------------------------------------------- BiasAdd

function biasAdd(x: CpuTensor, bias: CpuTensor, attrs: Attrs): CpuTensor {
  const { outer, c: C, inner } = channelView(x.shape, attrs.data_format);
  if (bias.shape.length !== 1 || bias.shape[0] !== C) {
    throw new InvalidArgumentError(`Must provide as many biases as the last dimension of the input tensor: [${bias.shape}] vs. [${x.shape}]`);
  }
  if (x.dtype === "int64") {
    const xv = x.values as BigInt64Array;
    const bv = bias.values as BigInt64Array;
    const o = new BigInt64Array(xv.length);
    let i = 0;
    for (let a = 0; a < outer; a++) for (let c = 0; c < C; c++) for (let k = 0; k < inner; k++, i++) o[i] = xv[i] + bv[c];
    return out(x.dtype, x.shape, o);
  }
  const xv = x.values as NArr;
  const bv = bias.values as NArr;
  const o = alloc(x.dtype, xv.length);
  if ((xv instanceof Float32Array || xv instanceof Float64Array) && o.constructor === xv.constructor && bv.constructor === xv.constructor) {
    biasAddFloat(xv, bv as typeof xv, outer, C, inner, o as typeof xv);
    return out(x.dtype, x.shape, o);
  }
  let i = 0;
  if (inner === 1) {
    for (let a = 0; a < outer; a++) for (let c = 0; c < C; c++, i++) o[i] = xv[i] + bv[c];
  } else {
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < C; c++) {
        const b = bv[c];
        for (let k = 0; k < inner; k++, i++) o[i] = xv[i] + b;
      }
    }
  }
  return out(x.dtype, x.shape, o);
}

/**
 * o = x + bias on float data without a per-element JS loop: o is first filled with the bias pattern by
 * native copies (the bias row, then copyWithin doubling it; NCHW: one fill per (image, channel) plane),
 * then x is added in one axpy (BLAS when loaded). Each element gets exactly x + b, as the loop would.
 */
function biasAddFloat<T extends Float32Array | Float64Array>(x: T, b: T, outer: number, C: number, inner: number, o: T): void {
  const n = x.length;
  if (n === 0) return;
  if (inner === 1) {
    o.set(b.subarray(0, Math.min(C, n)));
    for (let have = C; have < n; have *= 2) o.copyWithin(have, 0, Math.min(have, n - have));
  } else {
    let off = 0;
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < C; c++, off += inner) o.fill(b[c], off, off + inner);
    }
  }
  axpy(n, 1, x, 0, o, 0);
}

/** Cached vectors of ones (grow-only) for row sums through gemv. */
let ones32 = new Float32Array(0);
let ones64 = new Float64Array(0);
function ones<T extends Float32Array | Float64Array>(like: T, n: number): T {
  if (like instanceof Float32Array) {
    if (ones32.length < n) ones32 = new Float32Array(n).fill(1);
    return ones32 as T;
  }
  if (ones64.length < n) ones64 = new Float64Array(n).fill(1);
  return ones64 as T;
}

/** Rows summed per gemv call: float32 partial sums stay short, the running total is float64. */
const SUM_BLOCK = 4096;

/**
 * Per-channel sums of float data viewed as [outer, C, inner], through gemv with a ones vector:
 * NHWC (inner = 1) sums the rows of [outer, C] (Aᵀ·1) in blocks of SUM_BLOCK rows; NCHW sums each
 * [C, inner] plane's rows (A·1). Blocks are accumulated in float64.
 */
function channelSumsFloat<T extends Float32Array | Float64Array>(v: T, outer: number, C: number, inner: number): Float64Array {
  const acc = new Float64Array(C);
  if (C === 0 || v.length === 0) return acc;
  if (inner === 1) {
    const part = (v instanceof Float32Array ? new Float32Array(C) : new Float64Array(C)) as T;
    // Without a BLAS the row of ones times the block goes through the WebAssembly product: the JavaScript
    // loop over a few channels took 1.68 ms for LeNet-5's two BiasAddGrads at batch 64, this 0.73, a BLAS
    // gemv 0.17 (2026-12-03, loaded 2-core VM).
    const wasm = getBlas() === null;
    const one = ones(v, Math.min(outer, SUM_BLOCK));
    for (let r0 = 0; r0 < outer; r0 += SUM_BLOCK) {
      const rows = Math.min(SUM_BLOCK, outer - r0);
      if (wasm) gemm({ transA: false, transB: false, m: 1, n: C, k: rows, a: one, b: v, bOffset: r0 * C, c: part });
      else gemv(true, rows, C, 1, v, r0 * C, C, one, 0, 0, part, 0);
      for (let c = 0; c < C; c++) acc[c] += part[c];
    }
    return acc;
  }
  const part = (v instanceof Float32Array ? new Float32Array(C) : new Float64Array(C)) as T;
  const blk = Math.min(inner, SUM_BLOCK);
  const one = ones(v, blk);
  for (let a = 0; a < outer; a++) {
    for (let k0 = 0; k0 < inner; k0 += blk) {
      const len = Math.min(blk, inner - k0);
      gemv(false, C, len, 1, v, a * C * inner + k0, inner, one, 0, 0, part, 0);
      for (let c = 0; c < C; c++) acc[c] += part[c];
    }
  }
  return acc;
}

function biasAddGrad(dy: CpuTensor, attrs: Attrs): CpuTensor {
  const { outer, c: C, inner } = channelView(dy.shape, attrs.data_format);
  if (dy.dtype === "int64") {
    const v = dy.values as BigInt64Array;
    const o = new BigInt64Array(C);
    let i = 0;
    for (let a = 0; a < outer; a++) for (let c = 0; c < C; c++) for (let k = 0; k < inner; k++, i++) o[c] += v[i];
    return out(dy.dtype, [C], o);
  }
  const v = dy.values as NArr;
  let acc: Float64Array;
  if (v instanceof Float32Array || v instanceof Float64Array) {
    acc = channelSumsFloat(v, outer, C, inner);
  } else {
    acc = new Float64Array(C);
    let i = 0;
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let k = 0; k < inner; k++, i++) s += v[i];
        acc[c] += s;
      }
    }
  }
  const o = alloc(dy.dtype, C);
  for (let c = 0; c < C; c++) o[c] = acc[c];
  return out(dy.dtype, [C], o);
}

// ---------------------------------------------------------------- fused batch norm

/*
 * The batch-norm loops run channel by channel, so that a channel's sums and coefficients stay in locals: in
 * NHWC (inner 1) a channel is a stride-C walk through x, which for the few channels of small convolutions is
 * 3-8x faster than visiting every pixel's channels in turn with per-channel arrays. Sums are in float64.
 */

/** Channels last with few channels: the generated loops of channel_loops.ts (one sweep, a variable per channel). */
const generated = (v: ChannelView) => v.inner === 1 && v.c > 0 && v.c <= MAX_GENERATED_CHANNELS;

/** Per-channel sums of x, or of (x - center)^2 when center is given. */
function channelSums(x: NArr, v: ChannelView, center: Float64Array | null): Float64Array {
  const { outer, c: C, inner } = v;
  const out = new Float64Array(C);
  const n = outer * C * inner;
  if (generated(v)) {
    channelLoops(C).sums(x, n, center, out);
    return out;
  }
  for (let c = 0; c < C; c++) {
    const m = center === null ? 0 : center[c];
    let s0 = 0;
    let s1 = 0;
    if (inner === 1) {
      // Two chains of adds: one would wait on each add's latency.
      let j = c;
      for (; j + C < n; j += 2 * C) {
        const d0 = x[j] - m;
        const d1 = x[j + C] - m;
        if (center === null) {
          s0 += d0;
          s1 += d1;
        } else {
          s0 += d0 * d0;
          s1 += d1 * d1;
        }
      }
      if (j < n) {
        const d = x[j] - m;
        s0 += center === null ? d : d * d;
      }
    } else {
      for (let a = 0; a < outer; a++) {
        const base = (a * C + c) * inner;
        for (let k = 0; k < inner; k++) {
          const d = x[base + k] - m;
          s0 += center === null ? d : d * d;
        }
      }
    }
    out[c] = s0 + s1;
  }
  return out;
}

/** y = x * mul[c] + add[c] in each channel c, computed in float64. */
function channelAffine(x: NArr, y: NArr, v: ChannelView, mul: Float64Array, add: Float64Array): void {
  const { outer, c: C, inner } = v;
  const n = outer * C * inner;
  if (generated(v)) return channelLoops(C).affine(x, y, n, mul, add);
  for (let c = 0; c < C; c++) {
    const mc = mul[c];
    const ac = add[c];
    if (inner === 1) for (let j = c; j < n; j += C) y[j] = x[j] * mc + ac;
    else
      for (let a = 0; a < outer; a++) {
        const base = (a * C + c) * inner;
        for (let k = base; k < base + inner; k++) y[k] = x[k] * mc + ac;
      }
  }
}

/** Per channel, sum of dy and sum of dy * (x - mean[c]). */
function gradientSums(dy: NArr, x: NArr, v: ChannelView, mean: NArr): [Float64Array, Float64Array] {
  const { outer, c: C, inner } = v;
  const sumDy = new Float64Array(C);
  const sumDyXc = new Float64Array(C);
  const n = outer * C * inner;
  if (generated(v)) {
    channelLoops(C).gradientSums(dy, x, n, mean, sumDy, sumDyXc);
    return [sumDy, sumDyXc];
  }
  for (let c = 0; c < C; c++) {
    const m = mean[c];
    let g0 = 0;
    let p0 = 0;
    if (inner === 1)
      for (let j = c; j < n; j += C) {
        const g = dy[j];
        g0 += g;
        p0 += g * (x[j] - m);
      }
    else
      for (let a = 0; a < outer; a++) {
        const base = (a * C + c) * inner;
        for (let k = base; k < base + inner; k++) {
          const g = dy[k];
          g0 += g;
          p0 += g * (x[k] - m);
        }
      }
    sumDy[c] = g0;
    sumDyXc[c] = p0;
  }
  return [sumDy, sumDyXc];
}

/** dx = a[c] * dy + b[c] * (x - mean[c]) + d[c] in each channel c. */
function gradientAffine(dy: NArr, x: NArr, dx: NArr, v: ChannelView, mean: NArr, a: Float64Array, b: Float64Array, d: Float64Array): void {
  const { outer, c: C, inner } = v;
  const n = outer * C * inner;
  if (generated(v)) return channelLoops(C).gradientAffine(dy, x, dx, n, mean, a, b, d);
  for (let c = 0; c < C; c++) {
    const m = mean[c];
    const ac = a[c];
    const bc = b[c];
    const dc = d[c];
    if (inner === 1) for (let j = c; j < n; j += C) dx[j] = ac * dy[j] + bc * (x[j] - m) + dc;
    else
      for (let o = 0; o < outer; o++) {
        const base = (o * C + c) * inner;
        for (let k = base; k < base + inner; k++) dx[k] = ac * dy[k] + bc * (x[k] - m) + dc;
      }
  }
}

function toF64(v: NArr): Float64Array {
  return Float64Array.from(v);
}

function typed(dtype: DType, v: Float64Array, shape: readonly number[]): CpuTensor {
  const o = alloc(dtype, v.length);
  o.set(v);
  return out(dtype, shape, o);
}

function fusedBatchNorm([x, scale, offset, mean, variance]: readonly CpuTensor[], attrs: Attrs): CpuTensor[] {
  const v = channelView(x.shape, attrs.data_format);
  const { outer, c: C, inner } = v;
  const eps = attrs.epsilon as number;
  const training = attrs.is_training as boolean;
  const factor = attrs.exponential_avg_factor as number;
  const u = scale.dtype;
  const cnt = outer * inner;
  const xv = x.values as NArr;
  let m: Float64Array;
  let varB: Float64Array;
  let outMean: Float64Array;
  let outVar: Float64Array;
  if (training) {
    m = channelSums(xv, v, null);
    for (let c = 0; c < C; c++) m[c] /= Math.max(cnt, 1);
    varB = channelSums(xv, v, m);
    for (let c = 0; c < C; c++) varB[c] /= Math.max(cnt, 1);
    // The variance output is the unbiased estimate (TensorFlow's running statistics); y uses the biased one.
    const corr = cnt > 1 ? cnt / (cnt - 1) : 1;
    outMean = m.slice();
    outVar = varB.map((s) => s * corr);
    if (factor !== 1) {
      const om = mean.values as NArr;
      const ov = variance.values as NArr;
      for (let c = 0; c < C; c++) {
        outMean[c] = (1 - factor) * (om.length ? om[c] : 0) + factor * outMean[c];
        outVar[c] = (1 - factor) * (ov.length ? ov[c] : 0) + factor * outVar[c];
      }
    }
  } else {
    m = toF64(mean.values as NArr);
    varB = toF64(variance.values as NArr);
    outMean = m;
    outVar = varB;
  }
  const sv = scale.values as NArr;
  const ofv = offset.values as NArr;
  const mul = new Float64Array(C);
  const add = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    mul[c] = sv[c] / Math.sqrt(varB[c] + eps);
    add[c] = ofv[c] - m[c] * mul[c];
  }
  // The affine loop writes every element.
  const y = allocOutput(x.dtype, xv.length) as NArr;
  channelAffine(xv, y, v, mul, add);
  return [out(x.dtype, x.shape, y), typed(u, outMean, [C]), typed(u, outVar, [C]), typed(u, m, [C]), typed(u, varB, [C]), out(u, [0], alloc(u, 0))];
}

function fusedBatchNormGrad([dy, x, scale, rs1, rs2]: readonly CpuTensor[], attrs: Attrs): CpuTensor[] {
  const v = channelView(x.shape, attrs.data_format);
  const { outer, c: C, inner } = v;
  const eps = attrs.epsilon as number;
  const training = attrs.is_training as boolean;
  const u = scale.dtype;
  const cnt = Math.max(outer * inner, 1);
  const xv = x.values as NArr;
  const dyv = dy.values as NArr;
  const mv = rs1.values as NArr;
  const vv = rs2.values as NArr;
  const sv = scale.values as NArr;
  const [sumDy, sumDyXc] = gradientSums(dyv, xv, v, mv);
  const sumDyXhat = new Float64Array(C);
  // dx = k (dy - mean(dy) - (x - mean) inv mean(dy xhat)) when training, k dy with the given statistics (k = scale inv).
  const a = new Float64Array(C);
  const b = new Float64Array(C);
  const d = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(vv[c] + eps);
    sumDyXhat[c] = sumDyXc[c] * inv;
    a[c] = sv[c] * inv;
    if (training) {
      b[c] = -a[c] * inv * (sumDyXhat[c] / cnt);
      d[c] = -a[c] * (sumDy[c] / cnt);
    }
  }
  // Either loop writes every element.
  const dx = allocOutput(x.dtype, xv.length) as NArr;
  if (training) gradientAffine(dyv, xv, dx, v, mv, a, b, d);
  else channelAffine(dyv, dx, v, a, d);
  return [out(x.dtype, x.shape, dx), typed(u, sumDyXhat, [C]), typed(u, sumDy, [C]), out(u, [0], alloc(u, 0)), out(u, [0], alloc(u, 0))];
}

// ---------------------------------------------------------------- LRN

interface LrnParams {
  r: number;
  bias: number;
  alpha: number;
  beta: number;
}
function lrnParams(attrs: Attrs): LrnParams {
  return {
    r: attrs.depth_radius as number,
    bias: attrs.bias as number,
    alpha: attrs.alpha as number,
    beta: attrs.beta as number,
  };
}

/** norm[i] = bias + alpha * sum of x^2 over the depth window of i, for one pixel's D channels at base. */
function lrnNorms(x: NArr, base: number, D: number, p: LrnParams, norm: Float64Array): void {
  for (let d = 0; d < D; d++) {
    const lo = Math.max(0, d - p.r);
    const hi = Math.min(D - 1, d + p.r);
    let s = 0;
    for (let j = lo; j <= hi; j++) {
      const v = x[base + j];
      s += v * v;
    }
    norm[d] = p.bias + p.alpha * s;
  }
}

function lrn(x: CpuTensor, attrs: Attrs): CpuTensor {
  const p = lrnParams(attrs);
  const D = x.shape[x.shape.length - 1];
  const xv = x.values as NArr;
  const o = alloc(x.dtype, xv.length);
  const norm = new Float64Array(D);
  for (let base = 0; base < xv.length; base += D) {
    lrnNorms(xv, base, D, p, norm);
    for (let d = 0; d < D; d++) o[base + d] = xv[base + d] * norm[d] ** -p.beta;
  }
  return out(x.dtype, x.shape, o);
}

/** d/dx of x_i * N_i^-beta: dy_j N_j^-beta - 2 alpha beta x_j sum over windows i containing j of dy_i x_i N_i^(-beta-1). */
function lrnGrad(dy: CpuTensor, x: CpuTensor, attrs: Attrs): CpuTensor {
  const p = lrnParams(attrs);
  const D = x.shape[x.shape.length - 1];
  const xv = x.values as NArr;
  const gv = dy.values as NArr;
  const o = alloc(x.dtype, xv.length);
  const norm = new Float64Array(D);
  const t = new Float64Array(D);
  for (let base = 0; base < xv.length; base += D) {
    lrnNorms(xv, base, D, p, norm);
    for (let i = 0; i < D; i++) t[i] = gv[base + i] * xv[base + i] * norm[i] ** (-p.beta - 1);
    for (let j = 0; j < D; j++) {
      const lo = Math.max(0, j - p.r);
      const hi = Math.min(D - 1, j + p.r);
      let s = 0;
      for (let i = lo; i <= hi; i++) s += t[i];
      o[base + j] = gv[base + j] * norm[j] ** -p.beta - 2 * p.alpha * p.beta * xv[base + j] * s;
    }
  }
  return out(x.dtype, x.shape, o);
}

export const normKernels: KernelTable = {
  BiasAdd: ([x, b], attrs) => [biasAdd(x, b, attrs)],
  BiasAddGrad: ([dy], attrs) => [biasAddGrad(dy, attrs)],
  FusedBatchNormV3: (inputs, attrs) => fusedBatchNorm(inputs, attrs),
  FusedBatchNormGradV3: (inputs, attrs) => fusedBatchNormGrad(inputs, attrs),
  LRN: ([x], attrs) => [lrn(x, attrs)],
  LRNGrad: ([dy, x], attrs) => [lrnGrad(dy, x, attrs)],
};
