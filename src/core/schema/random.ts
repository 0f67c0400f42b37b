import type { DType } from "../dtype.js";
import type { Dim } from "../shape.js";
import { constInts } from "./infer_util.js";
import { type Attrs, type OpSchema, schemaRows, type TensorSpec } from "./types.js";

/**
 * Random ops drawing TensorFlow's Philox stream (public functions in src/ops/random.ts). `seed` and
 * `seed2` are TensorFlow's pair: both 0 means "not seeded" (a fresh stream each run).
 */
function randomInfer(inputs: readonly TensorSpec[], attrs: Attrs) {
  const dims = constInts(inputs[0]);
  const r = inputs[0].shape?.[0];
  return [{ dtype: attrs.dtype as DType, shape: dims ?? (r === null || r === undefined ? null : new Array<Dim>(r).fill(null)) }];
}

const randomOp = <T extends string>(type: T): OpSchema<T> => ({
  type,
  inputNames: ["shape"],
  inputs: [{ name: "shape", typeAttr: "T" }],
  outputs: [{ name: "output", typeAttr: "dtype" }],
  inputDTypes: { 0: "int32" },
  hostInputs: [0],
  attrs: [
    { name: "seed", type: "int", default: 0 },
    { name: "seed2", type: "int", default: 0 },
    { name: "dtype", type: "type", allowed: ["float16", "bfloat16", "float32", "float64"] },
  ],
  stateful: true,
  infer: randomInfer,
});

export const RANDOM_OPS = schemaRows([randomOp("RandomStandardNormal"), randomOp("RandomUniform"), randomOp("TruncatedNormal")]);
