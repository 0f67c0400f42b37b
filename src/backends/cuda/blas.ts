import { InternalError } from "../../core/errors.js";
import type { DeviceContext } from "./driver.js";
import type { Cublas, CublasLt, Ptr } from "./ffi.js";

const CUBLAS_OP_N = 0;
const CUBLAS_OP_T = 1;
const CUBLAS_DEFAULT_MATH = 0;
const CUBLAS_TF32_TENSOR_OP_MATH = 3;

// cuBLASLt enums (cublasLt.h, cublas_api.h, library_types.h).
const CUBLAS_COMPUTE_32F = 68;
const CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
const CUBLAS_COMPUTE_64F = 70;
const CUDA_R_32F = 0;
const CUDA_R_64F = 1;
const CUDA_R_16F = 2;
const CUDA_R_16BF = 14;
const CUBLAS_GEMM_DEFAULT = -1;

/** The dtypes cuBLAS multiplies: float16 and bfloat16 operands accumulate in float32 (on tensor cores). */
export type GemmDType = "float32" | "float64" | "float16" | "bfloat16";
const DATA_TYPE: Record<GemmDType, number> = { float32: CUDA_R_32F, float64: CUDA_R_64F, float16: CUDA_R_16F, bfloat16: CUDA_R_16BF };
const DESC_TRANSA = 3;
const DESC_TRANSB = 4;
const DESC_EPILOGUE = 7;
const DESC_BIAS_POINTER = 8;
/** cublasLtEpilogue_t: what cuBLASLt applies to D before storing it (0: nothing, 4: + bias per row, 6: then ReLU). */
export type LtEpilogue = 0 | 4 | 6;
export const EPILOGUE_BIAS: LtEpilogue = 4;
export const EPILOGUE_RELU_BIAS: LtEpilogue = 6;
const PREF_MAX_WORKSPACE_BYTES = 1;
/** sizeof(cublasLtMatmulHeuristicResult_t): the 64-byte algo, size_t workspaceSize, int state, float waves, int[4]. */
const HEURISTIC_BYTES = 96;
const WORKSPACE_BYTES = 32 * 2 ** 20;

/** A product of one shape, planned once: its descriptors and the algorithm cuBLASLt's heuristic chose. */
interface LtPlan {
  readonly desc: Ptr;
  readonly a: Ptr;
  readonly b: Ptr;
  readonly c: Ptr;
  readonly algo: Uint8Array;
}

const STATUS: Record<number, string> = {
  1: "CUBLAS_STATUS_NOT_INITIALIZED",
  3: "CUBLAS_STATUS_ALLOC_FAILED",
  7: "CUBLAS_STATUS_INVALID_VALUE",
  8: "CUBLAS_STATUS_ARCH_MISMATCH",
  11: "CUBLAS_STATUS_MAPPING_ERROR",
  13: "CUBLAS_STATUS_EXECUTION_FAILED",
  14: "CUBLAS_STATUS_INTERNAL_ERROR",
  15: "CUBLAS_STATUS_NOT_SUPPORTED",
};

/**
 * One cuBLAS handle bound to a device's stream. Matrices are row-major as in tsflow; cuBLAS is column-major,
 * so C = op(A)·op(B) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands are swapped and each row-major buffer
 * is read as its column-major transpose, which costs nothing.
 */
export class CublasHandle {
  readonly handle: Ptr;
  readonly version: number;
  #tf32: boolean | null = null;
  readonly #one32 = new Float32Array([1]);
  readonly #zero32 = new Float32Array([0]);
  readonly #one64 = new Float64Array([1]);
  readonly #zero64 = new Float64Array([0]);
  /** 32 MiB of device memory cuBLAS and cuBLASLt work in (0: none; cuBLAS then uses its own pool). */
  #workspace = 0;
  readonly #lt: { lib: CublasLt; handle: Ptr; pref: Ptr } | null = null;
  /** Per shape, dtype, transposes, precision and epilogue: the plan, or null where cuBLASLt declined (classic call). */
  readonly #plans = new Map<string, LtPlan | null>();
  /** The bias pointer handed to cublasLtMatmulDescSetAttribute (its address must stay valid only during the call). */
  readonly #biasPtr = new BigUint64Array(1);

  constructor(
    readonly lib: Cublas,
    readonly ctx: DeviceContext,
  ) {
    ctx.makeCurrent();
    const h: Ptr[] = [null];
    this.#check("cublasCreate", lib.cublasCreate(h));
    this.handle = h[0];
    this.#check("cublasSetStream", lib.cublasSetStream(this.handle, ctx.stream));
    const v = [0];
    this.#check("cublasGetVersion", lib.cublasGetVersion(this.handle, v));
    this.version = v[0];
    // A workspace of our own (32 MiB, what cuBLAS asks for on Hopper): with it cuBLAS allocates nothing while
    // a Session step is being captured into a CUDA graph. Without the entry point, cuBLAS's default pool.
    const p = [0];
    if (ctx.api.lib.cuMemAlloc(p, WORKSPACE_BYTES) === 0) this.#workspace = Number(p[0]);
    if (this.#workspace !== 0 && lib.cublasSetWorkspace && lib.cublasSetWorkspace(this.handle, this.#workspace, WORKSPACE_BYTES) !== 0) {
      // Without our workspace cuBLAS may allocate during a capture; cuBLASLt gets none either then.
      ctx.api.lib.cuMemFree(this.#workspace);
      this.#workspace = 0;
    }
    // cuBLASLt: the same products with descriptors and the algorithm made once per shape, and the bias and
    // ReLU epilogues graph mode fuses into them (gemmEpilogue). On the H100 machine a product cost 15-21 us
    // of host time through either API (bench/GPU_NOTES.md): the gain is the epilogues, not the call.
    if (lib.lt && this.#workspace !== 0) {
      const hl: Ptr[] = [null];
      const hp: Ptr[] = [null];
      if (lib.lt.cublasLtCreate(hl) === 0 && lib.lt.cublasLtMatmulPreferenceCreate(hp) === 0) {
        const ws = new BigUint64Array([BigInt(WORKSPACE_BYTES)]);
        if (lib.lt.cublasLtMatmulPreferenceSetAttribute(hp[0], PREF_MAX_WORKSPACE_BYTES, ws, 8) === 0) {
          this.#lt = { lib: lib.lt, handle: hl[0], pref: hp[0] };
        }
      }
    }
  }

  /** Whether products go through cuBLASLt (false: cublas<t>gemm for every call). */
  get usesLt(): boolean {
    return this.#lt !== null;
  }

  /**
   * The cuBLASLt plan for a column-major D[n,m] = op(B')·op(A') (see gemm), or null where cuBLASLt is absent
   * or finds no algorithm. Descriptors live as long as the handle: shapes in a program are few.
   */
  #plan(dtype: GemmDType, ta: boolean, tb: boolean, m: number, n: number, k: number, epilogue: LtEpilogue = 0, bias = 0): LtPlan | null {
    const lt = this.#lt;
    if (lt === null) return null;
    const tf32 = dtype === "float32" && this.#tf32 === true;
    const key = `${tf32 ? "tf32" : dtype}${ta ? "T" : "N"}${tb ? "T" : "N"}${m},${n},${k}${epilogue === 0 ? "" : `e${epilogue}`}`;
    const hit = this.#plans.get(key);
    if (hit !== undefined) return hit;
    let plan: LtPlan | null = null;
    try {
      plan = this.#makePlan(lt, dtype, tf32, ta, tb, m, n, k, epilogue, bias);
    } catch {
      plan = null;
    }
    this.#plans.set(key, plan);
    return plan;
  }

  #makePlan(
    lt: { lib: CublasLt; handle: Ptr; pref: Ptr },
    dtype: GemmDType,
    tf32: boolean,
    ta: boolean,
    tb: boolean,
    m: number,
    n: number,
    k: number,
    epilogue: LtEpilogue,
    bias: number,
  ): LtPlan | null {
    const L = lt.lib;
    const type = DATA_TYPE[dtype];
    const f64 = dtype === "float64";
    const out: Ptr[] = [null];
    const made = (r: unknown): Ptr => {
      if (r !== 0) throw new InternalError(`cuBLASLt: status ${String(r)}`);
      return out[0];
    };
    // float16/bfloat16 operands: float32 accumulation and float32 alpha/beta, tensor cores chosen by the heuristic.
    const compute = f64 ? CUBLAS_COMPUTE_64F : tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    const desc = made(L.cublasLtMatmulDescCreate(out, compute, f64 ? CUDA_R_64F : CUDA_R_32F));
    const opA = new Int32Array([tb ? CUBLAS_OP_T : CUBLAS_OP_N]);
    const opB = new Int32Array([ta ? CUBLAS_OP_T : CUBLAS_OP_N]);
    made(L.cublasLtMatmulDescSetAttribute(desc, DESC_TRANSA, opA, 4));
    made(L.cublasLtMatmulDescSetAttribute(desc, DESC_TRANSB, opB, 4));
    if (epilogue !== 0) {
      made(L.cublasLtMatmulDescSetAttribute(desc, DESC_EPILOGUE, new Uint32Array([epilogue]), 4));
      // The heuristic reads the bias pointer's alignment: the first call's (allocator blocks are all aligned
      // alike), set again before every product.
      made(L.cublasLtMatmulDescSetAttribute(desc, DESC_BIAS_POINTER, new BigUint64Array([BigInt(bias)]), 8));
    }
    // Layouts describe the stored (column-major) matrices before op(): B' = b read as [n,k] (or [k,n]
    // transposed), A' = a as [k,m] (or [m,k]), D = c as [n,m].
    const a = made(L.cublasLtMatrixLayoutCreate(out, type, tb ? k : n, tb ? n : k, tb ? k : n));
    const b = made(L.cublasLtMatrixLayoutCreate(out, type, ta ? m : k, ta ? k : m, ta ? m : k));
    const c = made(L.cublasLtMatrixLayoutCreate(out, type, n, m, n));
    const results = new Uint8Array(HEURISTIC_BYTES);
    const found = [0];
    const r = L.cublasLtMatmulAlgoGetHeuristic(lt.handle, desc, a, b, c, c, lt.pref, 1, results, found);
    if (r !== 0 || found[0] < 1) return null;
    const dv = new DataView(results.buffer);
    if (dv.getInt32(72, true) !== 0 || Number(dv.getBigUint64(64, true)) > WORKSPACE_BYTES) return null;
    return { desc, a, b, c, algo: results.slice(0, 64) };
  }

  /**
   * Row-major C[m,n] = op(A)·op(B) + bias[n] (then ReLU with EPILOGUE_RELU_BIAS) in one cuBLASLt call: D[n,m]
   * is C read column-major, so D's rows are C's columns and the epilogue's per-row bias is the per-feature
   * bias. false where cuBLASLt is absent or has no algorithm for it (the caller computes it another way).
   * Nothing is allocated or synchronised (the plan is made on a step's first, uncaptured run).
   */
  gemmEpilogue(
    dtype: GemmDType,
    ta: boolean,
    tb: boolean,
    m: number,
    n: number,
    k: number,
    a: number,
    b: number,
    c: number,
    bias: number,
    epilogue: LtEpilogue,
  ): boolean {
    const f64 = dtype === "float64";
    const plan = this.#plan(dtype, ta, tb, m, n, k, epilogue, bias);
    if (plan === null) return false;
    const lt = this.#lt!;
    // A descriptor attribute, not an argument: set for this call's bias (a host-side store, no device work).
    this.#biasPtr[0] = BigInt(bias);
    this.#check("cublasLtMatmulDescSetAttribute", lt.lib.cublasLtMatmulDescSetAttribute(plan.desc, DESC_BIAS_POINTER, this.#biasPtr, 8));
    this.#ltMatmul(plan, f64 ? this.#one64 : this.#one32, f64 ? this.#zero64 : this.#zero32, a, b, c);
    return true;
  }

  /** D = alpha·op(B')·op(A') + beta·D with a plan's descriptors and algorithm (operands swapped as in gemm). */
  #ltMatmul(plan: LtPlan, alpha: Float32Array | Float64Array, beta: Float32Array | Float64Array, a: number, b: number, c: number): void {
    const lt = this.#lt!;
    const r = lt.lib.cublasLtMatmul(
      lt.handle,
      plan.desc,
      alpha,
      b,
      plan.a,
      a,
      plan.b,
      beta,
      c,
      plan.c,
      c,
      plan.c,
      plan.algo,
      this.#workspace,
      WORKSPACE_BYTES,
      this.ctx.stream,
    );
    if (r !== 0) this.#check("cublasLtMatmul", r);
  }

  #check(call: string, r: unknown): void {
    if (r !== 0) throw new InternalError(`cuBLAS error in ${call}: ${STATUS[r as number] ?? `status ${String(r)}`}`);
  }

  /** TF32 tensor-core math for float32 products (TensorFlow's default: on). */
  setTf32(on: boolean): void {
    if (this.#tf32 === on) return;
    this.#check("cublasSetMathMode", this.lib.cublasSetMathMode(this.handle, on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    this.#tf32 = on;
  }

  /**
   * Row-major C[m,n] = op(A)[m,k]·op(B)[k,n] for `batch` matrices at the given element strides (0 repeats
   * one matrix for every batch). A is [k,m] when ta, B is [n,k] when tb. `accumulate` adds to C instead.
   */
  gemm(
    dtype: GemmDType,
    ta: boolean,
    tb: boolean,
    m: number,
    n: number,
    k: number,
    a: number,
    b: number,
    c: number,
    batch = 1,
    strideA = 0,
    strideB = 0,
    strideC = 0,
    accumulate = false,
  ): void {
    const lda = ta ? m : k;
    const ldb = tb ? k : n;
    const opA = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    const opB = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
    const L = this.lib;
    const f32 = dtype !== "float64";
    const one = f32 ? this.#one32 : this.#one64;
    // accumulate: C += op(A)·op(B) (beta = 1), for products split into chunks along k.
    const zero = accumulate ? one : f32 ? this.#zero32 : this.#zero64;
    let r: unknown;
    const plan = batch === 1 ? this.#plan(dtype, ta, tb, m, n, k) : null;
    if (plan !== null) {
      this.#ltMatmul(plan, one, zero, a, b, c);
      return;
    }
    if (dtype === "float16" || dtype === "bfloat16") {
      const t = DATA_TYPE[dtype];
      r =
        batch === 1
          ? L.cublasGemmEx(this.handle, opA, opB, n, m, k, one, b, t, ldb, a, t, lda, zero, c, t, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT)
          : L.cublasGemmStridedBatchedEx(
              this.handle,
              opA,
              opB,
              n,
              m,
              k,
              one,
              b,
              t,
              ldb,
              strideB,
              a,
              t,
              lda,
              strideA,
              zero,
              c,
              t,
              n,
              strideC,
              batch,
              CUBLAS_COMPUTE_32F,
              CUBLAS_GEMM_DEFAULT,
            );
      if (r !== 0) this.#check(batch === 1 ? "cublasGemmEx" : "cublasGemmStridedBatchedEx", r);
      return;
    }
    if (batch === 1) {
      r = (f32 ? L.cublasSgemm : L.cublasDgemm)(this.handle, opA, opB, n, m, k, one, b, ldb, a, lda, zero, c, n);
    } else {
      r = (f32 ? L.cublasSgemmStridedBatched : L.cublasDgemmStridedBatched)(
        this.handle,
        opA,
        opB,
        n,
        m,
        k,
        one,
        b,
        ldb,
        strideB,
        a,
        lda,
        strideA,
        zero,
        c,
        n,
        strideC,
        batch,
      );
    }
    if (r !== 0) this.#check(f32 ? "cublasSgemm" : "cublasDgemm", r);
  }
}
