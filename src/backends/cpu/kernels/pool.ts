import type { Attrs } from "../../../core/schema/types.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { sizeOf } from "../../../core/shape.js";
import { CpuKernel, CpuTensor, KernelTable, out } from "../kernel.js";
import { ints } from "./util.js";
import { isChannelsFirst, listAttr, Win, windows } from "../../../core/geometry/window.js";
import { alloc, formatShape, NArr, splitShape, toChannelsFirst, toChannelsLast } from "./layout.js";
import { Pool2x2Geom, tryWasmAvgPoolGrad2x2, tryWasmMaxPoolGrad2x2, tryWasmPool2x2 } from "../wasm/runtime.js";
import type { DType } from "../../../core/dtype.js";
import { hasFloat32Storage } from "../../../core/half.js";

/**
 * Max and average pooling, 2-D and 3-D, on channels-last data. A 2-D pool is a 3-D pool of depth 1, so one
 * loop nest serves MaxPool, MaxPool3D, their average twins and all the gradients. As in TensorFlow, average
 * pooling divides by the number of in-bounds elements (SAME padding is not counted), and a max pool's
 * gradient goes to the first maximum of its window in scan order.
 */
interface PoolGeom {
  n: number;
  c: number;
  inD: number;
  inH: number;
  inW: number;
  outD: number;
  outH: number;
  outW: number;
  kD: number;
  kH: number;
  kW: number;
  sD: number;
  sH: number;
  sW: number;
  padF: number;
  padT: number;
  padL: number;
}

const UNIT: Win = { in: 1, k: 1, s: 1, d: 1, out: 1, pad: 0 };

function poolGeom(shape: readonly number[], attrs: Attrs, cf: boolean): PoolGeom {
  const { n, c } = splitShape(shape, cf);
  const ws = windows(shape, listAttr(attrs, "ksize"), attrs, cf, true);
  const [wd, wh, ww] = ws.length === 3 ? ws : [UNIT, ...ws];
  return {
    n,
    c,
    inD: wd.in,
    inH: wh.in,
    inW: ww.in,
    outD: wd.out,
    outH: wh.out,
    outW: ww.out,
    kD: wd.k,
    kH: wh.k,
    kW: ww.k,
    sD: wd.s,
    sH: wh.s,
    sW: ww.s,
    padF: wd.pad,
    padT: wh.pad,
    padL: ww.pad,
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

// ---------------------------------------------------------------- 2x2 stride 2, every window inside

/**
 * The common CNN pool (2x2 windows, stride 2, no window crossing the border: VALID, or SAME on even sizes)
 * as straight-line loops: per output row, two input row pointers walk forward; no per-element window
 * bounds or index arithmetic. Results equal the general loops exactly (same first-maximum rule, same
 * float64 sum order for the average).
 */
function is2x2(g: PoolGeom): boolean {
  return (
    g.kD === 1 &&
    g.sD === 1 &&
    g.padF === 0 &&
    g.outD === g.inD &&
    g.kH === 2 &&
    g.kW === 2 &&
    g.sH === 2 &&
    g.sW === 2 &&
    g.padT === 0 &&
    g.padL === 0 &&
    2 * g.outH <= g.inH &&
    2 * g.outW <= g.inW
  );
}

/** Max over each 2x2 window; o gets the values. */
function maxPool2x2(x: NArr, g: PoolGeom, o: NArr): void {
  const { c: C, inW, outH, outW } = g;
  const rows = g.n * g.inD;
  const rowIn = inW * C;
  let oi = 0;
  for (let r = 0; r < rows; r++) {
    for (let oh = 0; oh < outH; oh++) {
      let a = (r * g.inH + 2 * oh) * rowIn;
      let b = a + rowIn;
      for (let ow = 0; ow < outW; ow++, a += C, b += C) {
        for (let ch = 0; ch < C; ch++, a++, b++, oi++) {
          // Scan order (h, w): a, a+C, b, b+C; strict > keeps the first maximum.
          let m = x[a];
          const v1 = x[a + C];
          if (v1 > m) m = v1;
          const v2 = x[b];
          if (v2 > m) m = v2;
          const v3 = x[b + C];
          if (v3 > m) m = v3;
          o[oi] = m;
        }
      }
    }
  }
}

/**
 * MaxPoolGrad: dy goes to the first maximum of each window; dx must be zero on entry. y is the pool's
 * output when given (MaxPoolGrad's orig_output): the maximum is then found by equality, 20% faster than
 * recomputing it; a window whose y matches none of its inputs (an inconsistent orig_output, or NaN) falls
 * back to the comparisons, so the result always follows x alone, as in TensorFlow.
 */
function maxPoolGrad2x2(x: NArr, y: NArr | null, g: PoolGeom, dy: NArr, dx: NArr): void {
  const { c: C, inW, outH, outW } = g;
  const rows = g.n * g.inD;
  const rowIn = inW * C;
  let oi = 0;
  for (let r = 0; r < rows; r++) {
    for (let oh = 0; oh < outH; oh++) {
      let a = (r * g.inH + 2 * oh) * rowIn;
      let b = a + rowIn;
      for (let ow = 0; ow < outW; ow++, a += C, b += C) {
        for (let ch = 0; ch < C; ch++, a++, b++, oi++) {
          let at = -1;
          if (y !== null) {
            const m = y[oi];
            at = x[a] === m ? a : x[a + C] === m ? a + C : x[b] === m ? b : x[b + C] === m ? b + C : -1;
          }
          if (at < 0) {
            at = a;
            let m = x[a];
            const v1 = x[a + C];
            if (v1 > m) {
              m = v1;
              at = a + C;
            }
            const v2 = x[b];
            if (v2 > m) {
              m = v2;
              at = b;
            }
            if (x[b + C] > m) at = b + C;
          }
          dx[at] = dy[oi];
        }
      }
    }
  }
}

/** Average over each 2x2 window (float64 sum in scan order, as the general loop). */
function avgPool2x2(x: NArr, g: PoolGeom, o: NArr): void {
  const { c: C, inW, outH, outW } = g;
  const rows = g.n * g.inD;
  const rowIn = inW * C;
  let oi = 0;
  for (let r = 0; r < rows; r++) {
    for (let oh = 0; oh < outH; oh++) {
      let a = (r * g.inH + 2 * oh) * rowIn;
      let b = a + rowIn;
      for (let ow = 0; ow < outW; ow++, a += C, b += C) {
        for (let ch = 0; ch < C; ch++, a++, b++, oi++) o[oi] = (x[a] + x[a + C] + x[b] + x[b + C]) / 4;
      }
    }
  }
}

/** AvgPoolGrad: each input of a window gets a quarter of its gradient; dx must be zero on entry. */
function avgPoolGrad2x2(dy: NArr, g: PoolGeom, dx: NArr): void {
  const { c: C, inW, outH, outW } = g;
  const rows = g.n * g.inD;
  const rowIn = inW * C;
  let oi = 0;
  for (let r = 0; r < rows; r++) {
    for (let oh = 0; oh < outH; oh++) {
      let a = (r * g.inH + 2 * oh) * rowIn;
      let b = a + rowIn;
      for (let ow = 0; ow < outW; ow++, a += C, b += C) {
        for (let ch = 0; ch < C; ch++, a++, b++, oi++) {
          const q = dy[oi] / 4;
          dx[a] = q;
          dx[a + C] = q;
          dx[b] = q;
          dx[b + C] = q;
        }
      }
    }
  }
}

/**
 * float32 2x2 pools through the WebAssembly SIMD kernels (wasm/runtime.ts: same results, same
 * first-maximum rule) where they pay; these return false when the JS loops above should run.
 */
function wasmGeom(g: PoolGeom): Pool2x2Geom {
  return { rows: g.n * g.inD, inH: g.inH, inW: g.inW, c: g.c, outH: g.outH, outW: g.outW };
}
function wasmPool(kind: "max" | "avg", dtype: DType, x: NArr, g: PoolGeom, o: NArr): boolean {
  return hasFloat32Storage(dtype) && tryWasmPool2x2(kind, x as Float32Array, wasmGeom(g), o as Float32Array);
}
function wasmMaxPoolGrad(dtype: DType, x: NArr, y: NArr | null, g: PoolGeom, dy: NArr, dx: NArr): boolean {
  return (
    hasFloat32Storage(dtype) &&
    x instanceof Float32Array &&
    tryWasmMaxPoolGrad2x2(x, y as Float32Array | null, dy as Float32Array, wasmGeom(g), dx as Float32Array)
  );
}

const enum AvgMode {
  Forward,
  Backward,
}

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
    cf,
    g,
    rank: shape.length,
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

function poolFamily(max: "MaxPool" | "MaxPool3D", avg: "AvgPool" | "AvgPool3D"): KernelTable {
  // Computed keys (each pool, its gradients): a string-keyed literal, whose keys follow max and avg.
  const table: Record<string, CpuKernel> = {
    [max]: ([x], attrs) => {
      const L = layout(x.shape, attrs);
      const o = alloc(x.dtype, outSize(L.g));
      if (is2x2(L.g)) {
        const xv = L.inLast(x.values as NArr);
        if (!wasmPool("max", x.dtype, xv, L.g, o)) maxPool2x2(xv, L.g, o);
      } else maxPoolArg(L.inLast(x.values as NArr), L.g, new Int32Array(o.length), o);
      return [out(x.dtype, formatShape(L.g.n, outSpatial(L.g, L.rank), L.g.c, L.cf), L.outBack(o))];
    },
    [`${max}Grad`]: ([x, y, dy], attrs) => {
      const L = layout(x.shape, attrs);
      checkGrad(`${max}Grad`, dy, formatShape(L.g.n, outSpatial(L.g, L.rank), L.g.c, L.cf));
      if (is2x2(L.g)) {
        const dx2 = alloc(dy.dtype, inSize(L.g));
        const yv = y.dtype === x.dtype && y.values.length === dy.values.length ? L.outLast(y.values as NArr) : null;
        const xv = L.inLast(x.values as NArr);
        const dyv = L.outLast(dy.values as NArr);
        if (!wasmMaxPoolGrad(dy.dtype, xv, yv, L.g, dyv, dx2)) maxPoolGrad2x2(xv, yv, L.g, dyv, dx2);
        return [out(dy.dtype, x.shape, L.inBack(dx2))];
      }
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
      if (is2x2(L.g)) {
        const xv = L.inLast(x.values as NArr);
        if (!wasmPool("avg", x.dtype, xv, L.g, o)) avgPool2x2(xv, L.g, o);
      } else avgPool(AvgMode.Forward, L.inLast(x.values as NArr), L.g, o);
      return [out(x.dtype, formatShape(L.g.n, outSpatial(L.g, L.rank), L.g.c, L.cf), L.outBack(o))];
    },
    [`${avg}Grad`]: ([s, dy], attrs) => {
      const shape = ints(s.values);
      const L = layout(shape, attrs);
      checkGrad(`${avg}Grad`, dy, formatShape(L.g.n, outSpatial(L.g, L.rank), L.g.c, L.cf));
      const dx = alloc(dy.dtype, inSize(L.g));
      if (is2x2(L.g)) {
        const dyv = L.outLast(dy.values as NArr);
        if (!(hasFloat32Storage(dy.dtype) && tryWasmAvgPoolGrad2x2(dyv as Float32Array, wasmGeom(L.g), dx as Float32Array))) avgPoolGrad2x2(dyv, L.g, dx);
      } else avgPool(AvgMode.Backward, L.outLast(dy.values as NArr), L.g, dx);
      return [out(dy.dtype, shape, L.inBack(dx))];
    },
  };
  return table;
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
      if (!withBatch) for (let i = 0; i < arg.length; i++) arg[i] -= Math.floor(i / perImageOut) * perImageIn;
      const shape = [L.g.n, L.g.outH, L.g.outW, L.g.c];
      // Targmax picks the index dtype (TensorFlow's CPU kernel has int64 only; int32 is its GPU kernel's).
      const argmax =
        attrs.Targmax === "int32"
          ? out("int32", shape, arg)
          : out(
              "int64",
              shape,
              BigInt64Array.from(arg, (v) => BigInt(v)),
            );
      return [out(x.dtype, shape, o), argmax];
    },
    MaxPoolGradWithArgmax: ([x, dy, arg], attrs) => {
      const withBatch = Boolean(attrs.include_batch_in_index);
      const n = x.shape[0];
      const perImageIn = sizeOf(x.shape) / Math.max(n, 1);
      const perImageOut = sizeOf(dy.shape) / Math.max(n, 1);
      const dx = alloc(dy.dtype, sizeOf(x.shape));
      const dyv = dy.values as NArr;
      const av = arg.values as BigInt64Array | Int32Array;
      for (let i = 0; i < dyv.length; i++) {
        const idx = Number(av[i]) + (withBatch ? 0 : Math.floor(i / perImageOut) * perImageIn);
        if (idx < 0 || idx >= dx.length)
          throw new InvalidArgumentError(`MaxPoolGradWithArgmax: argmax ${Number(av[i])} is out of range for input shape [${x.shape}]`);
        dx[idx] += dyv[i];
      }
      return [out(dy.dtype, x.shape, dx)];
    },
  };
}

export const poolKernels: KernelTable = {
  ...poolFamily("MaxPool", "AvgPool"),
  ...poolFamily("MaxPool3D", "AvgPool3D"),
  ...withArgmaxKernels(),
  /** MaxPoolGradWithArgmax's gradient wrt grad: picks the argmax entries of a gradient shaped like the input. */
  MaxPoolGradGradWithArgmax: ([x, ddx, arg], attrs) => {
    const withBatch = Boolean(attrs.include_batch_in_index);
    const n = x.shape[0];
    const av = arg.values as BigInt64Array | Int32Array;
    const perImageIn = sizeOf(x.shape) / Math.max(n, 1);
    const perImageOut = av.length / Math.max(n, 1);
    const v = ddx.values as NArr;
    const o = alloc(ddx.dtype, av.length);
    for (let i = 0; i < av.length; i++) {
      const idx = Number(av[i]) + (withBatch ? 0 : Math.floor(i / perImageOut) * perImageIn);
      if (!(idx >= 0 && idx < v.length))
        throw new InvalidArgumentError(`MaxPoolGradGradWithArgmax: argmax ${Number(av[i])} is out of range for input shape [${x.shape}]`);
      o[i] = v[idx];
    }
    return [out(ddx.dtype, arg.shape, o)];
  },
};
