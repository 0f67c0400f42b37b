import { allocOutput } from "../../../core/dtype.js";
import { matmulDims } from "../../../core/geometry/matmul.js";
import { broadcastShapes, sizeOf } from "../../../core/shape.js";
import { gemm, gemmRef } from "../gemm.js";
import { CpuTensor, KernelTable, out } from "../kernel.js";
import { broadcastOffsets } from "./util.js";
import { isFloating } from "../../../core/dtype.js";

function gemmBig(
  a: BigInt64Array,
  b: BigInt64Array,
  c: BigInt64Array,
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
  aOff: number,
  bOff: number,
  cOff: number,
): void {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0n;
      for (let p = 0; p < k; p++) s += a[aOff + (ta ? p * m + i : i * k + p)] * b[bOff + (tb ? j * k + p : p * n + j)];
      c[cOff + i * n + j] = s;
    }
}

function batchMatmul(x: CpuTensor, y: CpuTensor, ta: boolean, tb: boolean): CpuTensor {
  const { m, ka: k, n } = matmulDims(x.shape, y.shape, ta, tb);
  const bx = x.shape.slice(0, -2);
  const by = y.shape.slice(0, -2);
  const batchShape = broadcastShapes(bx, by) as number[];
  const batches = sizeOf(batchShape);
  const xo = broadcastOffsets(bx, batchShape);
  const yo = broadcastOffsets(by, batchShape);
  const o = allocOutput(x.dtype, batches * m * n);
  const float = isFloating(x.dtype);
  for (let bi = 0; bi < batches; bi++) {
    const aOffset = xo[bi] * m * k;
    const bOffset = yo[bi] * k * n;
    const cOffset = bi * m * n;
    if (float) {
      // float32/float64 go through gemm() (BLAS when one is loaded); beta 0 overwrites the output (a recycled
      // buffer's old contents included), so it is not cleared first.
      gemm({
        transA: ta,
        transB: tb,
        m,
        n,
        k,
        a: x.values as Float32Array | Float64Array,
        aOffset,
        b: y.values as Float32Array | Float64Array,
        bOffset,
        c: o as Float32Array | Float64Array,
        cOffset,
      });
    } else if (x.dtype === "int64") {
      gemmBig(x.values as BigInt64Array, y.values as BigInt64Array, o as BigInt64Array, m, n, k, ta, tb, aOffset, bOffset, cOffset);
    } else {
      gemmRef(x.values as Int32Array, aOffset, y.values as Int32Array, bOffset, o as Int32Array, cOffset, m, n, k, ta, tb);
    }
  }
  return out(x.dtype, [...batchShape, m, n], o);
}

export const matmulKernels: KernelTable = {
  MatMul: ([a, b], attrs) => [batchMatmul(a, b, attrs.transpose_a as boolean, attrs.transpose_b as boolean)],
  BatchMatMulV2: ([a, b], attrs) => [batchMatmul(a, b, attrs.adj_x as boolean, attrs.adj_y as boolean)],
};
