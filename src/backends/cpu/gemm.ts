import { SINGLE_THREAD_MACS, withBlasThreads } from "./blas_ops.js";
import { InternalError } from "../../core/errors.js";
import { getSetting } from "../../core/settings.js";
import { getBlas } from "./blas.js";
import { wasmGemm } from "./wasm/gemm_runtime.js";

/**
 * Row-major C[m,n] = op(A)[m,k] · op(B)[k,n] (+ beta·C) on float arrays: the one entry point every
 * CPU kernel that multiplies matrices (MatMul, convolutions) goes through, so that a BLAS loaded at
 * run time (./blas.ts) speeds all of them up. Offsets index into the arrays; lda/ldb/ldc are row
 * strides of the arrays as stored (default: packed, i.e. the stored row length).
 */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  a: Float32Array | Float64Array;
  aOffset?: number;
  /** Row stride of A as stored: default k, or m when transA. */
  lda?: number;
  b: Float32Array | Float64Array;
  bOffset?: number;
  /** Row stride of B as stored: default n, or k when transB. */
  ldb?: number;
  c: Float32Array | Float64Array;
  cOffset?: number;
  /** Row stride of C: default n. */
  ldc?: number;
  /** 0 overwrites C; 1 accumulates into it. */
  beta?: 0 | 1;
}

/**
 * Products with m·n·k below this stay in TypeScript; measured, re-run with
 * `node --import tsx bench/matmul.ts --crossover` (shared 2-core x86-64 Debian machine, OpenBLAS 0.3.21
 * pthread/Haswell through koffi 3, so ±30% noise). A BLAS call costs a near-constant 0.3 µs up to
 * ~8·8·8 (FFI marshalling of three typed arrays plus OpenBLAS set-up; a non-zero offset adds ~0.1 µs
 * for the subarray view); the TypeScript loop costs ~0.2 µs at 2·2·2 and 3·3·3, ~0.2–0.5 µs at
 * m·n·k = 64 (1·8·8 faster than BLAS, 4·4·4 and 8·8·1 slower: the tie), 0.5 µs at 5·5·5, 1.4 µs at
 * 8·8·8 and 9 µs at 16·16·16 (BLAS 0.46 µs). float32 and float64 behave alike.
 */
export const BLAS_MIN_MNK = 64;

function checkExtent(what: string, len: number, off: number, rows: number, cols: number, ld: number): void {
  if (rows === 0 || cols === 0) return;
  if (!Number.isInteger(off) || off < 0 || ld < cols || off + (rows - 1) * ld + cols > len) {
    throw new InternalError(`gemm: ${what} of ${rows}x${cols} (row stride ${ld}) at offset ${off} does not fit in ${len} elements`);
  }
}

/**
 * Without a BLAS, products with m·n·k from this size go to the WebAssembly SIMD kernels
 * (wasm/gemm_runtime.ts); below it the TypeScript loop is as fast (a wasm product costs ~1-2 µs of copies
 * and set-up).
 */
export const WASM_MIN_MNK = 512;

export function gemm(g: GemmArgs): void {
  const { transA, transB, m, n, k, a, b, c } = g;
  const aOff = g.aOffset ?? 0;
  const bOff = g.bOffset ?? 0;
  const cOff = g.cOffset ?? 0;
  const lda = g.lda ?? (transA ? m : k);
  const ldb = g.ldb ?? (transB ? k : n);
  const ldc = g.ldc ?? n;
  const beta = g.beta ?? 0;
  if (m === 0 || n === 0) return;
  // BLAS reads and writes raw memory: check every extent before handing it pointers.
  checkExtent("A", a.length, aOff, transA ? k : m, transA ? m : k, lda);
  checkExtent("B", b.length, bOff, transB ? n : k, transB ? k : n, ldb);
  checkExtent("C", c.length, cOff, m, n, ldc);
  if (k === 0) {
    if (beta === 0) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
    return;
  }

  if (m * n * k >= BLAS_MIN_MNK) {
    const blas = getBlas();
    if (blas !== null) {
      const f32 = a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array;
      const f64 = a instanceof Float64Array && b instanceof Float64Array && c instanceof Float64Array;
      if (f32 || f64) {
        const call = () =>
          f32
            ? blas.sgemm(transA, transB, m, n, k, 1, a, aOff, Math.max(1, lda), b, bOff, Math.max(1, ldb), beta, c, cOff, Math.max(1, ldc))
            : blas.dgemm(
                transA,
                transB,
                m,
                n,
                k,
                1,
                a as Float64Array,
                aOff,
                Math.max(1, lda),
                b as Float64Array,
                bOff,
                Math.max(1, ldb),
                beta,
                c as Float64Array,
                cOff,
                Math.max(1, ldc),
              );
        if (m * n * k < SINGLE_THREAD_MACS) withBlasThreads(1, call);
        else call();
        return;
      }
    }
  }

  if (m * n * k >= WASM_MIN_MNK && getBlas() === null && sameFloatType(a, b, c) && getSetting("wasm") !== "off") {
    const w = wasmGemm();
    if (w?.run({ transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta })) return;
  }

  if (beta === 1) {
    const tmp = new Float64Array(m * n);
    gemmRef(a, aOff, b, bOff, tmp, 0, m, n, k, transA, transB, lda, ldb, n);
    for (let i = 0; i < m; i++) {
      const cb = cOff + i * ldc;
      const tb = i * n;
      for (let j = 0; j < n; j++) c[cb + j] += tmp[tb + j];
    }
    return;
  }
  gemmRef(a, aOff, b, bOff, c, cOff, m, n, k, transA, transB, lda, ldb, ldc);
}

function sameFloatType(a: Float32Array | Float64Array, b: Float32Array | Float64Array, c: Float32Array | Float64Array): boolean {
  return a instanceof Float32Array ? b instanceof Float32Array && c instanceof Float32Array : b instanceof Float64Array && c instanceof Float64Array;
}

/**
 * Reference matrix product C[m,n] = op(A)[m,k] op(B)[k,n] on flat row-major arrays at given offsets.
 * lda/ldb/ldc are row strides (default: packed). i-k-j loop order keeps the inner loop contiguous and
 * accumulates in float64; the BLAS path in ../gemm.ts plugs in above this.
 */
export function gemmRef(
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  c: { [i: number]: number },
  cOff: number,
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
  lda: number = ta ? m : k,
  ldb: number = tb ? k : n,
  ldc: number = n,
): void {
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
      if (tb) for (let j = 0; j < n; j++) row[j] += av * b[bOff + j * ldb + p];
      else {
        const base = bOff + p * ldb;
        for (let j = 0; j < n; j++) row[j] += av * b[base + j];
      }
    }
    const cb = cOff + i * ldc;
    for (let j = 0; j < n; j++) c[cb + j] = row[j];
  }
}
