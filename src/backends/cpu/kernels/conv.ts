import type { Attrs } from "../../backend.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { gemm } from "../gemm.js";
import { CpuTensor, KernelTable, out } from "../kernel.js";
import { ints } from "./util.js";
import { alloc, FArr, formatShape, isChannelsFirst, splitShape, toChannelsFirst, toChannelsLast, windows } from "./conv_util.js";

/**
 * Convolutions on the CPU. Data is processed channels-last ([N, H, W, C]; NCHW is transposed in and out).
 * Conv2D and its two backprops are im2col + gemm(): the patches of a block of output positions form a
 * [rows, kH*kW*inC] matrix that multiplies the filter viewed as [kH*kW*inC, outC], so every multiply-add
 * runs in the one gemm entry point. Depthwise convolutions have no matrix product and are direct loops.
 */

/** Geometry of a 2-D convolution, channels-last. */
interface ConvGeom {
  n: number; inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  kH: number; kW: number; sH: number; sW: number; dH: number; dW: number;
  padT: number; padL: number;
}

function convGeom(inShape: readonly number[], filterShape: readonly number[], outC: number, attrs: Attrs, cf: boolean): ConvGeom {
  const { n, c, spatial } = splitShape(inShape, cf);
  const [wh, ww] = windows(inShape, [filterShape[0], filterShape[1]], attrs, cf, false);
  return {
    n, inH: spatial[0], inW: spatial[1], inC: c, outH: wh.out, outW: ww.out, outC,
    kH: wh.k, kW: ww.k, sH: wh.s, sW: ww.s, dH: wh.d, dW: ww.d, padT: wh.pad, padL: ww.pad,
  };
}

/** Elements of patch matrix built at a time: bounds im2col's memory whatever the batch. */
const CHUNK_ELEMS = 1 << 21;

function chunkRows(m: number, k: number): number {
  return Math.max(1, Math.min(m, Math.floor(CHUNK_ELEMS / Math.max(k, 1))));
}

function isPointwise(g: ConvGeom): boolean {
  return g.kH === 1 && g.kW === 1 && g.sH === 1 && g.sW === 1 && g.padT === 0 && g.padL === 0 && g.outH === g.inH && g.outW === g.inW;
}

function like(x: FArr, n: number): FArr {
  return x instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

/** Rows r0..r0+rows of the patch matrix (row = output position (b, oh, ow), column = (kh, kw, c)). */
function im2col(x: FArr, g: ConvGeom, r0: number, rows: number, cols: FArr): void {
  const { inH, inW, inC, outH, outW, kH, kW, sH, sW, dH, dW, padT, padL } = g;
  const K = kH * kW * inC;
  const hw = outH * outW;
  let b = Math.floor(r0 / hw);
  const rem = r0 - b * hw;
  let oh = Math.floor(rem / outW);
  let ow = rem - oh * outW;
  const rowLen = kW * inC;
  const contiguous = dW === 1;
  for (let r = 0; r < rows; r++) {
    let p = r * K;
    const ih0 = oh * sH - padT;
    const iw0 = ow * sW - padL;
    const img = b * inH * inW * inC;
    const inside = iw0 >= 0 && iw0 + (kW - 1) * dW < inW;
    for (let kh = 0; kh < kH; kh++) {
      const ih = ih0 + kh * dH;
      if (ih < 0 || ih >= inH) {
        cols.fill(0, p, p + rowLen);
        p += rowLen;
        continue;
      }
      const rowBase = img + ih * inW * inC;
      if (contiguous && inside) {
        // The whole row of taps is one run of the input: copy it in one go.
        const src = rowBase + iw0 * inC;
        if (rowLen >= 64) cols.set(x.subarray(src, src + rowLen), p);
        else for (let t = 0; t < rowLen; t++) cols[p + t] = x[src + t];
        p += rowLen;
        continue;
      }
      for (let kw = 0; kw < kW; kw++) {
        const iw = iw0 + kw * dW;
        if (iw < 0 || iw >= inW) {
          for (let c = 0; c < inC; c++) cols[p + c] = 0;
        } else {
          const src = rowBase + iw * inC;
          for (let c = 0; c < inC; c++) cols[p + c] = x[src + c];
        }
        p += inC;
      }
    }
    if (++ow === outW) {
      ow = 0;
      if (++oh === outH) {
        oh = 0;
        b++;
      }
    }
  }
}

/** The adjoint of im2col: adds each patch row back onto the image positions it was read from. */
function col2im(cols: FArr, g: ConvGeom, r0: number, rows: number, dx: FArr): void {
  const { inH, inW, inC, outH, outW, kH, kW, sH, sW, dH, dW, padT, padL } = g;
  const K = kH * kW * inC;
  const hw = outH * outW;
  let b = Math.floor(r0 / hw);
  const rem = r0 - b * hw;
  let oh = Math.floor(rem / outW);
  let ow = rem - oh * outW;
  const rowLen = kW * inC;
  const contiguous = dW === 1;
  for (let r = 0; r < rows; r++) {
    let p = r * K;
    const ih0 = oh * sH - padT;
    const iw0 = ow * sW - padL;
    const img = b * inH * inW * inC;
    const inside = iw0 >= 0 && iw0 + (kW - 1) * dW < inW;
    for (let kh = 0; kh < kH; kh++) {
      const ih = ih0 + kh * dH;
      if (ih < 0 || ih >= inH) {
        p += rowLen;
        continue;
      }
      const rowBase = img + ih * inW * inC;
      if (contiguous && inside) {
        const dst = rowBase + iw0 * inC;
        for (let t = 0; t < rowLen; t++) dx[dst + t] += cols[p + t];
        p += rowLen;
        continue;
      }
      for (let kw = 0; kw < kW; kw++) {
        const iw = iw0 + kw * dW;
        if (iw >= 0 && iw < inW) {
          const dst = rowBase + iw * inC;
          for (let c = 0; c < inC; c++) dx[dst + c] += cols[p + c];
        }
        p += inC;
      }
    }
    if (++ow === outW) {
      ow = 0;
      if (++oh === outH) {
        oh = 0;
        b++;
      }
    }
  }
}

function conv2dForward(x: FArr, f: FArr, g: ConvGeom, o: FArr): void {
  const K = g.kH * g.kW * g.inC;
  const M = g.n * g.outH * g.outW;
  if (M === 0 || g.outC === 0) return;
  if (isPointwise(g)) {
    gemm({ transA: false, transB: false, m: M, n: g.outC, k: K, a: x, b: f, c: o });
    return;
  }
  const chunk = chunkRows(M, K);
  const cols = like(x, chunk * K);
  for (let r0 = 0; r0 < M; r0 += chunk) {
    const rows = Math.min(chunk, M - r0);
    im2col(x, g, r0, rows, cols);
    gemm({ transA: false, transB: false, m: rows, n: g.outC, k: K, a: cols, b: f, c: o, cOffset: r0 * g.outC });
  }
}

function conv2dBackpropInput(dy: FArr, f: FArr, g: ConvGeom, dx: FArr): void {
  const K = g.kH * g.kW * g.inC;
  const M = g.n * g.outH * g.outW;
  if (M === 0 || K === 0) return;
  if (isPointwise(g)) {
    gemm({ transA: false, transB: true, m: M, n: K, k: g.outC, a: dy, b: f, c: dx });
    return;
  }
  const chunk = chunkRows(M, K);
  const cols = like(dy, chunk * K);
  for (let r0 = 0; r0 < M; r0 += chunk) {
    const rows = Math.min(chunk, M - r0);
    gemm({ transA: false, transB: true, m: rows, n: K, k: g.outC, a: dy, aOffset: r0 * g.outC, b: f, c: cols });
    col2im(cols, g, r0, rows, dx);
  }
}

function conv2dBackpropFilter(x: FArr, dy: FArr, g: ConvGeom, df: FArr): void {
  const K = g.kH * g.kW * g.inC;
  const M = g.n * g.outH * g.outW;
  if (M === 0 || K === 0 || g.outC === 0) return;
  if (isPointwise(g)) {
    gemm({ transA: true, transB: false, m: K, n: g.outC, k: M, a: x, b: dy, c: df });
    return;
  }
  const chunk = chunkRows(M, K);
  const cols = like(x, chunk * K);
  for (let r0 = 0; r0 < M; r0 += chunk) {
    const rows = Math.min(chunk, M - r0);
    im2col(x, g, r0, rows, cols);
    gemm({ transA: true, transB: false, m: K, n: g.outC, k: rows, a: cols, b: dy, bOffset: r0 * g.outC, c: df, beta: r0 === 0 ? 0 : 1 });
  }
}

// ---------------------------------------------------------------- depthwise

/** Depthwise geometry: the filter is [kH, kW, C, M] and the output has C*M channels. */
function depthwiseGeom(inShape: readonly number[], filterShape: readonly number[], attrs: Attrs, cf: boolean): ConvGeom & { mult: number } {
  const g = convGeom(inShape, filterShape, filterShape[2] * filterShape[3], attrs, cf);
  return { ...g, mult: filterShape[3] };
}

const enum DwMode { Forward, BackInput, BackFilter }

/**
 * One loop nest for the three depthwise computations over every in-bounds (output position, tap) pair:
 * a = x or dy (by mode), b = filter or dy, o = the array written. The mode is loop-invariant, so the
 * branch costs nothing and there is no call per element.
 */
function depthwise(mode: DwMode, a: FArr, b: FArr, g: ConvGeom & { mult: number }, o: FArr): void {
  const { n, inH, inW, inC, outH, outW, outC, kH, kW, sH, sW, dH, dW, padT, padL, mult: M } = g;
  for (let bi = 0; bi < n; bi++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const ob = ((bi * outH + oh) * outW + ow) * outC;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * sH - padT + kh * dH;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * sW - padL + kw * dW;
            if (iw < 0 || iw >= inW) continue;
            const ib = ((bi * inH + ih) * inW + iw) * inC;
            const fb = (kh * kW + kw) * outC;
            if (mode === DwMode.Forward) {
              // a = x, b = filter, o = output
              for (let c = 0; c < inC; c++) {
                const xv = a[ib + c];
                const j = c * M;
                for (let m = 0; m < M; m++) o[ob + j + m] += xv * b[fb + j + m];
              }
            } else if (mode === DwMode.BackInput) {
              // a = dy, b = filter, o = dx
              for (let c = 0; c < inC; c++) {
                const j = c * M;
                let s = 0;
                for (let m = 0; m < M; m++) s += a[ob + j + m] * b[fb + j + m];
                o[ib + c] += s;
              }
            } else {
              // a = x, b = dy, o = dfilter
              for (let c = 0; c < inC; c++) {
                const xv = a[ib + c];
                const j = c * M;
                for (let m = 0; m < M; m++) o[fb + j + m] += xv * b[ob + j + m];
              }
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------- kernels

function checkOutBackprop(op: string, dy: CpuTensor, g: ConvGeom, cf: boolean): void {
  const want = formatShape(g.n, [g.outH, g.outW], g.outC, cf);
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== want[i])) {
    throw new InvalidArgumentError(`${op}: Size of out_backprop doesn't match computed: actual = [${dy.shape}], computed = [${want}]`);
  }
}

function lastToFormat(v: FArr, g: ConvGeom, cf: boolean, which: "in" | "out"): FArr {
  if (!cf) return v;
  return which === "in" ? toChannelsFirst(v, g.n, g.inC, g.inH * g.inW) : toChannelsFirst(v, g.n, g.outC, g.outH * g.outW);
}

type Geom = ConvGeom & { mult?: number };
interface ConvFamily {
  geom(inShape: readonly number[], filterShape: readonly number[], attrs: Attrs, cf: boolean): Geom;
  forward(x: FArr, f: FArr, g: Geom, o: FArr): void;
  backInput(dy: FArr, f: FArr, g: Geom, dx: FArr): void;
  backFilter(x: FArr, dy: FArr, g: Geom, df: FArr): void;
}

function convKernels(fwd: string, family: ConvFamily): KernelTable {
  return {
    [fwd]: ([x, f], attrs) => {
      const cf = isChannelsFirst(attrs.data_format);
      const g = family.geom(x.shape, f.shape, attrs, cf);
      const xv = cf ? toChannelsLast(x.values as FArr, g.n, g.inC, g.inH * g.inW) : (x.values as FArr);
      const o = alloc(x.dtype, g.n * g.outH * g.outW * g.outC) as FArr;
      family.forward(xv, f.values as FArr, g, o);
      return [out(x.dtype, formatShape(g.n, [g.outH, g.outW], g.outC, cf), lastToFormat(o, g, cf, "out"))];
    },
    [`${fwd}BackpropInput`]: ([sizes, f, dy], attrs) => {
      const cf = isChannelsFirst(attrs.data_format);
      const inShape = ints(sizes.values);
      const g = family.geom(inShape, f.shape, attrs, cf);
      checkOutBackprop(`${fwd}BackpropInput`, dy, g, cf);
      const dyv = cf ? toChannelsLast(dy.values as FArr, g.n, g.outC, g.outH * g.outW) : (dy.values as FArr);
      const dx = alloc(dy.dtype, g.n * g.inH * g.inW * g.inC) as FArr;
      family.backInput(dyv, f.values as FArr, g, dx);
      return [out(dy.dtype, inShape, lastToFormat(dx, g, cf, "in"))];
    },
    [`${fwd}BackpropFilter`]: ([x, sizes, dy], attrs) => {
      const cf = isChannelsFirst(attrs.data_format);
      const fShape = ints(sizes.values);
      const g = family.geom(x.shape, fShape, attrs, cf);
      checkOutBackprop(`${fwd}BackpropFilter`, dy, g, cf);
      const xv = cf ? toChannelsLast(x.values as FArr, g.n, g.inC, g.inH * g.inW) : (x.values as FArr);
      const dyv = cf ? toChannelsLast(dy.values as FArr, g.n, g.outC, g.outH * g.outW) : (dy.values as FArr);
      const df = alloc(dy.dtype, fShape.reduce((p, d) => p * d, 1)) as FArr;
      family.backFilter(xv, dyv, g, df);
      return [out(dy.dtype, fShape, df)];
    },
  };
}

export const convKernelTable: KernelTable = {
  ...convKernels("Conv2D", {
    geom: (s, f, a, cf) => convGeom(s, f, f[3], a, cf),
    forward: conv2dForward,
    backInput: conv2dBackpropInput,
    backFilter: conv2dBackpropFilter,
  }),
  ...convKernels("DepthwiseConv2dNative", {
    geom: depthwiseGeom,
    forward: (x, f, g, o) => depthwise(DwMode.Forward, x, f, g as ConvGeom & { mult: number }, o),
    backInput: (dy, f, g, dx) => depthwise(DwMode.BackInput, dy, f, g as ConvGeom & { mult: number }, dx),
    backFilter: (x, dy, g, df) => depthwise(DwMode.BackFilter, x, dy, g as ConvGeom & { mult: number }, df),
  }),
};
