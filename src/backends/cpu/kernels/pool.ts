import type { Attrs } from "../../backend.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { sizeOf } from "../../../core/shape.js";
import { CpuTensor, KernelTable, out } from "../kernel.js";
import { ints } from "./util.js";
import { alloc, attrList, formatShape, isChannelsFirst, NArr, splitShape, toChannelsFirst, toChannelsLast, Win, windows } from "./conv_util.js";

/**
 * Max and average pooling, 2-D and 3-D, on channels-last data. A 2-D pool is a 3-D pool of depth 1, so one
 * loop nest serves MaxPool, MaxPool3D, their average twins and all the gradients. As in TensorFlow, average
 * pooling divides by the number of in-bounds elements (SAME padding is not counted), and a max pool's
 * gradient goes to the first maximum of its window in scan order.
 */
interface PoolGeom {
  n: number; c: number;
  inD: number; inH: number; inW: number;
  outD: number; outH: number; outW: number;
  kD: number; kH: number; kW: number;
  sD: number; sH: number; sW: number;
  padF: number; padT: number; padL: number;
}

const UNIT: Win = { in: 1, k: 1, s: 1, d: 1, out: 1, pad: 0 };

function poolGeom(shape: readonly number[], attrs: Attrs, cf: boolean): PoolGeom {
  const { n, c } = splitShape(shape, cf);
  const ws = windows(shape, attrList(attrs, "ksize", shape.length, 1), attrs, cf, true);
  const [wd, wh, ww] = ws.length === 3 ? ws : [UNIT, ...ws];
  return {
    n, c, inD: wd.in, inH: wh.in, inW: ww.in, outD: wd.out, outH: wh.out, outW: ww.out,
    kD: wd.k, kH: wh.k, kW: ww.k, sD: wd.s, sH: wh.s, sW: ww.s, padF: wd.pad, padT: wh.pad, padL: ww.pad,
  };
}

function outSpatial(g: PoolGeom, rank: number): number[] {
  return rank === 5 ? [g.outD, g.outH, g.outW] : [g.outH, g.outW];
}

/**
 * For every output window, the flat channels-last input index of the first maximum of each channel,
 * written to arg (length = output size); values to o when given.
 */
function maxPoolArg(x: NArr, g: PoolGeom, arg: Int32Array, o: NArr | null): void {
  const { n, c: C, inD, inH, inW, outD, outH, outW, kD, kH, kW, sD, sH, sW, padF, padT, padL } = g;
  const best = new Float64Array(C);
  let ob = 0;
  for (let b = 0; b < n; b++) {
    for (let od = 0; od < outD; od++) {
      const d0 = Math.max(od * sD - padF, 0);
      const d1 = Math.min(od * sD - padF + kD, inD);
      for (let oh = 0; oh < outH; oh++) {
        const h0 = Math.max(oh * sH - padT, 0);
        const h1 = Math.min(oh * sH - padT + kH, inH);
        for (let ow = 0; ow < outW; ow++, ob += C) {
          const w0 = Math.max(ow * sW - padL, 0);
          const w1 = Math.min(ow * sW - padL + kW, inW);
          for (let ch = 0; ch < C; ch++) arg[ob + ch] = -1;
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              let ib = (((b * inD + d) * inH + h) * inW + w0) * C;
              for (let w = w0; w < w1; w++, ib += C) {
                for (let ch = 0; ch < C; ch++) {
                  const v = x[ib + ch];
                  if (v > best[ch] || arg[ob + ch] < 0) {
                    best[ch] = v;
                    arg[ob + ch] = ib + ch;
                  }
                }
              }
            }
          }
          if (o) for (let ch = 0; ch < C; ch++) o[ob + ch] = best[ch];
        }
      }
    }
  }
}

const enum AvgMode { Forward, Backward }

/** Average pooling (a = x, o = output) or its gradient (a = dy, o = dx, accumulated). */
function avgPool(mode: AvgMode, a: NArr, g: PoolGeom, o: NArr): void {
  const { n, c: C, inD, inH, inW, outD, outH, outW, kD, kH, kW, sD, sH, sW, padF, padT, padL } = g;
  const acc = new Float64Array(C);
  let ob = 0;
  for (let b = 0; b < n; b++) {
    for (let od = 0; od < outD; od++) {
      const d0 = Math.max(od * sD - padF, 0);
      const d1 = Math.min(od * sD - padF + kD, inD);
      for (let oh = 0; oh < outH; oh++) {
        const h0 = Math.max(oh * sH - padT, 0);
        const h1 = Math.min(oh * sH - padT + kH, inH);
        for (let ow = 0; ow < outW; ow++, ob += C) {
          const w0 = Math.max(ow * sW - padL, 0);
          const w1 = Math.min(ow * sW - padL + kW, inW);
          const count = (d1 - d0) * (h1 - h0) * (w1 - w0);
          if (mode === AvgMode.Forward) acc.fill(0);
          else for (let ch = 0; ch < C; ch++) acc[ch] = a[ob + ch] / count;
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              let ib = (((b * inD + d) * inH + h) * inW + w0) * C;
              for (let w = w0; w < w1; w++, ib += C) {
                if (mode === AvgMode.Forward) for (let ch = 0; ch < C; ch++) acc[ch] += a[ib + ch];
                else for (let ch = 0; ch < C; ch++) o[ib + ch] += acc[ch];
              }
            }
          }
          if (mode === AvgMode.Forward) for (let ch = 0; ch < C; ch++) o[ob + ch] = acc[ch] / count;
        }
      }
    }
  }
}

function outSize(g: PoolGeom): number {
  return g.n * g.outD * g.outH * g.outW * g.c;
}
function inSize(g: PoolGeom): number {
  return g.n * g.inD * g.inH * g.inW * g.c;
}

interface Layout {
  cf: boolean;
  g: PoolGeom;
  rank: number;
  /** Input-shaped values to channels-last. */
  inLast(v: NArr): NArr;
  outLast(v: NArr): NArr;
  inBack(v: NArr): NArr;
  outBack(v: NArr): NArr;
}

function layout(shape: readonly number[], attrs: Attrs): Layout {
  const cf = isChannelsFirst(attrs.data_format);
  const g = poolGeom(shape, attrs, cf);
  const si = g.inD * g.inH * g.inW;
  const so = g.outD * g.outH * g.outW;
  return {
    cf, g, rank: shape.length,
    inLast: (v) => (cf ? toChannelsLast(v, g.n, g.c, si) : v),
    outLast: (v) => (cf ? toChannelsLast(v, g.n, g.c, so) : v),
    inBack: (v) => (cf ? toChannelsFirst(v, g.n, g.c, si) : v),
    outBack: (v) => (cf ? toChannelsFirst(v, g.n, g.c, so) : v),
  };
}

function checkGrad(op: string, grad: CpuTensor, want: readonly number[]): void {
  if (grad.shape.length !== want.length || grad.shape.some((d, i) => d !== want[i])) {
    throw new InvalidArgumentError(`${op}: gradient shape [${grad.shape}] does not match the pool's output shape [${want}]`);
  }
}

function poolKernels(max: string, avg: string): KernelTable {
  return {
    [max]: ([x], attrs) => {
      const L = layout(x.shape, attrs);
      const o = alloc(x.dtype, outSize(L.g));
      maxPoolArg(L.inLast(x.values as NArr), L.g, new Int32Array(o.length), o);
      return [out(x.dtype, formatShape(L.g.n, outSpatial(L.g, L.rank), L.g.c, L.cf), L.outBack(o))];
    },
    [`${max}Grad`]: ([x, , dy], attrs) => {
      const L = layout(x.shape, attrs);
      checkGrad(`${max}Grad`, dy, formatShape(L.g.n, outSpatial(L.g, L.rank), L.g.c, L.cf));
      const arg = new Int32Array(outSize(L.g));
      maxPoolArg(L.inLast(x.values as NArr), L.g, arg, null);
      const dyv = L.outLast(dy.values as NArr);
      const dx = alloc(dy.dtype, inSize(L.g));
      for (let i = 0; i < arg.length; i++) dx[arg[i]] += dyv[i];
      return [out(dy.dtype, x.shape, L.inBack(dx))];
    },
    [`${max}GradGrad`]: ([x, , ddx], attrs) => {
      const L = layout(x.shape, attrs);
      const arg = new Int32Array(outSize(L.g));
      maxPoolArg(L.inLast(x.values as NArr), L.g, arg, null);
      const v = L.inLast(ddx.values as NArr);
      const o = alloc(ddx.dtype, arg.length);
      for (let i = 0; i < arg.length; i++) o[i] = v[arg[i]];
      return [out(ddx.dtype, formatShape(L.g.n, outSpatial(L.g, L.rank), L.g.c, L.cf), L.outBack(o))];
    },
    [avg]: ([x], attrs) => {
      const L = layout(x.shape, attrs);
      const o = alloc(x.dtype, outSize(L.g));
      avgPool(AvgMode.Forward, L.inLast(x.values as NArr), L.g, o);
      return [out(x.dtype, formatShape(L.g.n, outSpatial(L.g, L.rank), L.g.c, L.cf), L.outBack(o))];
    },
    [`${avg}Grad`]: ([s, dy], attrs) => {
      const shape = ints(s.values);
      const L = layout(shape, attrs);
      checkGrad(`${avg}Grad`, dy, formatShape(L.g.n, outSpatial(L.g, L.rank), L.g.c, L.cf));
      const dx = alloc(dy.dtype, inSize(L.g));
      avgPool(AvgMode.Backward, L.outLast(dy.values as NArr), L.g, dx);
      return [out(dy.dtype, shape, L.inBack(dx))];
    },
  };
}

/** MaxPoolWithArgmax's index: ((b*H + y)*W + x)*C + c, without the batch term unless include_batch_in_index. */
function withArgmaxKernels(): KernelTable {
  return {
    MaxPoolWithArgmax: ([x], attrs) => {
      const L = layout(x.shape, { ...attrs, data_format: "NHWC" });
      const o = alloc(x.dtype, outSize(L.g));
      const arg = new Int32Array(o.length);
      maxPoolArg(x.values as NArr, L.g, arg, o);
      const withBatch = Boolean(attrs.include_batch_in_index);
      const perImageIn = L.g.inH * L.g.inW * L.g.c;
      const perImageOut = L.g.outH * L.g.outW * L.g.c;
      const a64 = new BigInt64Array(arg.length);
      for (let i = 0; i < arg.length; i++) {
        a64[i] = BigInt(withBatch ? arg[i] : arg[i] - Math.floor(i / perImageOut) * perImageIn);
      }
      const shape = [L.g.n, L.g.outH, L.g.outW, L.g.c];
      return [out(x.dtype, shape, o), out("int64", shape, a64)];
    },
    MaxPoolGradWithArgmax: ([x, dy, arg], attrs) => {
      const withBatch = Boolean(attrs.include_batch_in_index);
      const n = x.shape[0];
      const perImageIn = sizeOf(x.shape) / Math.max(n, 1);
      const perImageOut = sizeOf(dy.shape) / Math.max(n, 1);
      const dx = alloc(dy.dtype, sizeOf(x.shape));
      const dyv = dy.values as NArr;
      const av = arg.values as BigInt64Array;
      for (let i = 0; i < dyv.length; i++) {
        const idx = Number(av[i]) + (withBatch ? 0 : Math.floor(i / perImageOut) * perImageIn);
        if (idx < 0 || idx >= dx.length) throw new InvalidArgumentError(`MaxPoolGradWithArgmax: argmax ${Number(av[i])} is out of range for input shape [${x.shape}]`);
        dx[idx] += dyv[i];
      }
      return [out(dy.dtype, x.shape, dx)];
    },
  };
}

export const poolKernelTable: KernelTable = {
  ...poolKernels("MaxPool", "AvgPool"),
  ...poolKernels("MaxPool3D", "AvgPool3D"),
  ...withArgmaxKernels(),
  /** MaxPoolGradWithArgmax's gradient wrt grad: picks the argmax entries of a gradient shaped like the input. */
  MaxPoolGradGradWithArgmax: ([x, ddx, arg], attrs) => {
    const withBatch = Boolean(attrs.include_batch_in_index);
    const n = x.shape[0];
    const av = arg.values as BigInt64Array;
    const perImageIn = sizeOf(x.shape) / Math.max(n, 1);
    const perImageOut = av.length / Math.max(n, 1);
    const v = ddx.values as NArr;
    const o = alloc(ddx.dtype, av.length);
    for (let i = 0; i < av.length; i++) o[i] = v[Number(av[i]) + (withBatch ? 0 : Math.floor(i / perImageOut) * perImageIn)];
    return [out(ddx.dtype, arg.shape, o)];
  },
};
