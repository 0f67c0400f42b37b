import { debugOn, getSetting } from "../../../core/settings.js";
import { BINARY, buildKernelModule, STEP, UNARY } from "./kernels.js";

/**
 * The WebAssembly SIMD kernels at run time: one module built by kernels.ts, instantiated synchronously on
 * first use against one growable memory. Inputs are copied into the memory (TypedArray.set, a memcpy),
 * the kernel runs, the result is copied out into the output array. Large tensors go through in chunks of
 * CHUNK floats, so that the copies and the kernel work on data still in the L2 cache and the memory stays
 * small.
 *
 * `TSFLOW_WASM=none` turns the kernels off (the JavaScript loops run), `TSFLOW_WASM=force` uses them at
 * every size (tests); by default they run where they measured faster than the JS loops (the MIN_* sizes).
 */

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}

type Fn = (...args: number[]) => number | undefined;

/** Floats per chunk (64 KiB per operand). */
const CHUNK = 16384;
/** The most memory the kernels may take (bytes); anything larger runs in JS. */
const MAX_BYTES = 256 * 2 ** 20;
const PAGE = 65536;
/**
 * Below these element counts (outputs) the JS loops are as fast (a wasm call costs ~0.1 us of copies and
 * call overhead); measured on the reference machine. One-channel pool gradients vectorize badly
 * (a quarter of each vector is used, stores are blended) and stay in JS.
 */
const MIN_UNARY = 16;
const MIN_BINARY = 128;
const MIN_POOL = 512;
const MIN_POOL_GRAD_CHANNELS = 2;
/** ApplyAdam: about even with the JS loop at 256 parameters, 1.5x at 1,024, 2-3x from 4,096 (2-core VM). */
const MIN_ADAM = 256;

/** The geometry of a 2x2 stride-2 pool over channels-last data: rows images (times depth), every window inside. */
export interface Pool2x2Geom {
  rows: number;
  inH: number;
  inW: number;
  c: number;
  outH: number;
  outW: number;
}

/** Floats per kernel loop iteration (elementwise lengths and periods are padded to whole ones). */
const LANES = STEP / 4;
const pad = (n: number) => Math.ceil(n / LANES) * LANES;
/** Float offset of the next region after one of n floats (64-byte aligned, with slack for vector overruns). */
const after = (at: number, n: number) => at + Math.ceil((n + 16) / 16) * 16;
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function trailing(s: readonly number[], shape: readonly number[]): boolean {
  let i = 0;
  while (i < s.length && s[i] === 1) i++;
  const k = s.length - i;
  if (k > shape.length) return false;
  for (let j = 0; j < k; j++) if (s[i + j] !== shape[shape.length - k + j]) return false;
  return true;
}

export class WasmKernels {
  private f32: Float32Array;
  private readonly fn: Record<string, Fn>;
  /** Per op type: the kernels (a Map lookup by the op's type string, no name building per call). */
  private readonly un = new Map<string, Fn>();
  private readonly bin = new Map<string, { vp: Fn; pv: Fn; vs: Fn; sv: Fn }>();

  constructor(
    api: WasmApi,
    private readonly memory: WasmMemory = new api.Memory({ initial: 16 }),
  ) {
    const module = new api.Module(buildKernelModule());
    this.fn = new api.Instance(module, { env: { memory } }).exports as Record<string, Fn>;
    this.f32 = new Float32Array(memory.buffer);
    for (const op of Object.keys(UNARY)) this.un.set(op, this.fn[`u_${op}`]);
    for (const op of Object.keys(BINARY)) {
      this.bin.set(op, { vp: this.fn[`vp_${op}`], pv: this.fn[`pv_${op}`], vs: this.fn[`vs_${op}`], sv: this.fn[`sv_${op}`] });
    }
  }

  /** Makes the memory at least `floats` floats long; false when that is over MAX_BYTES. */
  private reserve(floats: number): boolean {
    if (floats <= this.f32.length) return true;
    if (floats * 4 > MAX_BYTES) return false;
    // Only this class grows the memory, so the view is current unless it grows here.
    try {
      this.memory.grow(Math.ceil((floats * 4 - this.memory.buffer.byteLength) / PAGE));
    } catch {
      return false; // out of memory: the JS loops serve
    }
    this.f32 = new Float32Array(this.memory.buffer);
    return true;
  }

  /**
   * TensorFlow 1's ApplyAdam over float32 arrays (the kernel `adam`, the JS loop's float64 arithmetic): the
   * seven operands' chunks side by side in the memory, inputs copied in, outputs copied out.
   */
  adam(ins: readonly Float32Array[], outs: readonly Float32Array[], k: AdamScalars): boolean {
    const n = ins[0].length;
    const len0 = Math.min(n, CHUNK);
    const at: number[] = [0];
    for (let j = 1; j < 7; j++) at.push(after(at[j - 1], len0));
    if (!this.reserve(after(at[6], len0))) return false;
    const f = this.f32;
    const fn = this.fn.adam;
    for (let s = 0; s < n; s += CHUNK) {
      const len = Math.min(CHUNK, n - s);
      ins.forEach((a, j) => f.set(len === n ? a : a.subarray(s, s + len), at[j]));
      fn(at[0] * 4, at[1] * 4, at[2] * 4, at[3] * 4, at[4] * 4, at[5] * 4, at[6] * 4, pad(len) * 4, k.lrT, k.a1, k.a2, k.eps);
      outs.forEach((o, j) => o.set(f.subarray(at[4 + j], at[4 + j] + len), s));
    }
    return true;
  }

  static unaryOps(): string[] {
    return Object.keys(UNARY);
  }
  static binaryOps(): string[] {
    return Object.keys(BINARY);
  }

  /** o = op(x) elementwise; false when op has no kernel. */
  unary(op: string, x: Float32Array, o: Float32Array): boolean {
    const k = this.un.get(op);
    const n = x.length;
    if (!k || !this.reserve(after(0, Math.min(n, CHUNK)))) return false;
    const f = this.f32;
    for (let s = 0; s < n; s += CHUNK) {
      const len = Math.min(CHUNK, n - s);
      f.set(len === n ? x : x.subarray(s, s + len), 0);
      k(0, 0, pad(len) * 4);
      o.set(f.subarray(0, len), s);
    }
    return true;
  }

  /**
   * o = op(a, b) for equal shapes, a scalar on either side, or one side broadcast along leading
   * dimensions only (its shape, less leading 1s, ends the output shape: a bias [C] against [rows, C]).
   * False for other broadcasts or ops without a kernel.
   */
  binary(
    op: string,
    a: Float32Array,
    aShape: readonly number[],
    b: Float32Array,
    bShape: readonly number[],
    shape: readonly number[],
    o: Float32Array,
  ): boolean {
    if (!BINARY[op]) return false;
    const n = o.length;
    const aN = a.length;
    const bN = b.length;
    if (n === 0) return true;
    if (aN === n && bN === n) return this.periodic(op, a, b, n, false, o);
    if (bN === 1 && aN === n) return this.scalar(op, a, b[0], false, o);
    if (aN === 1 && bN === n) return this.scalar(op, b, a[0], true, o);
    if (aN === n && bN > 0 && n % bN === 0 && trailing(bShape, shape)) return this.periodic(op, a, b, bN, false, o);
    if (bN === n && aN > 0 && n % aN === 0 && trailing(aShape, shape)) return this.periodic(op, b, a, aN, true, o);
    return false;
  }

  /** full op periodic (or periodic op full when periodicA), the periodic operand repeating every p floats. */
  private periodic(op: string, full: Float32Array, per: Float32Array, p: number, periodicA: boolean, o: Float32Array): boolean {
    const fns = this.bin.get(op);
    if (!fns) return false;
    const k = periodicA ? fns.pv : fns.vp;
    const n = full.length;
    // A whole number of vectors per tile of the periodic operand, and at least 256 floats so that the
    // kernel's inner loop runs a while.
    const lcm = (p * LANES) / gcd(p, LANES);
    const tile = lcm * Math.max(1, Math.floor(256 / lcm));
    if (p === n || tile > CHUNK) {
      // Same shapes, or long periods: chunks of one period at a time against the matching slice.
      const len0 = Math.min(p, CHUNK);
      const B = after(0, len0);
      if (!this.reserve(after(B, len0))) return false;
      const g = this.f32;
      for (let r = 0; r < n; r += p) {
        for (let s = 0; s < p; s += CHUNK) {
          const len = Math.min(CHUNK, p - s);
          g.set(len === n ? full : full.subarray(r + s, r + s + len), 0);
          g.set(len === p ? per : per.subarray(s, s + len), B);
          const nb = pad(len) * 4;
          k(periodicA ? B * 4 : 0, periodicA ? 0 : B * 4, 0, nb, nb);
          o.set(g.subarray(0, len), r + s);
        }
      }
      return true;
    }
    // Short periods: the tile repeated along chunks of whole tiles.
    const chunk = Math.floor(CHUNK / tile) * tile;
    const T = after(0, chunk);
    if (!this.reserve(after(T, tile))) return false;
    const g = this.f32;
    g.set(per, T);
    for (let have = p; have < tile; have *= 2) g.copyWithin(T + have, T, T + Math.min(have, tile - have));
    for (let s = 0; s < n; s += chunk) {
      const len = Math.min(chunk, n - s);
      g.set(len === n ? full : full.subarray(s, s + len), 0);
      const nb = Math.ceil(len / tile) * tile * 4;
      k(periodicA ? T * 4 : 0, periodicA ? 0 : T * 4, 0, nb, tile * 4);
      o.set(g.subarray(0, len), s);
    }
    return true;
  }

  private scalar(op: string, full: Float32Array, v: number, scalarA: boolean, o: Float32Array): boolean {
    const fns = this.bin.get(op);
    if (!fns) return false;
    const k = scalarA ? fns.sv : fns.vs;
    const n = full.length;
    if (!this.reserve(after(0, Math.min(n, CHUNK)))) return false;
    const f = this.f32;
    for (let s = 0; s < n; s += CHUNK) {
      const len = Math.min(CHUNK, n - s);
      f.set(len === n ? full : full.subarray(s, s + len), 0);
      if (scalarA) k(v, 0, 0, pad(len) * 4);
      else k(0, v, 0, pad(len) * 4);
      o.set(f.subarray(0, len), s);
    }
    return true;
  }

  /**
   * Visits the pool's pairs of input rows in chunks: (input float offset, output float offset, pairs).
   * With an even height all pairs are evenly spaced; otherwise each image's are (its last row is in no
   * window).
   */
  private chunks(g: Pool2x2Geom, visit: (xs: number, os: number, np: number) => void): void {
    const rowF = g.inW * g.c;
    const even = g.inH === 2 * g.outH;
    const groups = even ? 1 : g.rows;
    const per = even ? g.rows * g.outH : g.outH;
    const pc = Math.max(1, Math.floor(CHUNK / (2 * rowF)));
    for (let gi = 0; gi < groups; gi++) {
      for (let p0 = 0; p0 < per; p0 += pc) {
        visit(gi * g.inH * rowF + p0 * 2 * rowF, (gi * g.outH + p0) * g.outW * g.c, Math.min(pc, per - p0));
      }
    }
  }

  private pairsPerChunk(g: Pool2x2Geom): number {
    return Math.min(Math.max(1, Math.floor(CHUNK / (2 * g.inW * g.c))), g.rows * g.outH);
  }

  private static empty(g: Pool2x2Geom): boolean {
    return g.rows === 0 || g.outH === 0 || g.outW === 0 || g.c === 0;
  }

  /** Max (or average) over 2x2 windows, stride 2; o has the output's size. */
  pool2x2(kind: "max" | "avg", x: Float32Array, g: Pool2x2Geom, o: Float32Array): boolean {
    if (WasmKernels.empty(g)) return true;
    const rowF = g.inW * g.c;
    const pc = this.pairsPerChunk(g);
    const X = 0;
    const O = after(X, pc * 2 * rowF);
    if (!this.reserve(after(O, pc * g.outW * g.c))) return false;
    const f = this.f32;
    const k = this.fn[kind === "max" ? "maxPool2x2" : "avgPool2x2"];
    this.chunks(g, (xs, os, np) => {
      f.set(x.subarray(xs, xs + np * 2 * rowF), X);
      k(X * 4, O * 4, np, rowF * 4, g.outW, g.c * 4);
      o.set(f.subarray(O, O + np * g.outW * g.c), os);
    });
    return true;
  }

  /**
   * MaxPoolGrad: dx (input-sized, zero on entry) gets dy at each window's first maximum; y is the pool's
   * output (or null) as in the JS kernel.
   */
  maxPoolGrad2x2(x: Float32Array, y: Float32Array | null, dy: Float32Array, g: Pool2x2Geom, dx: Float32Array): boolean {
    if (WasmKernels.empty(g)) return true;
    const rowF = g.inW * g.c;
    const outF = g.outW * g.c;
    const pc = this.pairsPerChunk(g);
    const X = 0;
    const DX = after(X, pc * 2 * rowF);
    const Y = after(DX, pc * 2 * rowF);
    const G = after(Y, pc * outF);
    if (!this.reserve(after(G, pc * outF))) return false;
    const f = this.f32;
    const { maxPoolGrad2x2N: kN, maxPoolGrad2x2Y: kY, maxPoolGrad2x2C: kC } = this.fn;
    const oddW = g.inW !== 2 * g.outW;
    this.chunks(g, (xs, os, np) => {
      const inLen = np * 2 * rowF;
      f.set(x.subarray(xs, xs + inLen), X);
      if (y) f.set(y.subarray(os, os + np * outF), Y);
      f.set(dy.subarray(os, os + np * outF), G);
      if (oddW) f.fill(0, DX, DX + inLen);
      const args = [X * 4, (y ? Y : G) * 4, G * 4, DX * 4, np, rowF * 4, g.outW, g.c * 4];
      // With y: the comparisons, checking that y is the windows' maximum; the equality search otherwise.
      if (!y) kN(...args);
      else if (!kC(...args)) kY(...args);
      dx.set(f.subarray(DX, DX + inLen), xs);
    });
    return true;
  }

  /** AvgPoolGrad: dx (input-sized, zero on entry) gets a quarter of dy at each window input. */
  avgPoolGrad2x2(dy: Float32Array, g: Pool2x2Geom, dx: Float32Array): boolean {
    if (WasmKernels.empty(g)) return true;
    const rowF = g.inW * g.c;
    const outF = g.outW * g.c;
    const pc = this.pairsPerChunk(g);
    const DX = 0;
    const G = after(DX, pc * 2 * rowF);
    if (!this.reserve(after(G, pc * outF))) return false;
    const f = this.f32;
    const k = this.fn.avgPoolGrad2x2;
    const oddW = g.inW !== 2 * g.outW;
    this.chunks(g, (xs, os, np) => {
      const inLen = np * 2 * rowF;
      f.set(dy.subarray(os, os + np * outF), G);
      if (oddW) f.fill(0, DX, DX + inLen);
      k(G * 4, DX * 4, np, rowF * 4, g.outW, g.c * 4);
      dx.set(f.subarray(DX, DX + inLen), xs);
    });
    return true;
  }
}

// ---------------------------------------------------------------- the shared instance and the routing

let instance: WasmKernels | null | undefined;

/** The kernels, or null where WebAssembly SIMD is missing or the wasm setting is off. Built on first call. */
export function wasmKernels(): WasmKernels | null {
  if (instance !== undefined) return instance;
  if (getSetting("wasm") === "off") return null;
  instance = null;
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  try {
    instance = new WasmKernels(api);
  } catch {
    instance = null; // no SIMD (or no memory): the JS loops serve
  }
  if (debugOn("kernels") && typeof process !== "undefined")
    process.stderr.write(`tsflow kernels: WebAssembly SIMD kernels ${instance ? "built" : "unavailable; JS loops run"}\n`);
  return instance;
}

/** The wasm setting (TSFLOW_WASM) decides per call, so tf.config changes it at run time. */
function use(n: number, min: number): WasmKernels | null {
  const m = getSetting("wasm");
  if (m === "off" || (m === "auto" && n < min)) return null;
  return wasmKernels();
}

/**
 * float32 unary elementwise op through wasm when it pays; false: run the JS loop. `expr` is the op's JS
 * expression: the kernel runs only if it is the one it reproduces.
 */
export function tryWasmUnary(op: string, expr: string, x: Float32Array, o: Float32Array): boolean {
  if (UNARY[op]?.js !== expr || !(x instanceof Float32Array) || !(o instanceof Float32Array)) return false;
  return use(x.length, MIN_UNARY)?.unary(op, x, o) ?? false;
}

/** float32 binary elementwise op (same shapes, scalar, leading broadcast) through wasm when it pays. */
export function tryWasmBinary(
  op: string,
  expr: string,
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  shape: readonly number[],
  o: Float32Array,
): boolean {
  if (BINARY[op]?.js !== expr || !(a instanceof Float32Array) || !(b instanceof Float32Array) || !(o instanceof Float32Array)) return false;
  return use(o.length, MIN_BINARY)?.binary(op, a, aShape, b, bShape, shape, o) ?? false;
}

/** ApplyAdam's scalars as the JS loop uses them: lrT (bias-corrected step), a1 = 1 - beta1, a2 = 1 - beta2, eps. */
export interface AdamScalars {
  lrT: number;
  a1: number;
  a2: number;
  eps: number;
}

/** float32 ApplyAdam ([variable, m, v, gradient] -> [variable, m, v]) through wasm when it pays; false: run the JS loop. */
export function tryWasmAdam(ins: readonly (Float32Array | Float64Array)[], outs: readonly (Float32Array | Float64Array)[], k: AdamScalars): boolean {
  const f32 = (a: Float32Array | Float64Array): a is Float32Array => a instanceof Float32Array;
  if (ins.length !== 4 || outs.length !== 3 || !ins.every(f32) || !outs.every(f32)) return false;
  return use(ins[0].length, MIN_ADAM)?.adam(ins, outs, k) ?? false;
}

export function tryWasmPool2x2(kind: "max" | "avg", x: Float32Array, g: Pool2x2Geom, o: Float32Array): boolean {
  if (!(x instanceof Float32Array) || !(o instanceof Float32Array)) return false;
  return use(o.length, MIN_POOL)?.pool2x2(kind, x, g, o) ?? false;
}

export function tryWasmMaxPoolGrad2x2(x: Float32Array, y: Float32Array | null, dy: Float32Array, g: Pool2x2Geom, dx: Float32Array): boolean {
  return use(g.c < MIN_POOL_GRAD_CHANNELS ? 0 : dy.length, MIN_POOL)?.maxPoolGrad2x2(x, y, dy, g, dx) ?? false;
}

export function tryWasmAvgPoolGrad2x2(dy: Float32Array, g: Pool2x2Geom, dx: Float32Array): boolean {
  return use(g.c < MIN_POOL_GRAD_CHANNELS ? 0 : dy.length, MIN_POOL)?.avgPoolGrad2x2(dy, g, dx) ?? false;
}
