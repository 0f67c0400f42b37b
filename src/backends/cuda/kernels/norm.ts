import { sizeOf } from "../../../core/shape.js";
import type { CudaHandle } from "../handle.js";
import type { CudaKernelTable } from "../kernel.js";
import { addSpec, binaryOp } from "./elementwise.js";
import { reducePass, reductionPasses } from "./reduce.js";
import { NARROW, NUMERIC } from "./util.js";

/**
 * The norm family on the GPU: BiasAdd (AddV2's broadcasting kernel) and BiasAddGrad (a column reduction),
 * channels-last. Batch normalization and LRN run on the CPU.
 */
export const normKernels: CudaKernelTable = {
  BiasAdd: {
    supports: (d, attrs) => (NUMERIC.has(d[0]) || NARROW.has(d[0])) && d[1] === d[0] && attrs.data_format === "NHWC",
    attrKey: (attrs) => String(attrs.data_format),
    run: (b, [x, bias]) => [binaryOp(b, "BiasAdd", addSpec(), x, bias)],
  },
  BiasAddGrad: {
    supports: (d, attrs) => (NUMERIC.has(d[0]) || NARROW.has(d[0])) && attrs.data_format === "NHWC",
    attrKey: (attrs) => String(attrs.data_format),
    run: (b, [dy]) => {
      const r = dy.shape.length;
      if (r < 1 || sizeOf(dy.shape) === 0) return null;
      const axes = Array.from({ length: r - 1 }, (_, i) => i);
      if (axes.length === 0 || axes.every((a) => dy.shape[a] === 1)) return [b.alias(dy, [dy.shape[r - 1]])];
      const passes = reductionPasses(dy.shape, axes);
      let cur: CudaHandle = dy;
      passes.forEach((p, i) => {
        const next = reducePass(b, cur, "sum", p, i === passes.length - 1 ? [dy.shape[r - 1]] : [p.outer * p.inner], 1);
        if (cur !== dy) b.dispose(cur);
        cur = next;
      });
      return [cur];
    },
  },
};
