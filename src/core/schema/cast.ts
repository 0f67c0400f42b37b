import type { DType } from "../dtype.js";
import { schemaRows } from "./types.js";

/** Cast (gradient and tf.cast in src/ops/cast.ts). */
export const CAST_OPS = schemaRows([
  {
    type: "Cast",
    inputNames: ["x"],
    inputs: [{ name: "x", typeAttr: "SrcT" }],
    outputs: [{ name: "y", typeAttr: "DstT" }],
    attrs: [
      { name: "DstT", type: "type" },
      { name: "Truncate", type: "bool", default: false },
    ],
    infer: (i, attrs) => [{ dtype: attrs.DstT as DType, shape: i[0].shape }],
  },
]);
