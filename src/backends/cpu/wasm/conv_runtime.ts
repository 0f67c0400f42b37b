import { getSetting } from "../../../core/settings.js";
import { CONV_BLOCK, CONV_DESC, CONV_DESC_BYTES, CONV_KTILE } from "./conv_kernels.js";
import { WasmGemm, wasmGemm } from "./gemm_runtime.js";

/**
 * The direct WebAssembly convolutions (conv_kernels.ts) at run time, float32, channels-last: the forward
 * pass and both gradients, at any stride, dilation and padding. Per call the operands
 * are copied into the shared memory of the WebAssembly matrix product (the input zero-padded, so that the
 * kernels have no edge cases), the kernels run over chunks of images (or of one image's output positions)
 * on the calling thread and the pool's workers, and the result is copied out.
 *
 * Memory layout per call (byte offsets, 64-aligned): descriptors, the position and tap tables, packed
 * weights, the padded input, the output (or dY), then one partial filter gradient per thread.
 */

/** A 2-D convolution's geometry, channels-last (as the CPU kernels compute it). */
export interface ConvShape {
  n: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  padT: number;
  padL: number;
}

/** Chunks per thread: a thread the OS descheduled then holds up one small chunk, not a half. */
const CHUNKS_PER_THREAD = 3;
const MAX_CHUNKS = 64;
/** Below this many multiply-adds a call runs on the calling thread alone (waking a worker costs ~20-50 µs). */
const THREAD_MIN_MACS = 1 << 21;

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

interface Layout {
  w: WasmGemm;
  f32: Float32Array;
  i32: Int32Array;
  /** Byte offsets. */
  qtab: number;
  ktab: number;
  wts: number;
  bias: number;
  x: number;
  y: number;
  partial: number;
  partialBytes: number;
  areas: number;
  threads: number;
  chunks: number;
  /** Padded input geometry. */
  Hp: number;
  Wp: number;
}

function threadsFor(g: ConvShape): number {
  const macs = g.n * g.outH * g.outW * g.kH * g.kW * g.inC * g.outC;
  return macs >= THREAD_MIN_MACS ? WasmGemm.threads() : 1;
}

/** Lays out the memory for g (reserving it), or null when the wasm kernels are off or it does not fit. */
function layout(g: ConvShape, withPartials: boolean): Layout | null {
  if (getSetting("wasm") === "off") return null;
  const w = wasmGemm();
  if (w === null) return null;
  const K = g.kH * g.kW * g.inC;
  const nb = Math.ceil(g.outC / CONV_BLOCK);
  const Hp = Math.max(g.padT + g.inH, (g.outH - 1) * g.sH + (g.kH - 1) * g.dH + 1);
  const Wp = Math.max(g.padL + g.inW, (g.outW - 1) * g.sW + (g.kW - 1) * g.dW + 1);
  const threads = threadsFor(g);
  const areas = withPartials ? w.scratchAreas(threads) : 0;
  const partialBytes = nb * Math.ceil(K / CONV_KTILE) * CONV_KTILE * CONV_BLOCK * 4;
  const qtab = align(MAX_CHUNKS * CONV_DESC_BYTES);
  // The tap table holds K offsets (forward, filter) or up to K (offset, width) blocks (input gradient);
  // the weights nb blocks of K rows, or up to K blocks of outC rows.
  const ktab = qtab + align(g.outH * g.outW * 4);
  const wts = ktab + align(K * 8);
  const bias = wts + align(Math.max(nb, g.outC) * K * CONV_BLOCK * 4);
  const x = bias + align(nb * CONV_BLOCK * 4);
  // The input gradient reads and writes whole blocks of eight: room after the last image.
  const y = x + align((g.n * Hp * Wp * g.inC + CONV_BLOCK) * 4);
  // dY is read a block of eight channels at a time: room for the last position's overrun.
  const partial = y + align((g.n * g.outH * g.outW * g.outC + CONV_BLOCK) * 4);
  const end = partial + areas * partialBytes;
  const v = w.views(end);
  if (v === null) return null;
  const chunks = threads <= 1 ? 1 : Math.min(MAX_CHUNKS, CHUNKS_PER_THREAD * threads);
  return { w, f32: v.f32, i32: v.i32, qtab, ktab, wts, bias, x, y, partial, partialBytes, areas, threads, chunks, Hp, Wp };
}

/** The padded input: zeros, then each image row at its place. */
function placeInput(L: Layout, g: ConvShape, x: Float32Array): void {
  const { f32, Hp, Wp } = L;
  const C = g.inC;
  const base = L.x / 4;
  const size = g.n * Hp * Wp * C;
  if (g.padT === 0 && g.padL === 0 && Hp === g.inH && Wp === g.inW) {
    f32.set(x, base);
    return;
  }
  f32.fill(0, base, base + size);
  const rowLen = g.inW * C;
  if (Wp === g.inW && g.padL === 0) {
    // Whole images are contiguous runs (only rows above and below are padding).
    for (let b = 0; b < g.n; b++) f32.set(x.subarray(b * g.inH * rowLen, (b + 1) * g.inH * rowLen), base + (b * Hp + g.padT) * Wp * C);
    return;
  }
  for (let b = 0; b < g.n; b++) {
    for (let ih = 0; ih < g.inH; ih++) {
      const s = (b * g.inH + ih) * rowLen;
      const d = base + ((b * Hp + ih + g.padT) * Wp + g.padL) * C;
      // Short rows element by element: a subarray and a set per row cost more (LeNet's 28-float rows: 0.40
      // vs 0.55 ms for 256 images).
      if (rowLen >= 64) f32.set(x.subarray(s, s + rowLen), d);
      else for (let j = 0; j < rowLen; j++) f32[d + j] = x[s + j];
    }
  }
}

/**
 * The position and tap tables, and the descriptors of the chunks (k: the descriptor's k, the patch
 * columns or blocks); returns the chunk count. Chunks are ranges of images, or of one image's positions
 * (whole tiles of 4) when images are fewer than chunks and `splitImages`.
 */
function describe(L: Layout, g: ConvShape, k: number, splitImages: boolean): number {
  const { i32, Wp, Hp } = L;
  const C = g.inC;
  const outHW = g.outH * g.outW;
  let at = L.qtab / 4;
  for (let oh = 0; oh < g.outH; oh++) for (let ow = 0; ow < g.outW; ow++) i32[at++] = (oh * g.sH * Wp + ow * g.sW) * C * 4;
  const want = L.chunks;
  const byImages = g.n >= want || outHW < 8 || !splitImages;
  const count = byImages ? Math.min(want, g.n) : Math.min(want, Math.ceil(outHW / 4));
  const per = byImages ? Math.ceil(g.n / count) : Math.ceil(outHW / count / 4) * 4;
  let q = 0;
  for (let i = 0; ; i++) {
    const lo = i * per;
    const hi = Math.min((i + 1) * per, byImages ? g.n : outHW);
    if (lo >= hi) break;
    const d = (i * CONV_DESC_BYTES) / 4;
    i32[d + CONV_DESC.x] = L.x;
    i32[d + CONV_DESC.w] = L.wts;
    i32[d + CONV_DESC.y] = L.y;
    i32[d + CONV_DESC.qtab] = L.qtab;
    i32[d + CONV_DESC.ktab] = L.ktab;
    i32[d + CONV_DESC.k] = k;
    i32[d + CONV_DESC.outC] = g.outC;
    i32[d + CONV_DESC.nb] = Math.ceil(g.outC / CONV_BLOCK);
    i32[d + CONV_DESC.outHW] = outHW;
    i32[d + CONV_DESC.imgBytes] = Hp * Wp * C * 4;
    i32[d + CONV_DESC.b0] = byImages ? lo : 0;
    i32[d + CONV_DESC.b1] = byImages ? hi : g.n;
    i32[d + CONV_DESC.q0] = byImages ? 0 : lo;
    i32[d + CONV_DESC.q1] = byImages ? outHW : hi;
    i32[d + CONV_DESC.bias] = 0;
    i32[d + CONV_DESC.relu] = 0;
    q++;
  }
  return q;
}

/** KTAB as the tap offset of each patch column k = (kh, kw, c), in the filter's order. */
function tapTable(L: Layout, g: ConvShape): void {
  const { i32, Wp } = L;
  const C = g.inC;
  let at = L.ktab / 4;
  for (let kh = 0; kh < g.kH; kh++) for (let kw = 0; kw < g.kW; kw++) for (let c = 0; c < C; c++) i32[at++] = ((kh * g.dH * Wp + kw * g.dW) * C + c) * 4;
}

/** What the forward pass applies as it stores its tiles: a bias over the channels, then a Relu. */
export interface ConvEpilogue {
  bias: Float32Array;
  relu: boolean;
}

/**
 * Conv2D's forward pass; f is the filter [kH, kW, inC, outC]; with an epilogue, bias (+ Relu) applied as the
 * results are stored. False when the kernels are unavailable.
 */
export function wasmConvForward(x: Float32Array, f: Float32Array, g: ConvShape, out: Float32Array, epilogue?: ConvEpilogue): boolean {
  if (g.n === 0 || g.outH * g.outW === 0 || g.outC === 0) return true;
  const L = layout(g, false);
  if (L === null) return false;
  const K = g.kH * g.kW * g.inC;
  const { outC } = g;
  const nb = Math.ceil(outC / CONV_BLOCK);
  const f32 = L.f32;
  // Weights [nb][K][8], zero past the last channel.
  let at = L.wts / 4;
  for (let blk = 0; blk < nb; blk++) {
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < CONV_BLOCK; j++) {
        const oc = blk * CONV_BLOCK + j;
        f32[at++] = oc < outC ? f[k * outC + oc] : 0;
      }
    }
  }
  // Runs of patch columns contiguous in the image: a filter row (kW·C) unless the columns are dilated.
  const runLen = g.dW === 1 ? g.kW * g.inC : g.inC;
  let kt = L.ktab / 4;
  for (let kh = 0; kh < g.kH; kh++) {
    for (let kw = 0; kw < (g.dW === 1 ? 1 : g.kW); kw++) L.i32[kt++] = (kh * g.dH * L.Wp + kw * g.dW) * g.inC * 4;
  }
  placeInput(L, g, x);
  const chunks = describe(L, g, K / runLen, true);
  if (epilogue) {
    f32.fill(0, L.bias / 4, L.bias / 4 + nb * CONV_BLOCK);
    f32.set(epilogue.bias, L.bias / 4);
  }
  for (let i = 0; i < chunks; i++) {
    const d = (i * CONV_DESC_BYTES) / 4;
    L.i32[d + CONV_DESC.runLen] = runLen;
    L.i32[d + CONV_DESC.bias] = epilogue ? L.bias : 0;
    L.i32[d + CONV_DESC.relu] = epilogue?.relu ? 1 : 0;
  }
  L.w.parallel("conv_fwd_f32", chunks, L.threads, 0, CONV_DESC_BYTES, 0, 0);
  out.set(L.f32.subarray(L.y / 4, L.y / 4 + out.length));
  return true;
}

/**
 * Conv2DBackpropInput: dx [n, inH, inW, inC] gets dy[q, :]·W[k, :] at every position q's tap k, into
 * padded images in the memory (so that no tap needs a bounds check), whose interior is then copied out.
 * Any stride and dilation.
 */
export function wasmConvBackpropInput(dy: Float32Array, f: Float32Array, g: ConvShape, dx: Float32Array): boolean {
  const K = g.kH * g.kW * g.inC;
  if (g.n === 0 || g.outH * g.outW === 0 || K === 0 || g.outC === 0) {
    dx.fill(0);
    return true;
  }
  const L = layout(g, false);
  if (L === null) return false;
  const { f32, i32, Hp, Wp } = L;
  const { inC: C, outC } = g;
  // Blocks of up to 8 patch columns contiguous in the image: within runs of kW·C columns (one filter row)
  // when the columns are not dilated, of C (one tap) when they are.
  const runLen = g.dW === 1 ? g.kW * C : C;
  let blocks = 0;
  let kt = L.ktab / 4;
  let wt = L.wts / 4;
  for (let k0 = 0; k0 < K; k0 += runLen) {
    const kh = Math.floor(k0 / (g.kW * C));
    const kw = Math.floor((k0 - kh * g.kW * C) / C);
    const runOff = (kh * g.dH * Wp + kw * g.dW) * C * 4;
    for (let j = 0; j < runLen; j += CONV_BLOCK) {
      const cols = Math.min(CONV_BLOCK, runLen - j);
      i32[kt++] = runOff + j * 4;
      i32[kt++] = cols;
      // Weights [outC][8] of this block: W[k0 + j + i, oc], zero past its width.
      for (let oc = 0; oc < outC; oc++) for (let i = 0; i < CONV_BLOCK; i++) f32[wt++] = i < cols ? f[(k0 + j + i) * outC + oc] : 0;
      blocks++;
    }
  }
  const size = g.n * Hp * Wp * C;
  f32.fill(0, L.x / 4, L.x / 4 + size);
  f32.set(dy, L.y / 4);
  const chunks = describe(L, g, blocks, false);
  L.w.parallel("conv_input_f32", chunks, L.threads, 0, CONV_DESC_BYTES, 0, 0);
  const base = L.x / 4;
  if (g.padT === 0 && g.padL === 0 && Hp === g.inH && Wp === g.inW) {
    dx.set(f32.subarray(base, base + size));
    return true;
  }
  const rowLen = g.inW * C;
  for (let b = 0; b < g.n; b++) {
    for (let ih = 0; ih < g.inH; ih++) {
      const s = base + ((b * Hp + ih + g.padT) * Wp + g.padL) * C;
      dx.set(f32.subarray(s, s + rowLen), (b * g.inH + ih) * rowLen);
    }
  }
  return true;
}

/** Conv2DBackpropFilter: df [kH, kW, inC, outC] = Σ over positions of patch(q, k)·dy[q, oc]. */
export function wasmConvBackpropFilter(x: Float32Array, dy: Float32Array, g: ConvShape, df: Float32Array): boolean {
  const K = g.kH * g.kW * g.inC;
  if (g.n === 0 || g.outH * g.outW === 0 || K === 0 || g.outC === 0) {
    df.fill(0);
    return true;
  }
  const L = layout(g, true);
  if (L === null) return false;
  const f32 = L.f32;
  placeInput(L, g, x);
  f32.set(dy, L.y / 4);
  f32.fill(0, L.partial / 4, (L.partial + L.areas * L.partialBytes) / 4);
  tapTable(L, g);
  const chunks = describe(L, g, K, true);
  L.w.parallel("conv_filter_f32", chunks, L.threads, 0, CONV_DESC_BYTES, L.partial, L.partialBytes);
  const Kp = Math.ceil(K / CONV_KTILE) * CONV_KTILE;
  const outC = g.outC;
  df.fill(0);
  for (let a = 0; a < L.areas; a++) {
    const base = (L.partial + a * L.partialBytes) / 4;
    for (let k = 0; k < K; k++) {
      for (let oc = 0; oc < outC; oc++) {
        const blk = Math.floor(oc / CONV_BLOCK);
        df[k * outC + oc] += f32[base + (blk * Kp + k) * CONV_BLOCK + (oc - blk * CONV_BLOCK)];
      }
    }
  }
  return true;
}
