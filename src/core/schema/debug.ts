import { sameAsInput } from "./infer_util.js";
import { schemaRows } from "./types.js";

/** CheckNumerics (gradient and tf.debugging functions in src/ops/debug.ts). */
export const DEBUG_OPS = schemaRows([
  {
    type: "CheckNumerics",
    inputNames: ["tensor"],
    allowedDTypes: ["float32", "float64", "float16", "bfloat16"],
    attrs: [{ name: "message", type: "string" }],
    // Checks values, so it must run every time: never folded away.
    stateful: true,
    infer: sameAsInput(),
  },
]);
