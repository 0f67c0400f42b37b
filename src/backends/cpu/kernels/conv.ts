import type { Attrs } from "../../../core/schema/types.js";
import { allocOutput } from "../../../core/dtype.js";
import { InvalidArgumentError } from "../../../core/errors.js";
import { getBlas } from "../blas.js";
import { wasmGemm } from "../wasm/gemm_runtime.js";
import { getSetting } from "../../../core/settings.js";
import { axpy, transpose, withBlasThreads } from "../blas_ops.js";
import { gemm } from "../gemm.js";
import { CpuKernel, CpuTensor, KernelTable, out } from "../kernel.js";
import { ints } from "./util.js";
import { isChannelsFirst, windows } from "../../../core/geometry/window.js";
import { alloc, FArr, formatShape, splitShape, toChannelsFirst, toChannelsLast } from "./layout.js";
import { type ConvShape, wasmConvBackpropFilter, wasmConvBackpropInput, wasmConvForward } from "../wasm/conv_runtime.js";

/**
 * Convolutions on the CPU. Data is processed channels-last ([N, H, W, C]; NCHW is transposed in and out).
 * float32 convolutions with few output channels (or any, without a BLAS) run as direct WebAssembly SIMD
 * loops on all cores (../wasm/conv_runtime.ts: no patch matrix at all; see useDirect for which passes). Otherwise two
 * algorithms, both putting every multiply-add in the one gemm entry point:
 *  - im2col: the patches of a block of output positions form a [rows, kH*kW*inC] matrix that multiplies
 *    the filter viewed as [kH*kW*inC, outC]. Serves every stride; its patch copies are per-element JS.
 *  - the shifted-plane implicit GEMM (stride 1, any dilation, when a BLAS or the WebAssembly products are
 *    there): see "implicit" below. Its data movement is memcpy and BLAS transposes only, which on V8 is
 *    ~20x cheaper per element.
 * Depthwise convolutions have no matrix product and are direct loops.
 */

function convGeom(inShape: readonly number[], filterShape: readonly number[], outC: number, attrs: Attrs, cf: boolean): ConvShape {
  const { n, c, spatial } = splitShape(inShape, cf);
  const [wh, ww] = windows(inShape, [filterShape[0], filterShape[1]], attrs, cf, false);
  return {
    n,
    inH: spatial[0],
    inW: spatial[1],
    inC: c,
    outH: wh.out,
    outW: ww.out,
    outC,
    kH: wh.k,
    kW: ww.k,
    sH: wh.s,
    sW: ww.s,
    dH: wh.d,
    dW: ww.d,
    padT: wh.pad,
    padL: ww.pad,
  };
}

/** Elements of patch matrix built at a time: bounds im2col's memory whatever the batch. */
const CHUNK_ELEMS = 1 << 21;

function chunkRows(m: number, k: number): number {
  return Math.max(1, Math.min(m, Math.floor(CHUNK_ELEMS / Math.max(k, 1))));
}

function isPointwise(g: ConvShape): boolean {
  return g.kH === 1 && g.kW === 1 && g.sH === 1 && g.sW === 1 && g.padT === 0 && g.padL === 0 && g.outH === g.inH && g.outW === g.inW;
}

function like(x: FArr, n: number): FArr {
  return x instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

/** Rows r0..r0+rows of the patch matrix (row = output position (b, oh, ow), column = (kh, kw, c)). */
function im2col(x: FArr, g: ConvShape, r0: number, rows: number, cols: FArr): void {
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
function col2im(cols: FArr, g: ConvShape, r0: number, rows: number, dx: FArr): void {
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

// ---------------------------------------------------------------- implicit (shifted-plane) GEMM

/**
 * Stride-1 convolutions as GEMMs over shifted views of the padded input. With the input padded once to
 * [N, Hp, Wp, C] (Hp = outH + (kH-1)·dH, Wp likewise), every output position (b, oh, ow) has a "grid"
 * index g = (b·Hp + oh)·Wp + ow, and the input element under tap (kh, kw) is at grid index
 * g + shift(kh, kw), shift = kh·dH·Wp + kw·dW, for every image at once. So the computation runs over the
 * whole grid [0, Mg) (Mg = N·Hp·Wp − the largest shift keeps every view in bounds), computing junk at the
 * grid positions that are not outputs (right and bottom margins: a quarter of the grid for LeNet's 5x5
 * SAME on 28x28, half for its 5x5 VALID on 14x14) and dropping them at the end. For stride 1,
 * Hp = inH + padT + padB, so the padded input always fits the grid.
 *
 * The input is kept channel-major, XC [C, N·Hp·Wp]: then the transposed patch matrix colsT [K, Mg]
 * (K = kH·kW·C, row (kh, kw, c)) is K plain memcpys of shifted plane slices, and
 *   forward:        OutT [outC, Mg] = Wᵀ · colsT                    (one gemm, M as the long side)
 *   filter grad:    dW [K, outC]    = colsT · dOutG [Mg, outC]      (dOut placed on the grid, zeros elsewhere)
 *   input grad:     dcolsT [K, Mg]  = W · dOutGᵀ, then dXC[c, shift + g] += dcolsT[(kh, kw, c), g] (K axpys)
 * Layout changes between NHWC and the grid are whole-matrix BLAS transposes plus one memcpy per image row.
 * (One gemm per tap with K = C, on zero-copy views, was measured too: OpenBLAS runs those skinny products
 * 3–10x slower than the single K = kH·kW·C product, so the memcpys pay for themselves.) The grid range is
 * processed in chunks so that colsT stays within convTuning.implicitChunk elements.
 */
interface GridGeom {
  Hp: number;
  Wp: number;
  /** N·Hp·Wp: the padded grid, all images. */
  P: number;
  /** Grid rows computed: P minus the largest tap shift. */
  Mg: number;
  /** Grid offset of each tap (kh, kw), kh-major. */
  shifts: number[];
  /** Whether the input needs padding (or is otherwise not already the grid). */
  padded: boolean;
}

function gridGeom(g: ConvShape): GridGeom {
  const Hp = g.outH + (g.kH - 1) * g.dH;
  const Wp = g.outW + (g.kW - 1) * g.dW;
  const P = g.n * Hp * Wp;
  const shifts: number[] = [];
  for (let kh = 0; kh < g.kH; kh++) for (let kw = 0; kw < g.kW; kw++) shifts.push(kh * g.dH * Wp + kw * g.dW);
  const padded = g.padT !== 0 || g.padL !== 0 || Hp !== g.inH || Wp !== g.inW;
  return { Hp, Wp, P, Mg: P - shifts[shifts.length - 1], shifts, padded };
}

/**
 * Tuning of the implicit GEMM (mutable: tests shrink the chunk to exercise chunking).
 * implicitChunk: elements of colsT built at a time (2^18..2^21 measured within noise on LeNet shapes).
 * singleThreadFlops: products below this many flops run on one BLAS thread; 0 (off) by default, since
 * in a LeNet training step one thread and two measured the same (10.2 vs 10.4 ms per step, interleaved).
 * directBackInput: with a BLAS, the input gradient of a convolution with few channels runs direct (useDirect).
 */
export const convTuning = { implicitChunk: 1 << 20, singleThreadFlops: 0, directBackInput: true };

/**
 * Grow-only scratch arrays per (dtype, role), reused across calls: a training step runs the same shapes
 * every time, and fresh multi-megabyte arrays cost a zero fill plus garbage collection. Kernels run
 * synchronously, so a role is never in use twice. Very large requests are not retained.
 */
const enum Role {
  XC,
  XP,
  Cols,
  GridA,
  GridB,
}
const SCRATCH_KEEP = 1 << 22;
const scratch32: (Float32Array | undefined)[] = [];
const scratch64: (Float64Array | undefined)[] = [];

function scratch(like: FArr, role: Role, n: number): FArr {
  const f32 = like instanceof Float32Array;
  const store = f32 ? scratch32 : scratch64;
  const have = store[role];
  if (have && have.length >= n) return have;
  const a = f32 ? new Float32Array(n) : new Float64Array(n);
  if (n <= SCRATCH_KEEP) store[role] = a as Float32Array & Float64Array;
  return a;
}

/** The input as XC [inC, P] on the padded grid (x itself when it already is: one channel, no padding). */
function inputGridCF(x: FArr, g: ConvShape, gg: GridGeom): FArr {
  const { n, inH, inW, inC, padT, padL } = g;
  const { Hp, Wp, P } = gg;
  let src = x;
  if (gg.padded) {
    // Pad in NHWC (one memcpy per image row), then transpose once.
    const xp = scratch(x, inC === 1 ? Role.XC : Role.XP, P * inC);
    xp.fill(0, 0, P * inC);
    const rowLen = inW * inC;
    for (let b = 0; b < n; b++) {
      for (let ih = 0; ih < inH; ih++) {
        const s = (b * inH + ih) * rowLen;
        xp.set(x.subarray(s, s + rowLen), ((b * Hp + ih + padT) * Wp + padL) * inC);
      }
    }
    src = xp;
  }
  if (inC === 1) return src;
  const xc = scratch(x, Role.XC, P * inC);
  transpose(P, inC, src, 0, inC, xc, 0, P);
  return xc;
}

/** dOut [N, outH, outW, outC] placed on the grid, [P, outC], zeros at the positions that are not outputs. */
function outputToGrid(dy: FArr, g: ConvShape, gg: GridGeom, role: Role): FArr {
  const { n, outH, outW, outC } = g;
  const { Hp, Wp, P } = gg;
  const dyG = scratch(dy, role, P * outC);
  dyG.fill(0, 0, P * outC);
  const rowLen = outW * outC;
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const s = (b * outH + oh) * rowLen;
      dyG.set(dy.subarray(s, s + rowLen), (b * Hp + oh) * Wp * outC);
    }
  }
  return dyG;
}

/** colsT rows for grid range [g0, g0+len): row (t, c) = XC[c, shift_t + g0 ...]. */
function fillColsT(xc: FArr, g: ConvShape, gg: GridGeom, g0: number, len: number, cols: FArr): void {
  const C = g.inC;
  const { P, shifts } = gg;
  let r = 0;
  for (let t = 0; t < shifts.length; t++) {
    for (let c = 0; c < C; c++, r++) {
      const s = c * P + shifts[t] + g0;
      cols.set(xc.subarray(s, s + len), r * len);
    }
  }
}

function chunkLen(Mg: number, K: number): number {
  return Math.max(1, Math.min(Mg, Math.floor(convTuning.implicitChunk / Math.max(K, 1))));
}

function implicitForward(x: FArr, f: FArr, g: ConvShape, o: FArr): void {
  const { n, outH, outW, outC } = g;
  const gg = gridGeom(g);
  const { Hp, Wp, P, Mg } = gg;
  const K = g.kH * g.kW * g.inC;
  const xc = inputGridCF(x, g, gg);
  const L = chunkLen(Mg, K);
  const cols = scratch(x, Role.Cols, L * K);
  const outT = scratch(x, Role.GridA, outC * P);
  onBlasThreads(g, gg, K, Pass.Forward, () => {
    for (let g0 = 0; g0 < Mg; g0 += L) {
      const len = Math.min(L, Mg - g0);
      fillColsT(xc, g, gg, g0, len, cols);
      // OutT[:, g0..g0+len) = Wᵀ [outC, K] · colsT [K, len]; W is stored [K, outC].
      gemm({ transA: true, transB: false, m: outC, n: len, k: K, a: f, lda: outC, b: cols, ldb: len, c: outT, cOffset: g0, ldc: P });
    }
  });
  const outG = scratch(x, Role.GridB, P * outC);
  transpose(outC, Mg, outT, 0, P, outG, 0, outC);
  const rowLen = outW * outC;
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const s = (b * Hp + oh) * Wp * outC;
      o.set(outG.subarray(s, s + rowLen), (b * outH + oh) * rowLen);
    }
  }
}

function implicitBackpropFilter(x: FArr, dy: FArr, g: ConvShape, df: FArr): void {
  const gg = gridGeom(g);
  const { Mg } = gg;
  const K = g.kH * g.kW * g.inC;
  const xc = inputGridCF(x, g, gg);
  const dyG = outputToGrid(dy, g, gg, Role.GridA);
  const L = chunkLen(Mg, K);
  const cols = scratch(x, Role.Cols, L * K);
  onBlasThreads(g, gg, K, Pass.BackFilter, () => {
    for (let g0 = 0; g0 < Mg; g0 += L) {
      const len = Math.min(L, Mg - g0);
      fillColsT(xc, g, gg, g0, len, cols);
      // dW [K, outC] (+)= colsT [K, len] · dOutG [len, outC]
      gemm({
        transA: false,
        transB: false,
        m: K,
        n: g.outC,
        k: len,
        a: cols,
        lda: len,
        b: dyG,
        bOffset: g0 * g.outC,
        ldb: g.outC,
        c: df,
        beta: g0 === 0 ? 0 : 1,
      });
    }
  });
}

/** m·n of a long-k product below which one BLAS thread beats two (measured: 25x6 2x faster, 25x16 even). */
const SMALL_OUTPUT = 192;

/**
 * Runs a pass's products on one BLAS thread when threading does not pay: a small dW summed over a long
 * grid (see withBlasThreads), or a product under convTuning.singleThreadFlops.
 */
function onBlasThreads(g: ConvShape, gg: GridGeom, K: number, pass: Pass, run: () => void): void {
  const small = pass === Pass.BackFilter && K * g.outC <= SMALL_OUTPUT;
  if (small || 2 * gg.Mg * K * g.outC < convTuning.singleThreadFlops) withBlasThreads(1, run);
  else run();
}

function implicitBackpropInput(dy: FArr, f: FArr, g: ConvShape, dx: FArr): void {
  const { n, inH, inW, inC, outC, padT, padL } = g;
  const gg = gridGeom(g);
  const { Hp, Wp, P, Mg, shifts } = gg;
  const K = g.kH * g.kW * inC;
  const dyG = outputToGrid(dy, g, gg, Role.GridA);
  // dXC [inC, P]: written straight into dx when dx already is the grid (one channel, no padding).
  const direct = inC === 1 && !gg.padded;
  const dxc = direct ? dx : scratch(dy, Role.XC, inC * P);
  if (!direct) dxc.fill(0, 0, inC * P);
  const L = chunkLen(Mg, K);
  const dcols = scratch(dy, Role.Cols, L * K);
  onBlasThreads(g, gg, K, Pass.BackInput, () => {
    for (let g0 = 0; g0 < Mg; g0 += L) {
      const len = Math.min(L, Mg - g0);
      // dcolsT [K, len] = W [K, outC] · dOutG[g0.., :]ᵀ
      gemm({ transA: false, transB: true, m: K, n: len, k: outC, a: f, lda: outC, b: dyG, bOffset: g0 * outC, ldb: outC, c: dcols, ldc: len });
      let r = 0;
      for (let t = 0; t < shifts.length; t++) {
        for (let c = 0; c < inC; c++, r++) axpy(len, 1, dcols, r * len, dxc, c * P + shifts[t] + g0);
      }
    }
  });
  if (direct) return;
  if (!gg.padded) {
    transpose(inC, P, dxc, 0, P, dx, 0, inC);
    return;
  }
  let dxG = dxc;
  if (inC > 1) {
    dxG = scratch(dy, Role.GridB, P * inC);
    transpose(inC, P, dxc, 0, P, dxG, 0, inC);
  }
  const rowLen = inW * inC;
  for (let b = 0; b < n; b++) {
    for (let ih = 0; ih < inH; ih++) {
      const s = ((b * Hp + ih + padT) * Wp + padL) * inC;
      dx.set(dxG.subarray(s, s + rowLen), (b * inH + ih) * rowLen);
    }
  }
}

export type ConvAlgorithm = "auto" | "im2col" | "implicit" | "direct";
let algorithm: ConvAlgorithm = "auto";

/** Forces one convolution algorithm (tests and measurements); "auto" picks per case. Returns the previous one. */
export function setConvAlgorithm(a: ConvAlgorithm): ConvAlgorithm {
  const prev = algorithm;
  algorithm = a;
  return prev;
}

const enum Pass {
  Forward,
  BackInput,
  BackFilter,
}

/**
 * Whether the implicit GEMM serves this case: stride 1 only, and under "auto" only with a BLAS and when a
 * cost model (nanoseconds, measured on a 2-core x86-64 with OpenBLAS; only the comparison matters) says
 * so. The implicit GEMM multiplies over the padded grid (Mg rows instead of M outputs), so it loses where
 * padding is a large share of a small image with many channels, and where im2col's patch rows are long
 * enough to be memcpys (kW·inC >= 64) on the forward and filter passes; col2im is always a JS loop.
 */
function useImplicit(g: ConvShape, pass: Pass): boolean {
  if (g.sH !== 1 || g.sW !== 1 || algorithm === "im2col" || algorithm === "direct") return false;
  if (algorithm === "implicit") return true;
  const blas = getBlas() !== null;
  // Without a BLAS the WebAssembly products serve it (measured: LeNet-5 training 2.3x faster than im2col's
  // per-element patch copies); with neither, the TypeScript products are too slow for the padded grid.
  if (!blas && (getSetting("wasm") === "off" || wasmGemm() === null)) return false;
  const K = g.kH * g.kW * g.inC;
  const M = g.n * g.outH * g.outW;
  const gg = gridGeom(g);
  // OpenBLAS ~170 GFLOP/s; the WebAssembly kernels ~30.
  const NS_PER_FLOP = blas ? 0.006 : 0.03;
  const gemmCost = (rows: number): number => 2 * rows * K * g.outC * NS_PER_FLOP;
  let im2col = gemmCost(M);
  if (pass === Pass.BackInput) im2col += 2 * M * K;
  else im2col += g.dW === 1 && g.kW * g.inC >= 64 ? 40 * M * g.kH + 0.15 * M * K : 2 * M * K;
  let implicit = gemmCost(gg.Mg) + 0.3 * (g.inC + g.outC) * gg.P + 5000;
  implicit += pass === Pass.BackInput ? 0.2 * K * gg.Mg + 300 * K : 0.15 * K * gg.Mg + 50 * K;
  return implicit < im2col;
}

/**
 * Output channels up to which the direct WebAssembly loops beat a BLAS with a patch matrix on the forward
 * and filter passes. The direct loops run ~24 GFLOP/s per thread on 8-channel blocks whatever the shape;
 * OpenBLAS runs ~170 on large products but its skinny ones (a few columns) far below that, and the patch
 * matrix costs 0.2-2 ns per element besides. Measured on LeNet-5's shapes (6 and 16 channels, 2-core EPYC):
 * the direct loops 1.1-2.8x faster than the implicit GEMM on those passes (docs/BENCHMARKS.md).
 */
const DIRECT_MAX_CHANNELS = 32;

/**
 * Whether the direct WebAssembly loops serve this pass (float32 only; the kernels decline what they cannot
 * do). With a BLAS the input gradient takes them too (convTuning.directBackInput): timed alone its direct loop
 * was 0.75-0.97x of the implicit GEMM on LeNet-5's second convolution, but the GEMM runs on OpenBLAS's threads,
 * which then spin for a while after it and take the cores from the direct loops' workers in the passes that
 * follow. With it direct a LeNet-5 graph step ran 6% (batch 64) and 11% (batch 256) faster: 2026-12-03, 2-core
 * VM at load 1.7-2.0, medians of 9 interleaved 0.4 s windows of each form in one process.
 */
function useDirect(a: FArr, b: FArr, g: ConvShape, pass: Pass): boolean {
  if (!(a instanceof Float32Array && b instanceof Float32Array) || algorithm === "im2col" || algorithm === "implicit") return false;
  if (algorithm === "direct" || getBlas() === null) return true;
  return (pass !== Pass.BackInput || convTuning.directBackInput) && g.outC <= DIRECT_MAX_CHANNELS;
}

function conv2dForward(x: FArr, f: FArr, g: ConvShape, o: FArr): void {
  const K = g.kH * g.kW * g.inC;
  const M = g.n * g.outH * g.outW;
  if (M === 0 || g.outC === 0) return;
  if (!isPointwise(g) && useDirect(x, f, g, Pass.Forward) && wasmConvForward(x as Float32Array, f as Float32Array, g, o as Float32Array)) return;
  if (isPointwise(g)) {
    gemm({ transA: false, transB: false, m: M, n: g.outC, k: K, a: x, b: f, c: o });
    return;
  }
  if (K === 0) {
    o.fill(0);
    return;
  }
  if (useImplicit(g, Pass.Forward)) return implicitForward(x, f, g, o);
  const chunk = chunkRows(M, K);
  const cols = like(x, chunk * K);
  for (let r0 = 0; r0 < M; r0 += chunk) {
    const rows = Math.min(chunk, M - r0);
    im2col(x, g, r0, rows, cols);
    gemm({ transA: false, transB: false, m: rows, n: g.outC, k: K, a: cols, b: f, c: o, cOffset: r0 * g.outC });
  }
}

/**
 * Conv2D + bias (+ Relu) in one pass, for a Session's epilogue (Backend.conv2dEpilogue): float32 NHWC where
 * the direct loops serve the convolution, the bias and the Relu applied as its tiles are stored, with the
 * same numbers as the three kernels one by one. null otherwise (the Session runs the original nodes).
 */
export function conv2dBiasRelu(x: CpuTensor, f: CpuTensor, bias: CpuTensor, attrs: Attrs, relu: boolean): CpuTensor | null {
  if (isChannelsFirst(attrs.data_format) || x.shape.length !== 4 || f.shape.length !== 4 || bias.shape.length !== 1) return null;
  const xv = x.values;
  const fv = f.values;
  const bv = bias.values;
  if (!(xv instanceof Float32Array && fv instanceof Float32Array && bv instanceof Float32Array) || x.dtype !== "float32") return null;
  let g: ConvShape;
  try {
    g = convGeom(x.shape, f.shape, f.shape[3], attrs, false);
  } catch {
    return null; // invalid attrs or shapes: the unfused Conv2D raises the error, naming its node
  }
  if (f.shape[2] !== g.inC || bv.length !== g.outC || isPointwise(g) || !useDirect(xv, fv, g, Pass.Forward)) return null;
  // The direct convolution writes every element.
  const o = allocOutput("float32", g.n * g.outH * g.outW * g.outC) as Float32Array;
  if (!wasmConvForward(xv, fv, g, o, { bias: bv, relu })) return null;
  return out("float32", [g.n, g.outH, g.outW, g.outC], o);
}

function conv2dBackpropInput(dy: FArr, f: FArr, g: ConvShape, dx: FArr): void {
  const K = g.kH * g.kW * g.inC;
  const M = g.n * g.outH * g.outW;
  if (M === 0 || K === 0) return;
  if (!isPointwise(g) && useDirect(dy, f, g, Pass.BackInput) && wasmConvBackpropInput(dy as Float32Array, f as Float32Array, g, dx as Float32Array)) return;
  if (isPointwise(g)) {
    gemm({ transA: false, transB: true, m: M, n: K, k: g.outC, a: dy, b: f, c: dx });
    return;
  }
  if (g.outC === 0) return;
  if (useImplicit(g, Pass.BackInput)) return implicitBackpropInput(dy, f, g, dx);
  const chunk = chunkRows(M, K);
  const cols = like(dy, chunk * K);
  for (let r0 = 0; r0 < M; r0 += chunk) {
    const rows = Math.min(chunk, M - r0);
    gemm({ transA: false, transB: true, m: rows, n: K, k: g.outC, a: dy, aOffset: r0 * g.outC, b: f, c: cols });
    col2im(cols, g, r0, rows, dx);
  }
}

function conv2dBackpropFilter(x: FArr, dy: FArr, g: ConvShape, df: FArr): void {
  const K = g.kH * g.kW * g.inC;
  const M = g.n * g.outH * g.outW;
  if (M === 0 || K === 0 || g.outC === 0) return;
  if (!isPointwise(g) && useDirect(x, dy, g, Pass.BackFilter) && wasmConvBackpropFilter(x as Float32Array, dy as Float32Array, g, df as Float32Array)) return;
  if (isPointwise(g)) {
    gemm({ transA: true, transB: false, m: K, n: g.outC, k: M, a: x, b: dy, c: df });
    return;
  }
  if (useImplicit(g, Pass.BackFilter)) return implicitBackpropFilter(x, dy, g, df);
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
function depthwiseGeom(inShape: readonly number[], filterShape: readonly number[], attrs: Attrs, cf: boolean): ConvShape & { mult: number } {
  const g = convGeom(inShape, filterShape, filterShape[2] * filterShape[3], attrs, cf);
  return { ...g, mult: filterShape[3] };
}

const enum DwMode {
  Forward,
  BackInput,
  BackFilter,
}

/**
 * One loop nest for the three depthwise computations over every in-bounds (output position, tap) pair:
 * a = x or dy (by mode), b = filter or dy, o = the array written. The mode is loop-invariant, so the
 * branch costs nothing and there is no call per element.
 */
function depthwise(mode: DwMode, a: FArr, b: FArr, g: ConvShape & { mult: number }, o: FArr): void {
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

function checkOutBackprop(op: string, dy: CpuTensor, g: ConvShape, cf: boolean): void {
  const want = formatShape(g.n, [g.outH, g.outW], g.outC, cf);
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== want[i])) {
    throw new InvalidArgumentError(`${op}: Size of out_backprop doesn't match computed: actual = [${dy.shape}], computed = [${want}]`);
  }
}

function lastToFormat(v: FArr, g: ConvShape, cf: boolean, which: "in" | "out"): FArr {
  if (!cf) return v;
  return which === "in" ? toChannelsFirst(v, g.n, g.inC, g.inH * g.inW) : toChannelsFirst(v, g.n, g.outC, g.outH * g.outW);
}

type Geom = ConvShape & { mult?: number };
interface ConvFamily {
  geom(inShape: readonly number[], filterShape: readonly number[], attrs: Attrs, cf: boolean): Geom;
  forward(x: FArr, f: FArr, g: Geom, o: FArr): void;
  /** `forward` writes every element of its output, so it may get a freed buffer's old values (allocOutput). */
  readonly writesAll?: boolean;
  backInput(dy: FArr, f: FArr, g: Geom, dx: FArr): void;
  backFilter(x: FArr, dy: FArr, g: Geom, df: FArr): void;
}

function convFamily(fwd: "Conv2D" | "DepthwiseConv2dNative", family: ConvFamily): KernelTable {
  // Computed keys (forward, input and filter gradients): a string-keyed literal, whose keys follow fwd.
  const table: Record<string, CpuKernel> = {
    [fwd]: ([x, f], attrs) => {
      const cf = isChannelsFirst(attrs.data_format);
      const g = family.geom(x.shape, f.shape, attrs, cf);
      const xv = cf ? toChannelsLast(x.values as FArr, g.n, g.inC, g.inH * g.inW) : (x.values as FArr);
      const size = g.n * g.outH * g.outW * g.outC;
      const o = (family.writesAll ? allocOutput(x.dtype, size) : alloc(x.dtype, size)) as FArr;
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
      const df = alloc(
        dy.dtype,
        fShape.reduce((p, d) => p * d, 1),
      ) as FArr;
      family.backFilter(xv, dyv, g, df);
      return [out(dy.dtype, fShape, df)];
    },
  };
  return table;
}

export const convKernels: KernelTable = {
  ...convFamily("Conv2D", {
    writesAll: true,
    geom: (s, f, a, cf) => convGeom(s, f, f[3], a, cf),
    forward: conv2dForward,
    backInput: conv2dBackpropInput,
    backFilter: conv2dBackpropFilter,
  }),
  ...convFamily("DepthwiseConv2dNative", {
    geom: depthwiseGeom,
    forward: (x, f, g, o) => depthwise(DwMode.Forward, x, f, g as ConvShape & { mult: number }, o),
    backInput: (dy, f, g, dx) => depthwise(DwMode.BackInput, dy, f, g as ConvShape & { mult: number }, dx),
    backFilter: (x, dy, g, df) => depthwise(DwMode.BackFilter, x, dy, g as ConvShape & { mult: number }, df),
  }),
};
