import { InternalError } from "../../core/errors.js";
import type { DeviceContext } from "./driver.js";
import type { Cublas, Ptr } from "./ffi.js";

const CUBLAS_OP_N = 0;
const CUBLAS_OP_T = 1;
const CUBLAS_DEFAULT_MATH = 0;
const CUBLAS_TF32_TENSOR_OP_MATH = 3;

const STATUS: Record<number, string> = {
  1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED", 7: "CUBLAS_STATUS_INVALID_VALUE",
  8: "CUBLAS_STATUS_ARCH_MISMATCH", 11: "CUBLAS_STATUS_MAPPING_ERROR", 13: "CUBLAS_STATUS_EXECUTION_FAILED",
  14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED",
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

  constructor(readonly lib: Cublas, readonly ctx: DeviceContext) {
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
    if (lib.cublasSetWorkspace) {
      const p = [0];
      const bytes = 32 * 2 ** 20;
      if (ctx.api.lib.cuMemAlloc(p, bytes) === 0 && lib.cublasSetWorkspace(this.handle, Number(p[0]), bytes) !== 0) {
        ctx.api.lib.cuMemFree(Number(p[0]));
      }
    }
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
    dtype: "float32" | "float64", ta: boolean, tb: boolean, m: number, n: number, k: number,
    a: number, b: number, c: number, batch = 1, strideA = 0, strideB = 0, strideC = 0, accumulate = false,
  ): void {
    const lda = ta ? m : k;
    const ldb = tb ? k : n;
    const opA = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    const opB = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
    const L = this.lib;
    const f32 = dtype === "float32";
    const one = f32 ? this.#one32 : this.#one64;
    // accumulate: C += op(A)·op(B) (beta = 1), for products split into chunks along k.
    const zero = accumulate ? one : f32 ? this.#zero32 : this.#zero64;
    let r: unknown;
    if (batch === 1) {
      r = (f32 ? L.cublasSgemm : L.cublasDgemm)(this.handle, opA, opB, n, m, k, one, b, ldb, a, lda, zero, c, n);
    } else {
      r = (f32 ? L.cublasSgemmStridedBatched : L.cublasDgemmStridedBatched)(
        this.handle, opA, opB, n, m, k, one, b, ldb, strideB, a, lda, strideA, zero, c, n, strideC, batch,
      );
    }
    if (r !== 0) this.#check(f32 ? "cublasSgemm" : "cublasDgemm", r);
  }
}
