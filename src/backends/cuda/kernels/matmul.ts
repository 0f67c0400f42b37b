import { bytesPerElement } from "../../../core/dtype.js";
import { matmulDims } from "../../../core/geometry/matmul.js";
import { broadcastShapes, sizeOf } from "../../../core/shape.js";
import { getSetting } from "../../../core/settings.js";
import type { CudaKernelDef, CudaKernelTable } from "../kernel.js";
import type { GemmDType } from "../blas.js";
import { FLOATS, NARROW } from "./util.js";

/** The matmul family on the GPU: MatMul and BatchMatMulV2 as cuBLAS products (strided batches where they fit). */

function matmulKernel(batched: boolean): CudaKernelDef {
  return {
    supports: (d) => (FLOATS.has(d[0]) || NARROW.has(d[0])) && d[1] === d[0],
    run: (b, [x, y], attrs) => {
      const ta = Boolean(attrs[batched ? "adj_x" : "transpose_a"]);
      const tb = Boolean(attrs[batched ? "adj_y" : "transpose_b"]);
      const { m, ka: k, n } = matmulDims(x.shape, y.shape, ta, tb);
      const bx = x.shape.slice(0, -2);
      const by = y.shape.slice(0, -2);
      const bs = broadcastShapes(bx, by);
      if (bs === "incompatible" || bs === null) return null;
      const batchShape = bs as number[];
      const batches = sizeOf(batchShape);
      const out = b.empty(x.dtype, [...batchShape, m, n], batched ? "BatchMatMulV2" : "MatMul");
      if (batches * m * n === 0) return [out];
      if (k === 0) {
        b.ctx.api.check("cuMemsetD8Async", b.ctx.api.lib.cuMemsetD8Async(out.ptr, 0, out.storage.bytes, b.ctx.stream));
        return [out];
      }
      const dt = x.dtype as GemmDType;
      const esz = bytesPerElement(dt);
      b.blas.setTf32(getSetting("tf32"));
      const nbx = sizeOf(bx);
      const nby = sizeOf(by);
      if (batches === 1) {
        b.blas.gemm(dt, ta, tb, m, n, k, x.ptr, y.ptr, out.ptr);
      } else if ((nbx === batches || nbx === 1) && (nby === batches || nby === 1)) {
        b.blas.gemm(dt, ta, tb, m, n, k, x.ptr, y.ptr, out.ptr, batches, nbx === 1 ? 0 : m * k, nby === 1 ? 0 : k * n, m * n);
      } else {
        // Batch dims broadcast against each other ([2,1] with [1,3]): one product per output matrix.
        const offs = (s: readonly number[]) => {
          const r = batchShape.length;
          const padded = [...new Array(r - s.length).fill(1), ...s];
          const st = new Array<number>(r);
          let acc = 1;
          for (let i = r - 1; i >= 0; i--) {
            st[i] = padded[i] === 1 ? 0 : acc;
            acc *= padded[i];
          }
          return (bi: number) => {
            let o = 0;
            for (let i = r - 1; i >= 0; i--) {
              o += (bi % batchShape[i]) * st[i];
              bi = Math.floor(bi / batchShape[i]);
            }
            return o;
          };
        };
        const ox = offs(bx);
        const oy = offs(by);
        for (let bi = 0; bi < batches; bi++) {
          b.blas.gemm(dt, ta, tb, m, n, k, x.ptr + ox(bi) * m * k * esz, y.ptr + oy(bi) * k * n * esz, out.ptr + bi * m * n * esz);
        }
      }
      return [out];
    },
  };
}

export const matmulKernels: CudaKernelTable = {
  MatMul: matmulKernel(false),
  BatchMatMulV2: matmulKernel(true),
};
