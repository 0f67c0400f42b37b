import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { debugOn, getSetting } from "../../../core/settings.js";
import { buildGemmModule, DESC, DESC_BYTES, type GemmTile, relaxedSimdSupported } from "./gemm_kernels.js";
import { type GemmFn, GemmPool, MAX_PHASES, MAX_TASKS } from "./gemm_pool.js";
import { type Plan, type PlanShape, planProduct } from "./gemm_plan.js";

/**
 * The WebAssembly SIMD matrix product at run time (used by ../gemm.ts when no native BLAS is loaded): one
 * module (gemm_kernels.ts) instantiated against one shared memory, which the worker threads of
 * gemm_pool.ts instantiate too. A product copies its operands into the memory (TypedArray.set: a memcpy,
 * a few percent of a product's time even at 64x64x64), runs there, and copies C back out; tensors keep
 * living in ordinary typed arrays, so nothing else in the backend changes.
 *
 * Layout of the memory per product: a descriptor, A as stored, B as stored, C padded to whole register
 * tiles, then for a product on one thread its packing buffers (an A block, a B block), for one shared by
 * threads the packed operands every thread reads (gemm_plan.ts: all of A, a column block of B) and the
 * tasks' descriptors.
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
 * accumulators leave too few of x64's 16 vector registers for V8), 4x16 and 8x8 slower still. Again on
 * Node 20 (kernel alone, best of 3 runs at 256 and 1024): with relaxed SIMD's multiply-add 4x8 47-50,
 * 2x16 47-50, 3x12 44-48, 5x8 32; with a multiply and an add 4x8 37, 2x16 41, 3x12 33.
 */
const TILE_F32: GemmTile = { mr: 4, nv: 2 };
const TILE_F64: GemmTile = { mr: 4, nv: 2 };
/** Cache blocking (elements): A's mc x kc block stays in L2, B's kc x nc block in L3. */
const KC = 256;
const MC = 64;
const NC = 1024;
/** One descriptor (a product on one thread) before the operands. */
const DESC_AREA = DESC_BYTES;
/** Below this many multiply-adds a product runs on the calling thread alone (waking a worker costs ~20-50 µs). */
const THREAD_MIN_MNK = 1 << 21;

/** The module's functions that pool jobs run, in GemmJob.fn's order. */
const FN_NAMES = ["gemm_f32", "gemm_f64", "gemm_task_f32", "gemm_task_f64", "conv_fwd_f32", "conv_input_f32", "conv_filter_f32"] as const;
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
  private lastPlan: { key: string; plan: Plan | null } | null = null;
  private i32: Int32Array;
  private f32: Float32Array;
  private f64: Float64Array;

  constructor(api: WasmApi) {
    this.relaxedSimd = getSetting("relaxedSimd") && enableRelaxedSimd((b) => api.validate(b));
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
    this.startPool(t).run({ tasks: chunks, descBase, descBytes, fn: index, scratchBase, scratchStride, apBytes: 0, threads: t }, this.fns);
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
    const kc = Math.min(KC, k);
    const nc = Math.min(NC, ldcP);
    const T = WasmGemm.threads();
    const threaded = T > 1 && m * n * k >= THREAD_MIN_MNK;
    // Workers asleep since the last product wake up while the operands are copied.
    if (threaded) this.startPool(T).wake(T);

    // The memory: a descriptor, A and B as stored, C padded to whole tiles, then either one thread's
    // packing buffers or the threads' shared packed operands (all of A, a column block of B) and tasks.
    const A = DESC_AREA;
    const B = A + align(aSpan * eb);
    const C = B + align(bSpan * eb);
    const S = C + align(mP * ldcP * eb);
    let plan: Plan | null = null;
    let tasksAt = 0;
    if (threaded) {
      const packedA = S;
      const packedB = packedA + align(mP * k * eb);
      tasksAt = packedB + align(k * nc * eb);
      const shape: PlanShape = {
        eb,
        mr: MR,
        nr: NR,
        m,
        n,
        k,
        a: A,
        lda: g.lda,
        transA: g.transA,
        b: B,
        ldb: g.ldb,
        transB: g.transB,
        c: C,
        ldc: ldcP,
        accumulate: g.beta === 1,
        packedA,
        packedB,
        kc,
        nc,
        mc: MC,
        threads: T,
      };
      plan = this.planFor(shape);
      if (plan !== null && !this.reserve(tasksAt + plan.words.byteLength)) plan = null;
    }
    const mc = Math.min(MC, mP);
    const apBytes = align(mc * kc * eb);
    if (plan === null && !this.reserve(S + apBytes + align(kc * nc * eb))) return false;

    const view = f64 ? this.f64 : this.f32;
    view.set(g.a.subarray(g.aOff, g.aOff + aSpan), A / eb);
    view.set(g.b.subarray(g.bOff, g.bOff + bSpan), B / eb);
    const packedC = ldcP === n && g.ldc === n;
    if (g.beta === 1) {
      if (packedC) view.set(g.c.subarray(g.cOff, g.cOff + m * n), C / eb);
      else for (let i = 0; i < m; i++) view.set(g.c.subarray(g.cOff + i * g.ldc, g.cOff + i * g.ldc + n), C / eb + i * ldcP);
    }

    if (plan !== null) {
      this.i32.set(plan.words, tasksAt / 4);
      const pool = this.startPool(T);
      const fn = FN_NAMES.indexOf(f64 ? "gemm_task_f64" : "gemm_task_f32");
      for (const job of plan.jobs) {
        pool.run(
          {
            tasks: job.tasks,
            phases: job.phases,
            descBase: tasksAt + job.firstTask * DESC_BYTES,
            descBytes: DESC_BYTES,
            fn,
            scratchBase: 0,
            scratchStride: 0,
            apBytes: 0,
            threads: T,
          },
          this.fns,
        );
      }
    } else {
      const d = this.i32;
      d[DESC.a] = A;
      d[DESC.lda] = g.lda;
      d[DESC.transA] = g.transA ? 1 : 0;
      d[DESC.b] = B;
      d[DESC.ldb] = g.ldb;
      d[DESC.transB] = g.transB ? 1 : 0;
      d[DESC.c] = C;
      d[DESC.ldc] = ldcP;
      d[DESC.m] = m;
      d[DESC.n] = n;
      d[DESC.k] = k;
      d[DESC.accumulate] = g.beta;
      d[DESC.mc] = mc;
      d[DESC.kc] = kc;
      d[DESC.nc] = nc;
      this.fns[f64 ? 1 : 0](0, S, S + apBytes);
    }

    if (packedC) g.c.set(view.subarray(C / eb, C / eb + m * n), g.cOff);
    else for (let i = 0; i < m; i++) g.c.set(view.subarray(C / eb + i * ldcP, C / eb + i * ldcP + n), g.cOff + i * g.ldc);
    return true;
  }

  /** The plan of a threaded product: the last one again when the shape repeats (a training loop's products do). */
  private planFor(shape: PlanShape): Plan | null {
    const key = Object.values(shape).join(",");
    if (this.lastPlan?.key !== key) this.lastPlan = { key, plan: planProduct(shape, MAX_PHASES, MAX_TASKS) };
    return this.lastPlan.plan;
  }

  /** The pool with at least threads - 1 workers started. */
  private startPool(threads: number): GemmPool {
    this.pool ??= new GemmPool(this.memory, this.module, FN_NAMES, availableParallelism());
    this.pool.grow(threads - 1);
    return this.pool;
  }
}

/**
 * Whether the engine takes relaxed SIMD, turning on V8's flag for it where it is behind one (Node 20 and
 * 21; on by default from Node 22). The flag only widens what WebAssembly validation accepts, so flipping
 * it at run time changes nothing for code compiled before; the workers share the compiled module.
 */
function enableRelaxedSimd(validate: (bytes: Uint8Array) => boolean): boolean {
  if (relaxedSimdSupported(validate)) return true;
  try {
    setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    return false;
  }
  return relaxedSimdSupported(validate);
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
