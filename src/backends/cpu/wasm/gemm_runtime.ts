import { availableParallelism } from "node:os";
import { debugOn, getSetting } from "../../../core/settings.js";
import { buildGemmModule, DESC, DESC_BYTES, type GemmTile, relaxedSimdSupported } from "./gemm_kernels.js";
import { type GemmFn, GemmPool } from "./gemm_pool.js";

/**
 * The WebAssembly SIMD matrix product at run time (used by ../gemm.ts when no native BLAS is loaded): one
 * module (gemm_kernels.ts) instantiated against one shared memory, which the worker threads of
 * gemm_pool.ts instantiate too. A product copies its operands into the memory (TypedArray.set: a memcpy,
 * a few percent of a product's time even at 64x64x64), runs there, and copies C back out; tensors keep
 * living in ordinary typed arrays, so nothing else in the backend changes.
 *
 * Layout of the memory per product: descriptors, A as stored, B as stored, C padded to whole register
 * tiles, then one scratch area per thread (packed A block, packed B block).
 */

interface SharedMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => SharedMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}

const PAGE = 65536;
/** The memory's maximum (pages): 2 GiB. Products whose operands do not fit are split into row bands. */
const MAX_PAGES = 32768;
/**
 * Register tiles (rows x vectors): 4 rows by 8 float32 columns (8 accumulators), 4 by 4 float64. Measured
 * on the shared 2-core EPYC at 256x256x256, one thread: 4x8 45-49 GFLOP/s, 5x8 34-37, 6x8 25-27 (12
 * accumulators leave too few of x64's 16 vector registers for V8), 4x16 and 8x8 slower still.
 */
const TILE_F32: GemmTile = { mr: 4, nv: 2 };
const TILE_F64: GemmTile = { mr: 4, nv: 2 };
/** Cache blocking (elements): A's mc x kc block stays in L2, B's kc x nc block in L3. */
const KC = 256;
const MC = 64;
const NC = 1024;
const DESC_AREA = 64 * DESC_BYTES;
/** Below this many multiply-adds a product runs on the calling thread alone (waking a worker costs ~20-50 µs). */
const THREAD_MIN_MNK = 1 << 21;
/** Each thread's share is at least this many multiply-adds. */
const CHUNK_MIN_MNK = 1 << 19;

/** The module's functions that pool jobs run, in GemmJob.fn's order. */
const FN_NAMES = ["gemm_f32", "gemm_f64", "conv_fwd_f32", "conv_input_f32", "conv_filter_f32"] as const;
export type WasmFnName = (typeof FN_NAMES)[number];

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;
const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

export interface WasmGemmArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  a: Float32Array | Float64Array;
  aOff: number;
  lda: number;
  b: Float32Array | Float64Array;
  bOff: number;
  ldb: number;
  c: Float32Array | Float64Array;
  cOff: number;
  ldc: number;
  beta: 0 | 1;
}

export class WasmGemm {
  readonly relaxedSimd: boolean;
  private readonly memory: SharedMemory;
  private readonly module: object;
  private readonly fns: readonly GemmFn[];
  private pool: GemmPool | null = null;
  private i32: Int32Array;
  private f32: Float32Array;
  private f64: Float64Array;

  constructor(api: WasmApi) {
    this.relaxedSimd = relaxedSimdSupported((b) => api.validate(b));
    const bytes = buildGemmModule({ f32: TILE_F32, f64: TILE_F64, relaxed: this.relaxedSimd, memory: { initial: 64, maximum: MAX_PAGES } });
    this.memory = new api.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    this.module = new api.Module(bytes);
    const ex = new api.Instance(this.module, { env: { memory: this.memory } }).exports as Record<string, GemmFn>;
    this.fns = FN_NAMES.map((n) => ex[n]);
    this.i32 = new Int32Array(this.memory.buffer);
    this.f32 = new Float32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
  }

  /** Threads the next product may use: the threads setting, or the machine's parallelism when it is 0. */
  static threads(): number {
    const t = getSetting("threads");
    return t > 0 ? t : availableParallelism();
  }

  /** Worker threads started (the calling thread not counted). */
  get workers(): number {
    return this.pool?.size ?? 0;
  }

  /** Worker threads ready to take chunks (started ones may still be booting). */
  get readyWorkers(): number {
    return this.pool?.ready ?? 0;
  }

  /** The memory as float32 and int32 views, at least `bytes` long; null when it cannot grow that far. */
  views(bytes: number): { f32: Float32Array; i32: Int32Array } | null {
    return this.reserve(bytes) ? { f32: this.f32, i32: this.i32 } : null;
  }

  /**
   * Runs `chunks` calls of a module function, fn(descBase + i·descBytes, scratch, scratch) for i in
   * [0, chunks), on up to `threads` threads (the calling one included); each thread's scratch is
   * scratchBase + t·scratchStride for t in [0, scratchAreas(threads)). The descriptors are in the memory.
   */
  parallel(fn: WasmFnName, chunks: number, threads: number, descBase: number, descBytes: number, scratchBase: number, scratchStride: number): void {
    const index = FN_NAMES.indexOf(fn);
    const t = Math.min(threads, chunks);
    if (t <= 1) {
      for (let q = 0; q < chunks; q++) this.fns[index](descBase + q * descBytes, scratchBase, scratchBase);
      return;
    }
    this.pool ??= new GemmPool(this.memory, this.module, FN_NAMES);
    this.pool.grow(t - 1);
    this.pool.run({ chunks, descBase, descBytes, fn: index, scratchBase, scratchStride, apBytes: 0 }, this.fns);
  }

  /**
   * Scratch areas a parallel() job on `threads` threads may touch: one per thread that could claim a chunk,
   * i.e. the calling thread and every worker started so far (a worker started by an earlier, wider job may
   * wake and claim too).
   */
  scratchAreas(threads: number): number {
    return threads <= 1 ? 1 : Math.max(threads, (this.pool?.size ?? 0) + 1);
  }

  private reserve(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) return false;
    try {
      this.memory.grow(pages);
    } catch {
      return false;
    }
    this.i32 = new Int32Array(this.memory.buffer);
    this.f32 = new Float32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
    return true;
  }

  /** C = op(A)·op(B) (+ C when beta is 1). False when it does not fit in the memory (the caller falls back). */
  run(g: WasmGemmArgs): boolean {
    if (this.runOnce(g)) return true;
    // Too big at once: bands of C's rows, halving until they fit.
    if (g.m < 2) return false;
    const half = Math.ceil(g.m / 2);
    const band = (r0: number, rows: number): WasmGemmArgs => ({
      ...g,
      m: rows,
      aOff: g.aOff + (g.transA ? r0 : r0 * g.lda),
      cOff: g.cOff + r0 * g.ldc,
    });
    return this.run(band(0, half)) && this.run(band(half, g.m - half));
  }

  private runOnce(g: WasmGemmArgs): boolean {
    const f64 = g.c instanceof Float64Array;
    const eb = f64 ? 8 : 4;
    const tile = f64 ? TILE_F64 : TILE_F32;
    const MR = tile.mr;
    const NR = tile.nv * (16 / eb);
    const { m, n, k } = g;
    const aSpan = (g.transA ? k - 1 : m - 1) * g.lda + (g.transA ? m : k);
    const bSpan = (g.transB ? n - 1 : k - 1) * g.ldb + (g.transB ? k : n);
    const ldcP = roundUp(n, NR);
    const mP = roundUp(m, MR);

    // Threads and chunks: split the longer side of C, each chunk a whole number of tiles.
    const mnk = m * n * k;
    // Up to three chunks per thread, claimed as threads come free: a thread the OS descheduled (a busy
    // machine) then delays the product by one small chunk, not by half of it.
    const T = WasmGemm.threads();
    const want = T > 1 && mnk >= THREAD_MIN_MNK ? Math.min(3 * T, Math.floor(mnk / CHUNK_MIN_MNK)) : 1;
    const byRows = m >= n;
    const unit = byRows ? MR : NR;
    const chunks = Math.max(1, Math.min(want, Math.ceil((byRows ? m : n) / unit)));
    const per = roundUp(Math.ceil((byRows ? m : n) / chunks), unit);
    const nChunks = Math.ceil((byRows ? m : n) / per);
    const chunkM = byRows ? per : m;
    const chunkN = byRows ? n : per;

    const kc = Math.min(KC, k);
    const mc = Math.min(MC, roundUp(chunkM, MR));
    const nc = Math.min(NC, roundUp(chunkN, NR));
    const apBytes = align(mc * kc * eb);
    const scratch = apBytes + align(kc * nc * eb);

    const A = DESC_AREA;
    const B = A + align(aSpan * eb);
    const C = B + align(bSpan * eb);
    const S = C + align(mP * ldcP * eb);
    const threads = nChunks > 1 ? Math.min(nChunks, T) : 1;
    // A scratch area for every thread that may wake: the pool keeps the workers an earlier, wider product
    // started, and any of them may claim a chunk of this one (each uses the area of its own index).
    if (!this.reserve(S + this.scratchAreas(threads) * scratch)) return false;

    const view = f64 ? this.f64 : this.f32;
    view.set(g.a.subarray(g.aOff, g.aOff + aSpan), A / eb);
    view.set(g.b.subarray(g.bOff, g.bOff + bSpan), B / eb);
    const packedC = ldcP === n && g.ldc === n;
    if (g.beta === 1) {
      if (packedC) view.set(g.c.subarray(g.cOff, g.cOff + m * n), C / eb);
      else for (let i = 0; i < m; i++) view.set(g.c.subarray(g.cOff + i * g.ldc, g.cOff + i * g.ldc + n), C / eb + i * ldcP);
    }

    const d = this.i32;
    for (let q = 0; q < nChunks; q++) {
      const r0 = byRows ? q * per : 0;
      const c0 = byRows ? 0 : q * per;
      const w = q * (DESC_BYTES / 4);
      d[w + DESC.a] = A + (g.transA ? r0 : r0 * g.lda) * eb;
      d[w + DESC.lda] = g.lda;
      d[w + DESC.transA] = g.transA ? 1 : 0;
      d[w + DESC.b] = B + (g.transB ? c0 * g.ldb : c0) * eb;
      d[w + DESC.ldb] = g.ldb;
      d[w + DESC.transB] = g.transB ? 1 : 0;
      d[w + DESC.c] = C + (r0 * ldcP + c0) * eb;
      d[w + DESC.ldc] = ldcP;
      d[w + DESC.m] = byRows ? Math.min(per, m - r0) : m;
      d[w + DESC.n] = byRows ? n : Math.min(per, n - c0);
      d[w + DESC.k] = k;
      d[w + DESC.accumulate] = g.beta;
      d[w + DESC.mc] = mc;
      d[w + DESC.kc] = kc;
      d[w + DESC.nc] = nc;
    }
    if (threads === 1) {
      const fn = this.fns[f64 ? 1 : 0];
      for (let q = 0; q < nChunks; q++) fn(q * DESC_BYTES, S, S + apBytes);
    } else {
      this.pool ??= new GemmPool(this.memory, this.module, FN_NAMES);
      this.pool.grow(threads - 1);
      this.pool.run({ chunks: nChunks, descBase: 0, descBytes: DESC_BYTES, fn: f64 ? 1 : 0, scratchBase: S, scratchStride: scratch, apBytes }, this.fns);
    }

    const out = f64 ? this.f64 : this.f32;
    if (packedC) g.c.set(out.subarray(C / eb, C / eb + m * n), g.cOff);
    else for (let i = 0; i < m; i++) g.c.set(out.subarray(C / eb + i * ldcP, C / eb + i * ldcP + n), g.cOff + i * g.ldc);
    return true;
  }
}

// ---------------------------------------------------------------- the shared instance

let instance: WasmGemm | null | undefined;

/**
 * The WebAssembly matrix product, or null where WebAssembly SIMD or shared memory is missing or the wasm
 * setting is off. Built on first use (a few milliseconds).
 */
export function wasmGemm(): WasmGemm | null {
  if (instance !== undefined) return instance;
  if (getSetting("wasm") === "off") return null;
  instance = null;
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api || typeof SharedArrayBuffer === "undefined") return null;
  try {
    instance = new WasmGemm(api);
  } catch {
    instance = null;
  }
  if (debugOn("kernels") && typeof process !== "undefined") {
    process.stderr.write(
      `tsflow kernels: WebAssembly SIMD matrix product ${instance ? `built (relaxed SIMD ${instance.relaxedSimd ? "on" : "off"})` : "unavailable; TypeScript loops run"}\n`,
    );
  }
  return instance;
}
