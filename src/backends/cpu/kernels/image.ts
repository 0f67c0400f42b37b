import type { Attrs } from "../../../core/schema/types.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { CpuTensor, KernelTable, out } from "../kernel.js";
import { ints } from "./util.js";
import { alloc, NArr } from "./layout.js";

/** Image resizing on the CPU (bilinear and nearest-neighbour, with their gradients), channels-last. */

/** TensorFlow computes resize coordinates in float32; Math.fround keeps the same rounding. */
function resizeScale(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : Math.fround(inSize / outSize);
}

interface Lerp {
  lo: Int32Array;
  hi: Int32Array;
  w: Float64Array;
}

/** Bilinear source indices and weights for each output coordinate (compute_interpolation_weights). */
function bilinearWeights(outSize: number, inSize: number, scale: number, halfPixel: boolean): Lerp {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const w = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const src = halfPixel ? Math.fround(Math.fround((i + 0.5) * scale) - 0.5) : Math.fround(i * scale);
    const f = Math.floor(src);
    lo[i] = Math.max(f, 0);
    hi[i] = Math.min(Math.ceil(src), inSize - 1);
    w[i] = Math.fround(src - f);
  }
  return { lo, hi, w };
}

/** Nearest source index for each output coordinate, as TensorFlow's ResizeNearestNeighbor picks it. */
function nearestIndex(outSize: number, inSize: number, scale: number, align: boolean, halfPixel: boolean): Int32Array {
  const idx = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const src = halfPixel ? Math.fround((i + 0.5) * scale) : Math.fround(i * scale);
    let j = Math.min(align ? Math.round(src) : Math.floor(src), inSize - 1);
    if (halfPixel) j = Math.max(0, j);
    idx[i] = j;
  }
  return idx;
}

interface ResizeGeom {
  n: number;
  inH: number;
  inW: number;
  c: number;
  outH: number;
  outW: number;
  align: boolean;
  half: boolean;
}

function resizeGeom(op: string, imgShape: readonly number[], size: readonly number[], attrs: Attrs): ResizeGeom {
  const [n, inH, inW, c] = imgShape;
  const [outH, outW] = size;
  if (!(outH > 0 && outW > 0)) throw new InvalidArgumentError(`${op}: output dimensions must be positive, got [${size}]`);
  return { n, inH, inW, c, outH, outW, align: Boolean(attrs.align_corners), half: Boolean(attrs.half_pixel_centers) };
}

function resizeBilinear(x: CpuTensor, size: readonly number[], attrs: Attrs): CpuTensor {
  const g = resizeGeom("ResizeBilinear", x.shape, size, attrs);
  const { n, inH, inW, c: C, outH, outW } = g;
  // An empty result may still have a side of 2^31 - 1: no weights and no loop over it.
  if (n * outH * outW * C === 0) return out("float32", [n, outH, outW, C], new Float32Array(0));
  const ys = bilinearWeights(outH, inH, resizeScale(inH, outH, g.align), g.half);
  const xs = bilinearWeights(outW, inW, resizeScale(inW, outW, g.align), g.half);
  const xv = x.values as NArr;
  const o = new Float32Array(n * outH * outW * C);
  let p = 0;
  for (let b = 0; b < n; b++) {
    const img = b * inH * inW * C;
    for (let y = 0; y < outH; y++) {
      const top = img + ys.lo[y] * inW * C;
      const bot = img + ys.hi[y] * inW * C;
      const yl = ys.w[y];
      for (let xi = 0; xi < outW; xi++) {
        const l = xs.lo[xi] * C;
        const r = xs.hi[xi] * C;
        const xl = xs.w[xi];
        for (let ch = 0; ch < C; ch++, p++) {
          const tl = xv[top + l + ch];
          const tr = xv[top + r + ch];
          const bl = xv[bot + l + ch];
          const br = xv[bot + r + ch];
          const t = tl + (tr - tl) * xl;
          const bo = bl + (br - bl) * xl;
          o[p] = t + (bo - t) * yl;
        }
      }
    }
  }
  return out("float32", [n, outH, outW, C], o);
}

function resizeBilinearGrad(dy: CpuTensor, orig: CpuTensor, attrs: Attrs): CpuTensor {
  const [n, outH, outW, C] = dy.shape;
  const [, inH, inW] = orig.shape;
  const align = Boolean(attrs.align_corners);
  const half = Boolean(attrs.half_pixel_centers);
  if (dy.values.length === 0) return out(orig.dtype, orig.shape, alloc(orig.dtype, n * inH * inW * C));
  const ys = bilinearWeights(outH, inH, resizeScale(inH, outH, align), half);
  const xs = bilinearWeights(outW, inW, resizeScale(inW, outW, align), half);
  const gv = dy.values as NArr;
  const dx = alloc(orig.dtype, n * inH * inW * C);
  let p = 0;
  for (let b = 0; b < n; b++) {
    const img = b * inH * inW * C;
    for (let y = 0; y < outH; y++) {
      const top = img + ys.lo[y] * inW * C;
      const bot = img + ys.hi[y] * inW * C;
      const yl = ys.w[y];
      for (let xi = 0; xi < outW; xi++) {
        const l = xs.lo[xi] * C;
        const r = xs.hi[xi] * C;
        const xl = xs.w[xi];
        for (let ch = 0; ch < C; ch++, p++) {
          const g = gv[p];
          dx[top + l + ch] += g * (1 - yl) * (1 - xl);
          dx[top + r + ch] += g * (1 - yl) * xl;
          dx[bot + l + ch] += g * yl * (1 - xl);
          dx[bot + r + ch] += g * yl * xl;
        }
      }
    }
  }
  return out(orig.dtype, orig.shape, dx);
}

/** Nearest-neighbour resize (forward) or its gradient (scatter-add of grads onto the source pixels). */
function resizeNearest(op: string, v: CpuTensor, small: readonly number[], big: readonly number[], attrs: Attrs, grad: boolean): CpuTensor {
  const align = Boolean(attrs.align_corners);
  const half = Boolean(attrs.half_pixel_centers);
  const [n, , , C] = v.shape;
  // small = the source image's [H, W]; big = the resized [H, W].
  const [inH, inW] = small;
  const [outH, outW] = big;
  if (!(outH > 0 && outW > 0)) throw new InvalidArgumentError(`${op}: output dimensions must be positive, got [${big}]`);
  const shape = grad ? [n, inH, inW, C] : [n, outH, outW, C];
  // Nothing to read or write (a side may still be 2^31 - 1): no indices and no loop over them.
  if (n * outH * outW * C === 0) return out(v.dtype, shape, alloc(v.dtype, grad ? n * inH * inW * C : 0));
  const yi = nearestIndex(outH, inH, resizeScale(inH, outH, align), align, half);
  const xi = nearestIndex(outW, inW, resizeScale(inW, outW, align), align, half);
  const vv = v.values as NArr;
  const o = alloc(v.dtype, n * (grad ? inH * inW : outH * outW) * C);
  let p = 0;
  for (let b = 0; b < n; b++) {
    const img = b * inH * inW * C;
    for (let y = 0; y < outH; y++) {
      const row = img + yi[y] * inW * C;
      for (let x = 0; x < outW; x++) {
        const src = row + xi[x] * C;
        if (grad) for (let ch = 0; ch < C; ch++, p++) o[src + ch] += vv[p];
        else for (let ch = 0; ch < C; ch++, p++) o[p] = vv[src + ch];
      }
    }
  }
  return out(v.dtype, shape, o);
}

export const imageKernels: KernelTable = {
  ResizeBilinear: ([x, s], attrs) => [resizeBilinear(x, ints(s.values), attrs)],
  ResizeBilinearGrad: ([dy, orig], attrs) => [resizeBilinearGrad(dy, orig, attrs)],
  ResizeNearestNeighbor: ([x, s], attrs) => [resizeNearest("ResizeNearestNeighbor", x, [x.shape[1], x.shape[2]], ints(s.values), attrs, false)],
  ResizeNearestNeighborGrad: ([dy, s], attrs) => [resizeNearest("ResizeNearestNeighborGrad", dy, ints(s.values), [dy.shape[1], dy.shape[2]], attrs, true)],
};
