import type { DType } from "../dtype.js";
import { matmulShape } from "../geometry/matmul.js";
import { schemaRows } from "./types.js";

/** Matrix products (gradients in src/ops/matmul.ts). */
const MATMUL_DTYPES: DType[] = ["float32", "float64", "float16", "bfloat16", "int32", "int64"];

export const MATMUL_OPS = schemaRows([
  {
    type: "MatMul",
    inputNames: ["a", "b"],
    dtypeGroups: [[0, 1]],
    allowedDTypes: MATMUL_DTYPES,
    attrs: [
      { name: "transpose_a", type: "bool", default: false },
      { name: "transpose_b", type: "bool", default: false },
    ],
    infer: ([a, b], attrs) => [{ dtype: a.dtype, shape: matmulShape(a.shape, b.shape, attrs.transpose_a as boolean, attrs.transpose_b as boolean, false) }],
  },
  {
    type: "BatchMatMulV2",
    inputNames: ["x", "y"],
    dtypeGroups: [[0, 1]],
    allowedDTypes: MATMUL_DTYPES,
    attrs: [
      { name: "adj_x", type: "bool", default: false },
      { name: "adj_y", type: "bool", default: false },
    ],
    infer: ([a, b], attrs) => [{ dtype: a.dtype, shape: matmulShape(a.shape, b.shape, attrs.adj_x as boolean, attrs.adj_y as boolean, true) }],
  },
]);
