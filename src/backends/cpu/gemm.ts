import { gemmRef } from "./kernels/linalg.js";

/**
 * Row-major C[m,n] = op(A)[m,k] · op(B)[k,n] (+ beta·C) on float arrays: the one entry point every
 * CPU kernel that multiplies matrices (MatMul, convolutions) goes through, so that a BLAS loaded at
 * run time speeds all of them up. Offsets index into the arrays; lda/ldb/ldc are row strides.
 */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  a: Float32Array | Float64Array;
  aOffset?: number;
  b: Float32Array | Float64Array;
  bOffset?: number;
  c: Float32Array | Float64Array;
  cOffset?: number;
  /** 0 overwrites C; 1 accumulates into it. */
  beta?: 0 | 1;
}

export function gemm(g: GemmArgs): void {
  const cOff = g.cOffset ?? 0;
  if (g.beta === 1) {
    const tmp = new Float64Array(g.m * g.n);
    gemmRef(g.a, g.aOffset ?? 0, g.b, g.bOffset ?? 0, tmp, 0, g.m, g.n, g.k, g.transA, g.transB);
    for (let i = 0; i < tmp.length; i++) g.c[cOff + i] += tmp[i];
    return;
  }
  gemmRef(g.a, g.aOffset ?? 0, g.b, g.bOffset ?? 0, g.c, cOff, g.m, g.n, g.k, g.transA, g.transB);
}
