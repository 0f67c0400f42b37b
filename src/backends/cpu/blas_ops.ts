import { InternalError } from "../../core/errors.js";
import { getBlas } from "./blas.js";

/**
 * Level-1/2 BLAS entry points for CPU kernels: y += alpha·x (axpy), x *= alpha (scal), the
 * matrix-vector product (gemv) and an out-of-place matrix transpose (OpenBLAS's omatcopy), on Float32Array/Float64Array with offsets into the arrays (no copies:
 * BLAS gets subarray views). They go to the loaded CBLAS when it exports the routine and the problem is
 * large enough to pay for the FFI call (~0.3 µs); otherwise to the TypeScript loops below, which are
 * also the reference the BLAS paths are tested against. Unit increments only. Extents are checked
 * before any pointer goes to C.
 */
export type FloatArray = Float32Array | Float64Array;

/** Below these many elements (axpy/scal: n; gemv: m·n) the TypeScript loop beats the FFI call. */
export const BLAS_MIN_VEC = 256;
export const BLAS_MIN_GEMV = 512;
/** transpose: rows·cols from which the BLAS call is used. */
export const BLAS_MIN_TRANSPOSE = 256;

function checkVec(op: string, what: string, len: number, off: number, n: number): void {
  if (!Number.isInteger(off) || off < 0 || off + n > len) {
    throw new InternalError(`${op}: ${what} of ${n} elements at offset ${off} does not fit in ${len} elements`);
  }
}

// ---------------------------------------------------------------- TypeScript reference loops

export function axpyRef(n: number, alpha: number, x: FloatArray, xOff: number, y: FloatArray, yOff: number): void {
  if (alpha === 1) for (let i = 0; i < n; i++) y[yOff + i] += x[xOff + i];
  else for (let i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
}

export function scalRef(n: number, alpha: number, x: FloatArray, xOff: number): void {
  // As in BLAS, alpha = 0 zeroes x (NaNs included).
  if (alpha === 0) x.fill(0, xOff, xOff + n);
  else for (let i = 0; i < n; i++) x[xOff + i] *= alpha;
}

/**
 * Row-major y = alpha·op(A)·x + beta·y, A stored [m, n] with row stride lda; op(A) is A ([m, n], x has n
 * elements, y m) or Aᵀ ([n, m], x has m, y n). beta = 0 overwrites y without reading it. Sums in float64.
 */
export function gemvRef(
  transA: boolean,
  m: number,
  n: number,
  alpha: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  x: FloatArray,
  xOff: number,
  beta: number,
  y: FloatArray,
  yOff: number,
): void {
  if (!transA) {
    for (let i = 0; i < m; i++) {
      const r = aOff + i * lda;
      let s = 0;
      for (let j = 0; j < n; j++) s += a[r + j] * x[xOff + j];
      y[yOff + i] = beta === 0 ? alpha * s : alpha * s + beta * y[yOff + i];
    }
    return;
  }
  // y[j] = alpha·Σ_i A[i, j]·x[i] + beta·y[j]: walk A by rows (contiguous) into a float64 accumulator.
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const r = aOff + i * lda;
    const xi = x[xOff + i];
    if (xi === 0) continue;
    for (let j = 0; j < n; j++) acc[j] += a[r + j] * xi;
  }
  for (let j = 0; j < n; j++) y[yOff + j] = beta === 0 ? alpha * acc[j] : alpha * acc[j] + beta * y[yOff + j];
}

/**
 * B[j, i] = A[i, j]: A stored row-major [rows, cols] with row stride lda, B [cols, rows] with row
 * stride ldb. Walked in 32x32 tiles so that neither side strides through memory element by element.
 */
export function transposeRef(rows: number, cols: number, a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number): void {
  const T = 32;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(rows, i0 + T);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(cols, j0 + T);
      for (let j = j0; j < j1; j++) {
        const bo = bOff + j * ldb;
        for (let i = i0; i < i1; i++) b[bo + i] = a[aOff + i * lda + j];
      }
    }
  }
}

// ---------------------------------------------------------------- dispatch

/** y[yOff .. yOff+n) += alpha · x[xOff .. xOff+n). */
export function axpy(n: number, alpha: number, x: FloatArray, xOff: number, y: FloatArray, yOff: number): void {
  if (n <= 0) return;
  checkVec("axpy", "x", x.length, xOff, n);
  checkVec("axpy", "y", y.length, yOff, n);
  if (n >= BLAS_MIN_VEC) {
    const blas = getBlas();
    if (blas !== null) {
      if (x instanceof Float32Array && y instanceof Float32Array && blas.saxpy) return blas.saxpy(n, alpha, x, xOff, y, yOff);
      if (x instanceof Float64Array && y instanceof Float64Array && blas.daxpy) return blas.daxpy(n, alpha, x, xOff, y, yOff);
    }
  }
  axpyRef(n, alpha, x, xOff, y, yOff);
}

/** x[xOff .. xOff+n) *= alpha. */
export function scal(n: number, alpha: number, x: FloatArray, xOff: number): void {
  if (n <= 0) return;
  checkVec("scal", "x", x.length, xOff, n);
  if (n >= BLAS_MIN_VEC) {
    const blas = getBlas();
    if (blas !== null) {
      if (x instanceof Float32Array && blas.sscal) return blas.sscal(n, alpha, x, xOff);
      if (x instanceof Float64Array && blas.dscal) return blas.dscal(n, alpha, x, xOff);
    }
  }
  scalRef(n, alpha, x, xOff);
}

/**
 * Below this many multiply-adds a BLAS call runs on one thread: waking OpenBLAS's sleeping pool costs more
 * than such a call (a 64x120x84 sgemm in a LeNet step: 0.35 ms on two threads, 0.017 ms on one; LeNet-5's
 * bias gradients, a dozen short gemv calls a step beside the WebAssembly workers: 2.0 ms, on one 0.2).
 */
export const SINGLE_THREAD_MACS = 4_000_000;

/** Row-major y = alpha·op(A)·x + beta·y; see gemvRef for the shapes. */
export function gemv(
  transA: boolean,
  m: number,
  n: number,
  alpha: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  x: FloatArray,
  xOff: number,
  beta: number,
  y: FloatArray,
  yOff: number,
): void {
  const yLen = transA ? n : m;
  const xLen = transA ? m : n;
  if (yLen <= 0) return;
  checkVec("gemv", "x", x.length, xOff, xLen);
  checkVec("gemv", "y", y.length, yOff, yLen);
  if (xLen === 0) {
    if (beta === 0) y.fill(0, yOff, yOff + yLen);
    else if (beta !== 1) scalRef(yLen, beta, y, yOff);
    return;
  }
  if (!Number.isInteger(aOff) || aOff < 0 || lda < Math.max(1, n) || aOff + (m - 1) * lda + n > a.length) {
    throw new InternalError(`gemv: A of ${m}x${n} (row stride ${lda}) at offset ${aOff} does not fit in ${a.length} elements`);
  }
  if (m * n >= BLAS_MIN_GEMV) {
    const blas = getBlas();
    if (blas !== null) {
      const threads = m * n < SINGLE_THREAD_MACS ? 1 : Number.POSITIVE_INFINITY;
      if (a instanceof Float32Array && x instanceof Float32Array && y instanceof Float32Array && blas.sgemv) {
        const sgemv = blas.sgemv;
        return withBlasThreads(threads, () => sgemv(transA, m, n, alpha, a, aOff, lda, x, xOff, beta, y, yOff));
      }
      if (a instanceof Float64Array && x instanceof Float64Array && y instanceof Float64Array && blas.dgemv) {
        const dgemv = blas.dgemv;
        return withBlasThreads(threads, () => dgemv(transA, m, n, alpha, a, aOff, lda, x, xOff, beta, y, yOff));
      }
    }
  }
  gemvRef(transA, m, n, alpha, a, aOff, lda, x, xOff, beta, y, yOff);
}

/** Out-of-place transpose B = Aᵀ (see transposeRef); A and B must not overlap. */
export function transpose(rows: number, cols: number, a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number): void {
  if (rows <= 0 || cols <= 0) return;
  if (!Number.isInteger(aOff) || aOff < 0 || lda < cols || aOff + (rows - 1) * lda + cols > a.length) {
    throw new InternalError(`transpose: A of ${rows}x${cols} (row stride ${lda}) at offset ${aOff} does not fit in ${a.length} elements`);
  }
  if (!Number.isInteger(bOff) || bOff < 0 || ldb < rows || bOff + (cols - 1) * ldb + rows > b.length) {
    throw new InternalError(`transpose: B of ${cols}x${rows} (row stride ${ldb}) at offset ${bOff} does not fit in ${b.length} elements`);
  }
  if (rows === 1 && cols === 1) {
    b[bOff] = a[aOff];
    return;
  }
  if (rows * cols >= BLAS_MIN_TRANSPOSE) {
    const blas = getBlas();
    if (blas !== null) {
      if (a instanceof Float32Array && b instanceof Float32Array && blas.somatcopyT) return blas.somatcopyT(rows, cols, a, aOff, lda, b, bOff, ldb);
      if (a instanceof Float64Array && b instanceof Float64Array && blas.domatcopyT) return blas.domatcopyT(rows, cols, a, aOff, lda, b, bOff, ldb);
    }
  }
  transposeRef(rows, cols, a, aOff, lda, b, bOff, ldb);
}

/**
 * Runs fn with the BLAS limited to at most n threads (OpenBLAS), restoring the previous count after.
 * For products whose threaded split costs more than it gains: OpenBLAS splits a gemm along m and n, so
 * with a tiny output (e.g. a 25x6 filter gradient summed over 65,000 positions) both threads re-read the
 * whole long operand; measured 2x slower than one thread. Setting the count is two cheap FFI calls.
 */
export function withBlasThreads<T>(n: number, fn: () => T): T {
  const blas = getBlas();
  if (blas === null || !blas.setThreads || !blas.getThreads) return fn();
  const prev = blas.getThreads();
  if (prev <= n) return fn();
  blas.setThreads(n);
  try {
    return fn();
  } finally {
    blas.setThreads(prev);
  }
}
