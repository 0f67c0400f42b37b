import { existsSync, readdirSync } from "node:fs";
import type { DType } from "../../core/dtype.js";
import { InternalError } from "../../core/errors.js";
import type { CudaHandle } from "./handle.js";
import type { KernelContext } from "./kernel.js";
import { debugOn, getSetting } from "../../core/settings.js";
import { candidates, Fn, Koffi, Ptr, shortError, tryLoad } from "./ffi.js";
import { stridesOf } from "../../core/shape.js";
import { permuteInto, stridedCopy } from "./kernels/movement.js";
import { BackendCallError } from "./cudnn_backend.js";
import { CudnnGraph, graphFor } from "./cudnn_graph.js";
import { tensorDataType } from "./cudnn_graph_conv.js";

/**
 * cuDNN (libcudnn.so.9, its legacy API) for 2-D convolutions, their two gradients, max pooling and its
 * gradient, channels-last as tsflow's own kernels. Loaded lazily once per process, one handle per device
 * bound to the device's stream; when the library is absent or fails, every entry point answers false and
 * kernels/conv.ts and kernels/pool.ts run their own kernels (TSFLOW_DEBUG=cuda prints why, once).
 *
 * Descriptors and the algorithm are made once per shape signature, dtype and TF32 setting and reused. The
 * algorithm is timed (cudnnFind*AlgorithmEx, in a workspace from tsflow's allocator) outside CUDA-graph
 * capture; a shape first met while a Session step is being captured takes cuDNN's heuristic choice instead,
 * which neither allocates nor synchronises (a Session's first run is never captured, so its shapes are
 * timed there). Among the working algorithms the fastest deterministic one is kept: results do not change
 * from run to run, as with the own kernels (allowing the ones that add with atomics gained nothing in the
 * cases kernels/conv.ts gives to cuDNN, bench/GPU_NOTES.md); where none is, the own kernels run.
 *
 * With the cudnnGraph setting (TSFLOW_CUDNN_GRAPH) on or auto, a convolution of float32, float16 or bfloat16
 * goes first to cuDNN's graph API (cudnn_graph.ts, autotuned over its engines), on the same buffers; a key
 * it cannot plan or run, or (auto) whose legacy algorithm timed faster, comes back here.
 */

// Enum values of cuDNN 9.14's cudnn_graph.h / cudnn_ops.h / cudnn_cnn.h.
const CUDNN_STATUS_SUCCESS = 0;
const CUDNN_DATA_FLOAT = 0;
const CUDNN_DATA_DOUBLE = 1;
const CUDNN_DATA_HALF = 2;
const CUDNN_DATA_BFLOAT16 = 9;

/** cuDNN's data type of a tensor of `dtype` (float16 and bfloat16 convolve with float32 arithmetic, as TensorFlow asks). */
function dataType(dtype: DType): number {
  return dtype === "float32" ? CUDNN_DATA_FLOAT : dtype === "float16" ? CUDNN_DATA_HALF : dtype === "bfloat16" ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_DOUBLE;
}
/** The arithmetic of a convolution on `dtype`: float for the 16-bit types. */
function computeDataType(dtype: DType): number {
  return dtype === "float64" ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
}
const CUDNN_DEFAULT_MATH = 0;
const CUDNN_TENSOR_OP_MATH = 1;
const CUDNN_FMA_MATH = 3;
const CUDNN_TENSOR_NHWC = 1;
const CUDNN_CROSS_CORRELATION = 1;
const CUDNN_NOT_PROPAGATE_NAN = 0;
const CUDNN_POOLING_MAX = 0;
const CUDNN_POOLING_MAX_DETERMINISTIC = 3;
const CUDNN_DETERMINISTIC = 1;
/** sizeof(cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t): algo, status, time, size_t memory, determinism, mathType, reserved[3]. */
const PERF_BYTES = 48;
/** More than any direction has algorithms (8 forward, 6 and 7 backward). */
const MAX_ALGOS = 8;
/** The most workspace an algorithm may use, in bytes (the cudnnWorkspaceMb setting, TSFLOW_CUDNN_WORKSPACE_MB). */
const workspaceLimit = () => getSetting("cudnnWorkspaceMb") * 2 ** 20;
const INT_LIMIT = 2 ** 31 - 1;

const STATUS: Record<number, string> = {
  1001: "CUDNN_STATUS_NOT_INITIALIZED",
  1002: "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH",
  1008: "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED",
  2000: "CUDNN_STATUS_BAD_PARAM",
  2002: "CUDNN_STATUS_BAD_PARAM_NULL_POINTER",
  2003: "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER",
  2007: "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH",
  2008: "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH",
  3000: "CUDNN_STATUS_NOT_SUPPORTED",
  3002: "CUDNN_STATUS_NOT_SUPPORTED_SHAPE",
  3003: "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE",
  3004: "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT",
  3007: "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH",
  3011: "CUDNN_STATUS_NOT_SUPPORTED_PADDING",
  4000: "CUDNN_STATUS_INTERNAL_ERROR",
  4004: "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED",
  5000: "CUDNN_STATUS_EXECUTION_FAILED",
  5001: "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER",
  5003: "CUDNN_STATUS_EXECUTION_FAILED_CUDART",
};
/** NOT_SUPPORTED and its sub-codes (3000-3999): the case goes to the own kernels. */
export const notSupported = (s: number) => s >= 3000 && s < 4000;

/** The three convolution directions; each has Find*Ex, Get*_v7 and a run call of the same argument order. */
export type Dir = 0 | 1 | 2;
const DIR_NAMES = ["ConvolutionForward", "ConvolutionBackwardData", "ConvolutionBackwardFilter"] as const;

interface CudnnLib {
  readonly path: string;
  readonly version: number;
  /** Binds another function of the library (cudnn_rnn.ts binds the RNN API on first use). */
  readonly bind: (signature: string) => Fn;
  cudnnGetErrorString: Fn;
  cudnnCreate: Fn;
  cudnnSetStream: Fn;
  cudnnCreateTensorDescriptor: Fn;
  cudnnSetTensor4dDescriptorEx: Fn;
  cudnnCreateFilterDescriptor: Fn;
  cudnnSetFilter4dDescriptor: Fn;
  cudnnCreateConvolutionDescriptor: Fn;
  cudnnSetConvolution2dDescriptor: Fn;
  cudnnSetConvolutionMathType: Fn;
  cudnnCreatePoolingDescriptor: Fn;
  cudnnSetPooling2dDescriptor: Fn;
  cudnnPoolingForward: Fn;
  cudnnPoolingBackward: Fn;
  /** Per direction: cudnnFind*AlgorithmEx, cudnnGet*Algorithm_v7, the convolution itself. */
  find: readonly [Fn, Fn, Fn];
  heuristic: readonly [Fn, Fn, Fn];
  run: readonly [Fn, Fn, Fn];
}

/** Folders the dynamic loader searches anyway: cuDNN finds its sub-libraries there by itself. */
const SYSTEM_DIRS = new Set(["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib/x86_64-linux-gnu", "/lib64"]);

function loadCudnn(koffi: Koffi, env: NodeJS.ProcessEnv): CudnnLib | string {
  const cands = candidates("libcudnn.so", ["libcudnn.so.9", "libcudnn.so"], env);
  // libcudnn.so.9 dlopens libcudnn_{graph,ops,cnn,engines_*}.so.9 by soname when first needed. From a folder
  // outside the loader's path (TSFLOW_CUDA_LIBS, CUDA_PATH) they are loaded first from the same folder, so
  // that those dlopens find them already in the process.
  const preload = (path: string) => {
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : null;
    if (dir === null || SYSTEM_DIRS.has(dir) || !existsSync(dir)) return;
    for (const name of ["graph", "ops", "cnn", "adv", "engines_precompiled", "engines_runtime_compiled", "heuristic"]) {
      const f = readdirSync(dir)
        .filter((n) => n.startsWith(`libcudnn_${name}.so.`))
        .sort()
        .reverse()[0];
      if (!f) continue;
      try {
        koffi.load(`${dir}/${f}`);
      } catch {
        // cuDNN says what it misses when it needs it
      }
    }
  };
  const r = tryLoad(koffi, cands, "cudnnConvolutionBackwardFilter", preload);
  if (typeof r === "string") return `libcudnn.so.9: ${r}`;
  const f = (sig: string) => r.lib.func(sig) as unknown as Fn;
  const version = Number(f("size_t cudnnGetVersion()")());
  // cuDNN 9 numbers versions major*10000 + minor*100 + patch; the API used here is 9's legacy one.
  if (!(version >= 90000 && version < 100000)) return `${r.path}: cuDNN version ${version}, not 9.x`;
  // Handles and descriptors are opaque pointers; tensors and workspaces are device pointers (uint64_t);
  // alpha and beta are host scalars of the data's type; algorithm results are 48-byte structs read back.
  const dirFns = (pattern: (d: string) => string) => DIR_NAMES.map((d) => f(pattern(d))) as unknown as readonly [Fn, Fn, Fn];
  return {
    path: r.path,
    version,
    bind: f,
    cudnnGetErrorString: f("const char *cudnnGetErrorString(int status)"),
    cudnnCreate: f("int cudnnCreate(_Out_ void **handle)"),
    cudnnSetStream: f("int cudnnSetStream(void *handle, void *stream)"),
    cudnnCreateTensorDescriptor: f("int cudnnCreateTensorDescriptor(_Out_ void **desc)"),
    cudnnSetTensor4dDescriptorEx: f(
      "int cudnnSetTensor4dDescriptorEx(void *desc, int dataType, int n, int c, int h, int w, int nStride, int cStride, int hStride, int wStride)",
    ),
    cudnnCreateFilterDescriptor: f("int cudnnCreateFilterDescriptor(_Out_ void **desc)"),
    cudnnSetFilter4dDescriptor: f("int cudnnSetFilter4dDescriptor(void *desc, int dataType, int format, int k, int c, int h, int w)"),
    cudnnCreateConvolutionDescriptor: f("int cudnnCreateConvolutionDescriptor(_Out_ void **desc)"),
    cudnnSetConvolution2dDescriptor: f(
      "int cudnnSetConvolution2dDescriptor(void *desc, int padH, int padW, int u, int v, int dilationH, int dilationW, int mode, int computeType)",
    ),
    cudnnSetConvolutionMathType: f("int cudnnSetConvolutionMathType(void *desc, int mathType)"),
    cudnnCreatePoolingDescriptor: f("int cudnnCreatePoolingDescriptor(_Out_ void **desc)"),
    cudnnSetPooling2dDescriptor: f(
      "int cudnnSetPooling2dDescriptor(void *desc, int mode, int nanOpt, int windowH, int windowW, int padH, int padW, int strideH, int strideW)",
    ),
    cudnnPoolingForward: f(
      "int cudnnPoolingForward(void *handle, void *pool, const void *alpha, void *xDesc, uint64_t x, const void *beta, void *yDesc, uint64_t y)",
    ),
    cudnnPoolingBackward: f(
      "int cudnnPoolingBackward(void *handle, void *pool, const void *alpha, void *yDesc, uint64_t y, void *dyDesc, uint64_t dy, void *xDesc, uint64_t x, const void *beta, void *dxDesc, uint64_t dx)",
    ),
    find: dirFns(
      (d) =>
        `int cudnnFind${d}AlgorithmEx(void *handle, void *aDesc, uint64_t a, void *bDesc, uint64_t b, void *conv, void *outDesc, uint64_t out, int requested, _Out_ int *returned, void *perf, uint64_t workspace, size_t wsBytes)`,
    ),
    heuristic: dirFns(
      (d) => `int cudnnGet${d}Algorithm_v7(void *handle, void *aDesc, void *bDesc, void *conv, void *outDesc, int requested, _Out_ int *returned, void *perf)`,
    ),
    run: dirFns(
      (d) =>
        `int cudnn${d}(void *handle, const void *alpha, void *aDesc, uint64_t a, void *bDesc, uint64_t b, void *conv, int algo, uint64_t workspace, size_t wsBytes, const void *beta, void *outDesc, uint64_t out)`,
    ),
  };
}

let library: CudnnLib | string | undefined;
let reasonShown = false;

function whyNot(reason: string): void {
  if (reasonShown || !debugOn("cuda")) return;
  reasonShown = true;
  process.stderr.write(`tsflow cuda: cuDNN not used (${reason}); convolutions and pooling run tsflow's own kernels\n`);
}

/** The window geometry of a 2-D convolution (kernels/conv.ts ConvGeom): sizes, strides, dilations, padding before. */
export interface ConvShape {
  readonly n: number;
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly OH: number;
  readonly OW: number;
  readonly OC: number;
  readonly kH: number;
  readonly kW: number;
  readonly sH: number;
  readonly sW: number;
  readonly dH: number;
  readonly dW: number;
  readonly padT: number;
  readonly padL: number;
  /**
   * Padding after, where it is not padT/padL (TensorFlow's SAME with an odd total pads one more after): only
   * cuDNN's graph API takes it; the legacy API sees an input padded after instead.
   */
  readonly padB?: number;
  readonly padR?: number;
}
/** A pooling window's geometry (kernels/pool.ts PoolGeom). */
export interface PoolShape {
  readonly n: number;
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly OH: number;
  readonly OW: number;
  readonly kH: number;
  readonly kW: number;
  readonly sH: number;
  readonly sW: number;
  readonly padT: number;
  readonly padL: number;
}

/**
 * cuDNN pads both sides by the same amount. TensorFlow's windows start at -padT too; its outputs equal
 * cuDNN's exactly when their counts agree (the extra padding after a SAME window with odd total padding
 * gives TensorFlow one more output, which cuDNN makes only from an input padded after: extraAfter).
 */
const sameCount = (inSize: number, pad: number, k: number, d: number, s: number, out: number, padAfter = pad) =>
  Math.floor((inSize + pad + padAfter - ((k - 1) * d + 1)) / s) + 1 === out;

interface ConvPlan {
  readonly a: Ptr;
  readonly b: Ptr;
  readonly out: Ptr;
  readonly conv: Ptr;
  readonly algo: number;
  readonly workspace: number;
}
interface PoolPlan {
  readonly x: Ptr;
  readonly y: Ptr;
  readonly fwd: Ptr;
  readonly bwd: Ptr;
}
interface AlgoResult {
  algo: number;
  status: number;
  time: number;
  memory: number;
  determinism: number;
  mathType: number;
}

/** Counters for tests and benchmarks: what ran through cuDNN, and what was chosen per shape. */
export interface CudnnStats {
  forward: number;
  backwardData: number;
  backwardFilter: number;
  poolForward: number;
  poolBackward: number;
  /** LSTM sequences through cuDNN's RNN API (cudnn_rnn.ts): forward passes and gradients. */
  rnnForward: number;
  rnnBackward: number;
  /** Algorithm searches by timing (cudnnFind*Ex) and by heuristic (while capturing). */
  finds: number;
  heuristics: number;
  /**
   * Convolutions run through cuDNN's graph API (cudnn_graph.ts; also counted in forward, backwardData and
   * backwardFilter), keys autotuned there and planned untimed (while capturing), and keys whose graph-API
   * plan failed (the legacy API took them).
   */
  graphForward: number;
  graphBackwardData: number;
  graphBackwardFilter: number;
  graphTunes: number;
  graphHeuristics: number;
  graphFallbacks: number;
  /** Per plan key: the algorithm chosen and the measured alternatives (TSFLOW_DEBUG=cuda prints them). */
  readonly choices: Map<string, string>;
}

/**
 * Lets a profiler time each cuDNN call (bench/gpu_profile.ts, KERNELS=1): `around` runs the call.
 * null: calls run directly.
 */
export const cudnnTrace: { around: ((name: string, call: () => void) => void) | null } = { around: null };

/** One device's cuDNN handle, with its descriptor and algorithm caches. */
export class Cudnn {
  readonly handle: Ptr;
  readonly stats: CudnnStats = {
    forward: 0,
    backwardData: 0,
    backwardFilter: 0,
    poolForward: 0,
    poolBackward: 0,
    rnnForward: 0,
    rnnBackward: 0,
    finds: 0,
    heuristics: 0,
    graphForward: 0,
    graphBackwardData: 0,
    graphBackwardFilter: 0,
    graphTunes: 0,
    graphHeuristics: 0,
    graphFallbacks: 0,
    choices: new Map(),
  };
  /** Per shape signature and dtype: the tensor and filter descriptors (x, y, filter). */
  readonly #tensors = new Map<string, { x: Ptr; y: Ptr; w: Ptr }>();
  /** Per direction, signature, dtype and TF32: the plan, or null where cuDNN declined. */
  readonly #plans = new Map<string, ConvPlan | null>();
  readonly #pools = new Map<string, PoolPlan | null>();
  readonly #one32 = new Float32Array([1]);
  readonly #zero32 = new Float32Array([0]);
  readonly #one64 = new Float64Array([1]);
  readonly #zero64 = new Float64Array([0]);
  readonly #perf = new Uint8Array(PERF_BYTES * MAX_ALGOS);

  constructor(
    readonly lib: CudnnLib,
    readonly b: KernelContext,
  ) {
    b.ctx.makeCurrent();
    const h: Ptr[] = [null];
    this.check("cudnnCreate", lib.cudnnCreate(h));
    this.handle = h[0];
    this.check("cudnnSetStream", lib.cudnnSetStream(this.handle, b.ctx.stream));
  }

  /** Throws an InternalError naming the call and cuDNN's status unless it succeeded. */
  check(call: string, r: unknown): void {
    if (r === CUDNN_STATUS_SUCCESS) return;
    const code = r as number;
    let name = STATUS[code];
    if (name === undefined) {
      try {
        name = String(this.lib.cudnnGetErrorString(code));
      } catch {
        name = "unknown status";
      }
    }
    throw new InternalError(`cuDNN error in ${call}: ${name} (${code})`);
  }

  /** A new descriptor from a cudnnCreate*Descriptor function. */
  create(call: string, fn: Fn): Ptr {
    const out: Ptr[] = [null];
    this.check(call, fn(out));
    return out[0];
  }

  /** An NHWC tensor descriptor (strides of channels-last data). */
  #tensor(type: number, n: number, h: number, w: number, c: number): Ptr {
    const d = this.create("cudnnCreateTensorDescriptor", this.lib.cudnnCreateTensorDescriptor);
    this.check("cudnnSetTensor4dDescriptorEx", this.lib.cudnnSetTensor4dDescriptorEx(d, type, n, c, h, w, h * w * c, 1, w * c, c));
    return d;
  }

  #tensors4(g: ConvShape, dtype: DType): { x: Ptr; y: Ptr; w: Ptr } {
    const key = `${dtype}|${g.n},${g.H},${g.W},${g.C}|${g.OH},${g.OW},${g.OC}|${g.kH},${g.kW}`;
    let t = this.#tensors.get(key);
    if (!t) {
      const type = dataType(dtype);
      const w = this.create("cudnnCreateFilterDescriptor", this.lib.cudnnCreateFilterDescriptor);
      // CUDNN_TENSOR_NHWC for a filter is KRSC: [out, kH, kW, in].
      this.check("cudnnSetFilter4dDescriptor", this.lib.cudnnSetFilter4dDescriptor(w, type, CUDNN_TENSOR_NHWC, g.OC, g.C, g.kH, g.kW));
      t = { x: this.#tensor(type, g.n, g.H, g.W, g.C), y: this.#tensor(type, g.n, g.OH, g.OW, g.OC), w };
      this.#tensors.set(key, t);
    }
    return t;
  }

  static convKey(dir: Dir, g: ConvShape, dtype: DType, tf32: boolean, deterministic: boolean): string {
    return `${DIR_NAMES[dir]}|${dtype}${dtype === "float32" && tf32 ? "+tf32" : ""}${deterministic ? "+det" : ""}|x${g.n},${g.H},${g.W},${g.C}|f${g.kH},${g.kW},${g.OC}|s${g.sH},${g.sW}|d${g.dH},${g.dW}|p${g.padT},${g.padL}${g.padB === undefined ? "" : `|q${g.padB},${g.padR}`}`;
  }

  /** The cached plan: undefined when not yet made, null when cuDNN declined the case. */
  cached(key: string): ConvPlan | null | undefined {
    return this.#plans.get(key);
  }

  /**
   * The plan of a convolution, made on first use: descriptors, then the algorithm (timed on the given
   * buffers, which the search may overwrite: only outputs are, and they are written again after).
   */
  plan(dir: Dir, key: string, g: ConvShape, dtype: DType, tf32: boolean, a: number, bPtr: number, out: number): ConvPlan | null {
    const hit = this.#plans.get(key);
    if (hit !== undefined) return hit;
    const t = this.#tensors4(g, dtype);
    const conv = this.create("cudnnCreateConvolutionDescriptor", this.lib.cudnnCreateConvolutionDescriptor);
    this.check(
      "cudnnSetConvolution2dDescriptor",
      this.lib.cudnnSetConvolution2dDescriptor(conv, g.padT, g.padL, g.sH, g.sW, g.dH, g.dW, CUDNN_CROSS_CORRELATION, computeDataType(dtype)),
    );
    // TF32 off: FMA math only (no tensor-core rounding of float32 inputs). float16/bfloat16 ask for tensor
    // cores outright: under the default math the H200 run timed only non-tensor-core algorithms for them
    // (about 25 TFLOP/s on ResNet-18's 3x3 convolutions, 2026-12-03).
    const fp32Exact = dtype === "float32" && !tf32;
    const math = fp32Exact ? CUDNN_FMA_MATH : dtype === "float16" || dtype === "bfloat16" ? CUDNN_TENSOR_OP_MATH : CUDNN_DEFAULT_MATH;
    this.check("cudnnSetConvolutionMathType", this.lib.cudnnSetConvolutionMathType(conv, math));
    const [A, B, O] = dir === 0 ? [t.x, t.w, t.y] : dir === 1 ? [t.w, t.y, t.x] : [t.x, t.y, t.w];
    const results = this.b.capturing ? this.#heuristic(dir, A, B, conv, O) : this.#find(dir, A, a, B, bPtr, conv, O, out);
    const ok = results.filter((r) => r.status === CUDNN_STATUS_SUCCESS && r.memory <= workspaceLimit());
    // Find and the heuristic both list the fastest first. As in TensorFlow, an algorithm whose sums may land in
    // a different order from run to run (atomics) is taken unless op determinism is enabled.
    const pick = getSetting("opDeterminism") ? ok.find((r) => r.determinism === CUDNN_DETERMINISTIC) : ok[0];
    let plan: ConvPlan | null = null;
    if (pick) {
      if (!fp32Exact && pick.mathType !== math) {
        this.check("cudnnSetConvolutionMathType", this.lib.cudnnSetConvolutionMathType(conv, pick.mathType));
      }
      plan = { a: A, b: B, out: O, conv, algo: pick.algo, workspace: pick.memory };
    }
    const desc = results
      .map(
        (r) =>
          `${r.algo}${r.status === 0 ? "" : `!${r.status}`}${r.determinism === CUDNN_DETERMINISTIC ? "" : "nd"}${r.time >= 0 ? `:${(r.time * 1000).toFixed(1)}us` : ""}${r.memory > 0 ? `/${(r.memory / 2 ** 20).toFixed(1)}MiB` : ""}`,
      )
      .join(" ");
    this.stats.choices.set(key, `${pick ? `algo ${pick.algo}` : "none"} of [${desc}]`);
    if (debugOn("cuda")) process.stderr.write(`tsflow cuda: cuDNN ${key}: ${this.stats.choices.get(key)}\n`);
    this.#plans.set(key, plan);
    return plan;
  }

  #results(n: number): AlgoResult[] {
    const dv = new DataView(this.#perf.buffer);
    const out: AlgoResult[] = [];
    for (let i = 0; i < n; i++) {
      const o = i * PERF_BYTES;
      out.push({
        algo: dv.getInt32(o, true),
        status: dv.getInt32(o + 4, true),
        time: dv.getFloat32(o + 8, true),
        memory: Number(dv.getBigUint64(o + 16, true)),
        determinism: dv.getInt32(o + 24, true),
        mathType: dv.getInt32(o + 28, true),
      });
    }
    return out;
  }

  #heuristic(dir: Dir, A: Ptr, B: Ptr, conv: Ptr, O: Ptr): AlgoResult[] {
    this.stats.heuristics++;
    const n = [0];
    this.check(`cudnnGet${DIR_NAMES[dir]}Algorithm_v7`, this.lib.heuristic[dir](this.handle, A, B, conv, O, MAX_ALGOS, n, this.#perf));
    return this.#results(n[0]);
  }

  /** Times the algorithms on the real buffers, in a workspace from the caching allocator (synchronises). */
  #find(dir: Dir, A: Ptr, a: number, B: Ptr, bPtr: number, conv: Ptr, O: Ptr, out: number): AlgoResult[] {
    this.stats.finds++;
    const alloc = this.b.allocator;
    let ws = 0;
    // The limit's workspace, or as much of it as the device can give (halving down to 16 MiB, then none).
    let wsBytes = workspaceLimit();
    while (wsBytes > 0 && ws === 0) {
      try {
        ws = alloc.alloc(wsBytes, () => `cuDNN's workspace (${wsBytes} bytes)`);
      } catch {
        wsBytes = wsBytes > 2 ** 25 ? Math.floor(wsBytes / 2 ** 21) * 2 ** 20 : 0;
      }
    }
    try {
      const n = [0];
      // Twice: CUDA loads kernels lazily, on their first launch, and the first search's times include that.
      for (let i = 0; i < 2; i++) {
        this.check(
          `cudnnFind${DIR_NAMES[dir]}AlgorithmEx`,
          this.lib.find[dir](this.handle, A, a, B, bPtr, conv, O, out, MAX_ALGOS, n, this.#perf, ws, wsBytes),
        );
      }
      return this.#results(n[0]);
    } finally {
      if (ws !== 0) alloc.free(ws, wsBytes);
    }
  }

  /** Runs a planned convolution: out = op(a, b), workspace from the caching allocator (stream-ordered). */
  convolve(dir: Dir, p: ConvPlan, dtype: DType, a: number, bPtr: number, out: number): void {
    this.execute(dir, p, dtype, a, bPtr, out);
    if (dir === 0) this.stats.forward++;
    else if (dir === 1) this.stats.backwardData++;
    else this.stats.backwardFilter++;
  }

  /** convolve without counting (the graph API's autotuning times it against its engines). */
  execute(dir: Dir, p: ConvPlan, dtype: DType, a: number, bPtr: number, out: number): void {
    // alpha and beta are float for every type but double.
    const f32 = dtype !== "float64";
    const one = f32 ? this.#one32 : this.#one64;
    const zero = f32 ? this.#zero32 : this.#zero64;
    const alloc = this.b.allocator;
    const ws = p.workspace > 0 ? alloc.alloc(p.workspace, () => `cuDNN's workspace (${p.workspace} bytes)`) : 0;
    try {
      const call = () =>
        this.check(`cudnn${DIR_NAMES[dir]}`, this.lib.run[dir](this.handle, one, p.a, a, p.b, bPtr, p.conv, p.algo, ws, p.workspace, zero, p.out, out));
      if (cudnnTrace.around) cudnnTrace.around(`cudnn ${DIR_NAMES[dir]} algo ${p.algo}`, call);
      else call();
    } finally {
      if (ws !== 0) alloc.free(ws, p.workspace);
    }
  }

  /** Max pooling forward (dx null) or backward, or false where cuDNN declines the case. */
  pool(g: PoolShape, x: CudaHandle, y: CudaHandle, grad: { dy: CudaHandle; dx: CudaHandle } | null): boolean {
    const dtype = x.dtype;
    const key = `${dtype}|x${g.n},${g.H},${g.W},${g.C}|k${g.kH},${g.kW}|s${g.sH},${g.sW}|p${g.padT},${g.padL}`;
    let p = this.#pools.get(key);
    if (p === null) return false;
    if (p === undefined) {
      const type = dataType(dtype);
      const desc = (mode: number) => {
        const d = this.create("cudnnCreatePoolingDescriptor", this.lib.cudnnCreatePoolingDescriptor);
        this.check(
          "cudnnSetPooling2dDescriptor",
          this.lib.cudnnSetPooling2dDescriptor(d, mode, CUDNN_NOT_PROPAGATE_NAN, g.kH, g.kW, g.padT, g.padL, g.sH, g.sW),
        );
        return d;
      };
      // The gradient's deterministic mode routes each window's gradient to one maximum, as TensorFlow does.
      p = {
        x: this.#tensor(type, g.n, g.H, g.W, g.C),
        y: this.#tensor(type, g.n, g.OH, g.OW, g.C),
        fwd: desc(CUDNN_POOLING_MAX),
        bwd: desc(CUDNN_POOLING_MAX_DETERMINISTIC),
      };
      this.#pools.set(key, p);
    }
    const f32 = dtype !== "float64";
    const one = f32 ? this.#one32 : this.#one64;
    const zero = f32 ? this.#zero32 : this.#zero64;
    const plan = p;
    let r: unknown = CUDNN_STATUS_SUCCESS;
    const call = grad
      ? () => (r = this.lib.cudnnPoolingBackward(this.handle, plan.bwd, one, plan.y, y.ptr, plan.y, grad.dy.ptr, plan.x, x.ptr, zero, plan.x, grad.dx.ptr))
      : () => (r = this.lib.cudnnPoolingForward(this.handle, plan.fwd, one, plan.x, x.ptr, zero, plan.y, y.ptr));
    if (cudnnTrace.around) cudnnTrace.around(grad ? "cudnn PoolingBackward" : "cudnn PoolingForward", call);
    else call();
    if (notSupported(r as number)) {
      this.#pools.set(key, null);
      return false;
    }
    this.check(grad ? "cudnnPoolingBackward" : "cudnnPoolingForward", r);
    if (grad) this.stats.poolBackward++;
    else this.stats.poolForward++;
    return true;
  }
}

const instances = new WeakMap<KernelContext, Cudnn | null>();

/**
 * The device's cuDNN, created on first use; null when cuDNN is off (the cudnn setting), absent, or failed
 * to start (the reason then goes to cudnnUnavailableReason and, with TSFLOW_DEBUG=cuda, to stderr once).
 */
export function cudnnFor(b: KernelContext): Cudnn | null {
  if (!getSetting("cudnn")) return null;
  const known = instances.get(b);
  if (known !== undefined) return known;
  // cudnnCreate allocates device memory: never inside a capture (the step's first, uncaptured run starts it).
  if (b.capturing) return null;
  if (library === undefined) {
    try {
      library = loadCudnn(b.ctx.api.koffi, process.env);
    } catch (e) {
      library = `libcudnn.so.9: ${shortError(e)}`;
    }
  }
  let c: Cudnn | null = null;
  if (typeof library === "string") whyNot(library);
  else {
    try {
      c = new Cudnn(library, b);
    } catch (e) {
      library = `${library.path}: ${shortError(e)}`;
      whyNot(library);
    }
  }
  instances.set(b, c);
  return c;
}

/** Why cuDNN is not used (null when it is loaded, or not yet tried: call cudnnFor first). */
export function cudnnUnavailableReason(): string | null {
  if (!getSetting("cudnn")) return "turned off (the cudnn setting, TSFLOW_CUDNN=0)";
  return typeof library === "string" ? library : null;
}

/** The version of the loaded cuDNN (91400 for 9.14.0), or null. */
export function cudnnVersion(): number | null {
  return library !== undefined && typeof library !== "string" ? library.version : null;
}

// ---------------------------------------------------------------- the entry points kernels/conv.ts and kernels/pool.ts call

function usable(b: KernelContext, dtype: DType): Cudnn | null {
  if (dtype !== "float32" && dtype !== "float64" && dtype !== "float16" && dtype !== "bfloat16") return null;
  return cudnnFor(b);
}

function convFits(g: ConvShape): boolean {
  return (
    sameCount(g.H, g.padT, g.kH, g.dH, g.sH, g.OH, g.padB) &&
    sameCount(g.W, g.padL, g.kW, g.dW, g.sW, g.OW, g.padR) &&
    g.n * g.H * g.W * g.C <= INT_LIMIT &&
    g.n * g.OH * g.OW * g.OC <= INT_LIMIT &&
    g.kH * g.kW * g.C * g.OC <= INT_LIMIT
  );
}

/** HWIO [kH, kW, in, out] -> KRSC [out, kH, kW, in] (cuDNN's NHWC filter layout), as TensorFlow does. */
function toKRSC(b: KernelContext, g: ConvShape, f: CudaHandle): CudaHandle {
  const k = b.empty(f.dtype, [g.OC, g.kH, g.kW, g.C], "Conv2D");
  permuteInto(b, f, k, [3, 0, 1, 2]);
  return k;
}

/** KRSC -> HWIO. */
function fromKRSC(b: KernelContext, k: CudaHandle, f: CudaHandle): void {
  permuteInto(b, k, f, [1, 2, 3, 0]);
}

/**
 * Zeros to add after the input along one axis so that cuDNN's symmetric padding (`pad` both sides) gives
 * TensorFlow's output size: SAME with an odd total pads one more after than before (a 3x3 stride-2 SAME
 * convolution of an even size), as TensorFlow pads the input itself for cuDNN.
 */
function extraAfter(inSize: number, pad: number, k: number, d: number, s: number, out: number): number {
  const after = (out - 1) * s + (k - 1) * d + 1 - inSize - pad;
  return Math.max(0, after - pad);
}

/** x with `g2`'s extra rows and columns of zeros after each image (the padded input cuDNN sees). */
function padAfter(b: KernelContext, x: CudaHandle, g2: ConvShape): CudaHandle {
  const xp = b.empty(x.dtype, [g2.n, g2.H, g2.W, g2.C], "Conv2D");
  b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(xp.ptr, 0, xp.storage.bytes, b.ctx.stream));
  if (!stridedCopy(b, x, xp, x.shape.slice(), stridesOf(x.shape), stridesOf(xp.shape), 0, 0)) {
    throw new InternalError("Conv2D: the padded copy of the input for cuDNN was declined");
  }
  return xp;
}

/** Where the cudnnGraph setting sends a convolution key to cuDNN's graph API: its plans and its key there (per mode). */
interface GraphRoute {
  readonly graph: CudnnGraph;
  readonly mode: "on" | "auto";
  readonly key: string;
}

function graphRoute(c: Cudnn, dtype: DType, key: string): GraphRoute | null {
  const mode = getSetting("cudnnGraph");
  if (mode === "off" || tensorDataType(dtype) === null) return null;
  const graph = graphFor(c);
  return graph === null ? null : { graph, mode, key: `${key}|graph-${mode}` };
}

/**
 * The convolution through cuDNN's graph API: true when it ran there, false where the legacy API is to run
 * it (the key's graph-API plan failed, or, with cudnnGraph auto, the legacy algorithm timed faster). In
 * auto mode a key first met while capturing goes to the legacy API untimed and is decided on a later,
 * uncaptured call.
 */
function viaGraph(c: Cudnn, r: GraphRoute, dir: Dir, key: string, g: ConvShape, dtype: DType, tf32: boolean, a: number, bb: number, o: number): boolean {
  if (r.mode === "auto" && c.b.capturing && r.graph.cached(r.key) === undefined) return false;
  return runGraphPlan(r, dir, g, dtype, tf32, a, bb, o, () => {
    if (r.mode !== "auto") return null;
    const legacy = c.plan(dir, key, g, dtype, tf32, a, bb, o);
    return legacy ? () => c.execute(dir, legacy, dtype, a, bb, o) : null;
  });
}

/**
 * Runs the route's graph-API plan, made first where missing (timed against `rival()`'s run, if any): false
 * where the key has no plan, the pointers are misaligned for it, or its call failed (the key then leaves the
 * graph API).
 */
function runGraphPlan(
  r: GraphRoute,
  dir: Dir,
  g: ConvShape,
  dtype: DType,
  tf32: boolean,
  a: number,
  bb: number,
  o: number,
  rival: () => (() => void) | null,
): boolean {
  let p = r.graph.cached(r.key);
  if (p === undefined) p = r.graph.plan(dir, r.key, g, dtype, tf32, a, bb, o, rival());
  if (p === null || !CudnnGraph.aligned(a, bb, o)) return false;
  const plan = p;
  const call = () => r.graph.run(dir, plan, a, bb, o);
  try {
    if (cudnnTrace.around) cudnnTrace.around(`cudnn graph ${DIR_NAMES[dir]} ${plan.label}`, call);
    else call();
  } catch (e) {
    if (!(e instanceof BackendCallError)) throw e;
    r.graph.fail(r.key, e);
    return false;
  }
  return true;
}

/**
 * One convolution direction through cuDNN. `filter` is the HWIO filter (forward, input gradient) or the
 * HWIO filter gradient to write (filter gradient), moved through a KRSC scratch buffer. t1, t2: forward x -> y, input gradient dy -> dx, filter gradient x and dy. Returns false where cuDNN
 * declines the case (nothing written).
 */
function convolve(b: KernelContext, dir: Dir, g: ConvShape, dtype: DType, filter: CudaHandle, t1: CudaHandle, t2: CudaHandle): boolean {
  const c = usable(b, dtype);
  if (!c) return false;
  const eh = extraAfter(g.H, g.padT, g.kH, g.dH, g.sH, g.OH);
  const ew = extraAfter(g.W, g.padL, g.kW, g.dW, g.sW, g.OW);
  const copies = () => viaCopies(b, c, dir, g, eh, ew, dtype, filter, t1, t2);
  // The filter gradient keeps the copies: with the padding after given as post padding, an engine cuDNN's
  // timing picked in one run of several computed a wrong float32 filter gradient (gpu_cudnn's stride-2 SAME case).
  if ((eh === 0 && ew === 0) || dir === 2) return copies();
  return direct(b, c, dir, { ...g, padB: g.padT + eh, padR: g.padL + ew }, dtype, filter, t1, t2, copies) || copies();
}

/** The convolution on a KRSC copy of the filter and, where TensorFlow's SAME pads one more after, a padded copy of the input side. */
function viaCopies(
  b: KernelContext,
  c: Cudnn,
  dir: Dir,
  g: ConvShape,
  eh: number,
  ew: number,
  dtype: DType,
  filter: CudaHandle,
  t1: CudaHandle,
  t2: CudaHandle,
): boolean {
  const gc = eh === 0 && ew === 0 ? g : { ...g, H: g.H + eh, W: g.W + ew };
  if (!convFits(gc)) return false;
  const tf32 = getSetting("tf32");
  const key = Cudnn.convKey(dir, gc, dtype, tf32, getSetting("opDeterminism"));
  const route = graphRoute(c, dtype, key);
  if (c.cached(key) === null && (route === null || route.graph.cached(route.key) === null)) return false;
  const k = dir === 2 ? b.empty(dtype, [g.OC, g.kH, g.kW, g.C], "Conv2DBackpropFilter") : toKRSC(b, g, filter);
  // The input side (x, or dx to write) in cuDNN's geometry: padded after each image where gc says so.
  const xSide = dir === 1 ? t2 : t1;
  const xc = gc === g ? xSide : dir === 1 ? b.empty(dtype, [gc.n, gc.H, gc.W, gc.C], "Conv2DBackpropInput") : padAfter(b, xSide, gc);
  try {
    // Operands in the order of the cuDNN call: forward (x, w) -> y, data (w, dy) -> dx, filter (x, dy) -> dw.
    const [a, bb, o] = dir === 0 ? [xc.ptr, k.ptr, t2.ptr] : dir === 1 ? [k.ptr, t1.ptr, xc.ptr] : [xc.ptr, t2.ptr, k.ptr];
    if (route === null || !viaGraph(c, route, dir, key, gc, dtype, tf32, a, bb, o)) {
      const p = c.plan(dir, key, gc, dtype, tf32, a, bb, o);
      if (!p) return false;
      c.convolve(dir, p, dtype, a, bb, o);
    }
    if (dir === 2) fromKRSC(b, k, filter);
    if (dir === 1 && xc !== xSide && !stridedCopy(b, xc, xSide, xSide.shape.slice(), stridesOf(xc.shape), stridesOf(xSide.shape), 0, 0)) {
      throw new InternalError("Conv2DBackpropInput: the cropped copy of cuDNN's padded input gradient was declined");
    }
    return true;
  } finally {
    b.dispose(k);
    if (xc !== xSide) b.dispose(xc);
  }
}

/**
 * A convolution whose SAME padding is one more after than before (ResNet's 3x3 stride-2) through cuDNN's graph
 * API, which takes padding before and after apart: no padded copy of the input side (nor cropped copy of the
 * input gradient), where the legacy API needs them. False where no engine takes it, or where the way through
 * the copies timed faster: the caller then makes the copies. The plan is the fastest engine configuration timed
 * (untimed while capturing). Forward and input gradient only (see convolve). (A filter described in place as
 * HWIO by its strides, to skip the KRSC copy too, was tried: cuDNN 9's engines accepted it and computed wrong
 * results.)
 */
function direct(
  b: KernelContext,
  c: Cudnn,
  dir: Dir,
  g: ConvShape,
  dtype: DType,
  filter: CudaHandle,
  t1: CudaHandle,
  t2: CudaHandle,
  copies: () => boolean,
): boolean {
  if (!convFits(g)) return false;
  const tf32 = getSetting("tf32");
  const route = graphRoute(c, dtype, Cudnn.convKey(dir, g, dtype, tf32, getSetting("opDeterminism")));
  if (route === null || route.graph.cached(route.key) === null) return false;
  const k = toKRSC(b, g, filter);
  try {
    // Operands in the order of the cuDNN call: forward (x, w) -> y, data (w, dy) -> dx.
    const [a, bb, o] = dir === 0 ? [t1.ptr, k.ptr, t2.ptr] : [k.ptr, t1.ptr, t2.ptr];
    // With cudnnGraph "auto" the way through the copies (the legacy API's fastest algorithm, or the graph API's
    // on the copies) is timed as the rival, copies included, without counting its runs as calls.
    const rival = () => (route.mode === "auto" && !c.b.capturing ? () => uncounted(c, copies) : null);
    return runGraphPlan(route, dir, g, dtype, tf32, a, bb, o, rival);
  } finally {
    b.dispose(k);
  }
}

/** Runs `run` (a timed rival) leaving the call counters as they were; throws where cuDNN declined. */
function uncounted(c: Cudnn, run: () => boolean): void {
  const s = c.stats;
  const before = [s.forward, s.backwardData, s.backwardFilter, s.graphForward, s.graphBackwardData, s.graphBackwardFilter];
  try {
    if (!run()) throw new Error("cuDNN declined the convolution on the copies");
  } finally {
    [s.forward, s.backwardData, s.backwardFilter, s.graphForward, s.graphBackwardData, s.graphBackwardFilter] = before;
  }
}

/** y = conv2d(x, f) (NHWC, HWIO): true when cuDNN computed it. */
export function cudnnConv2d(b: KernelContext, g: ConvShape, x: CudaHandle, f: CudaHandle, y: CudaHandle): boolean {
  return convolve(b, 0, g, x.dtype, f, x, y);
}

/** dx = the input gradient of conv2d for dy: true when cuDNN computed it. */
export function cudnnConv2dBackpropInput(b: KernelContext, g: ConvShape, f: CudaHandle, dy: CudaHandle, dx: CudaHandle): boolean {
  return convolve(b, 1, g, dy.dtype, f, dy, dx);
}

/** df (HWIO) = the filter gradient of conv2d for x and dy: true when cuDNN computed it. */
export function cudnnConv2dBackpropFilter(b: KernelContext, g: ConvShape, x: CudaHandle, dy: CudaHandle, df: CudaHandle): boolean {
  return convolve(b, 2, g, x.dtype, df, x, dy);
}

function poolFits(g: PoolShape): boolean {
  return (
    sameCount(g.H, g.padT, g.kH, 1, g.sH, g.OH) &&
    sameCount(g.W, g.padL, g.kW, 1, g.sW, g.OW) &&
    g.padT < g.kH &&
    g.padL < g.kW &&
    g.n * g.H * g.W * g.C <= INT_LIMIT
  );
}

/** y = max pooling of x: true when cuDNN computed it. */
export function cudnnMaxPool(b: KernelContext, g: PoolShape, x: CudaHandle, y: CudaHandle): boolean {
  const c = usable(b, x.dtype);
  return c !== null && poolFits(g) && c.pool(g, x, y, null);
}

/**
 * dx = the gradient of max pooling (x, its output y, dy): true when cuDNN computed it. kernels/pool.ts does not call
 * it (slower than its own kernel); bench/gpu_cudnn_bench.ts and the tests do.
 */
export function cudnnMaxPoolGrad(b: KernelContext, g: PoolShape, x: CudaHandle, y: CudaHandle, dy: CudaHandle, dx: CudaHandle): boolean {
  const c = usable(b, x.dtype);
  return c !== null && poolFits(g) && c.pool(g, x, y, { dy, dx });
}
