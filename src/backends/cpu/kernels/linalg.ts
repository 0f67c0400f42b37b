import { allocValues } from "../../../core/dtype.js";
import { broadcastShapes, sizeOf } from "../../../core/shape.js";
import { CpuTensor, KernelTable, out } from "../kernel.js";
import { broadcastOffsets } from "./util.js";

/**
 * Reference matrix product C[m,n] = op(A)[m,k] op(B)[k,n] on flat row-major arrays at given offsets.
 * i-k-j loop order keeps the inner loop contiguous; faster paths (BLAS) plug in above this.
 */
export function gemmRef(
  a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number, c: { [i: number]: number }, cOff: number,
  m: number, n: number, k: number, ta: boolean, tb: boolean,
): void {
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = ta ? a[aOff + p * m + i] : a[aOff + i * k + p];
      if (av === 0) continue;
      if (tb) for (let j = 0; j < n; j++) row[j] += av * b[bOff + j * k + p];
      else {
        const base = bOff + p * n;
        for (let j = 0; j < n; j++) row[j] += av * b[base + j];
      }
    }
    for (let j = 0; j < n; j++) c[cOff + i * n + j] = row[j];
  }
}

function gemmBig(a: BigInt64Array, b: BigInt64Array, c: BigInt64Array, m: number, n: number, k: number, ta: boolean, tb: boolean, aOff: number, bOff: number, cOff: number): void {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0n;
      for (let p = 0; p < k; p++) s += a[aOff + (ta ? p * m + i : i * k + p)] * b[bOff + (tb ? j * k + p : p * n + j)];
      c[cOff + i * n + j] = s;
    }
}

function batchMatmul(x: CpuTensor, y: CpuTensor, ta: boolean, tb: boolean): CpuTensor {
  const rx = x.shape.length;
  const ry = y.shape.length;
  const m = x.shape[ta ? rx - 1 : rx - 2];
  const k = x.shape[ta ? rx - 2 : rx - 1];
  const n = y.shape[tb ? ry - 2 : ry - 1];
  const bx = x.shape.slice(0, -2);
  const by = y.shape.slice(0, -2);
  const batchShape = broadcastShapes(bx, by) as number[];
  const batches = sizeOf(batchShape);
  const xo = broadcastOffsets(bx, batchShape);
  const yo = broadcastOffsets(by, batchShape);
  const o = allocValues(x.dtype, batches * m * n);
  for (let bi = 0; bi < batches; bi++) {
    if (x.dtype === "int64") gemmBig(x.values as BigInt64Array, y.values as BigInt64Array, o as BigInt64Array, m, n, k, ta, tb, xo[bi] * m * k, yo[bi] * k * n, bi * m * n);
    else gemmRef(x.values as Float64Array, xo[bi] * m * k, y.values as Float64Array, yo[bi] * k * n, o as Float64Array, bi * m * n, m, n, k, ta, tb);
  }
  return out(x.dtype, [...batchShape, m, n], o);
}

export const linalgKernels: KernelTable = {
  MatMul: ([a, b], attrs) => [batchMatmul(a, b, Boolean(attrs.transpose_a), Boolean(attrs.transpose_b))],
  BatchMatMulV2: ([a, b], attrs) => [batchMatmul(a, b, Boolean(attrs.adj_x), Boolean(attrs.adj_y))],
};
