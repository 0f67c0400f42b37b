import type { DType } from "../dtype.js";
import { schemaRows } from "./types.js";

/**
 * The shape ops (the backends' shape family): Shape, BroadcastGradientArgs, Size, Rank (gradients and
 * public functions in src/ops/shape.ts).
 */
export const SHAPE_OPS = schemaRows([
  {
    type: "Shape",
    outputs: [{ name: "output", typeAttr: "out_type" }],
    attrs: [{ name: "out_type", type: "type", default: "int32", allowed: ["int32", "int64"] }],
    inputNames: ["input"],
    infer: (i, attrs) => [{ dtype: attrs.out_type as DType, shape: [i[0].shape === null ? null : i[0].shape.length] }],
  },
  {
    type: "BroadcastGradientArgs",
    inputNames: ["s0", "s1"],
    hostInputs: [0, 1],
    infer: () => [
      { dtype: "int32", shape: [null] },
      { dtype: "int32", shape: [null] },
    ],
  },
  {
    type: "Size",
    outputs: [{ name: "output", typeAttr: "out_type" }],
    attrs: [{ name: "out_type", type: "type", default: "int32", allowed: ["int32", "int64"] }],
    inputNames: ["input"],
    infer: (_i, attrs) => [{ dtype: attrs.out_type as DType, shape: [] }],
  },
  { type: "Rank", inputNames: ["input"], infer: () => [{ dtype: "int32", shape: [] }] },
]);
