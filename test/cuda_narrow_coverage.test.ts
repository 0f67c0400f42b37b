import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { cudaKernels } from "../src/backends/cuda/kernels/index.js";
import { kernelSupports } from "../src/backends/cuda/kernels/util.js";
import type { DType } from "../src/core/dtype.js";
import { inputArgs } from "../src/core/schema/args.js";
import { allOpSchemas } from "../src/core/schema/index.js";
import type { Attrs, OpSchema } from "../src/core/schema/types.js";
import type { Graph } from "../src/graph/graph.js";
import { funcAttrName, getFunction } from "../src/graph/func_graph.js";
import { RUNTIME_OPS } from "../src/runtime/plan.js";

/**
 * What the cuda backend takes of the 16-bit floats, read from its kernel table without a GPU (building the
 * table compiles nothing): every op whose CUDA kernel takes float32 takes float16 and bfloat16 too where
 * the op allows them (issue 14: the GPU runs the narrow types natively, or in float32 on the GPU, never on
 * the CPU), and every op of a Keras training step with BatchNormalization has a CUDA kernel for its dtypes,
 * in float32 and under both mixed-precision policies.
 */

const cuda = cudaKernels();

/**
 * One call signature of `schema` with data of dtype `t`: its data inputs `t`, index inputs their index dtype,
 * the float companions of another type attr (FusedBatchNorm's statistics `U`) float32; attrs at their
 * defaults, a dtype attr without one (Cast's DstT, a random op's dtype) `t`.
 */
function signature(schema: OpSchema, t: DType): { dtypes: DType[]; attrs: Attrs } {
  const args = inputArgs(schema);
  // Rows without input names (the elementwise ones): their dtype group's inputs, else one.
  const count = args.length || Math.max(1, ...(schema.dtypeGroups ?? []).flat().map((i) => i + 1));
  const dtypes = Array.from({ length: count }, (_, i): DType => {
    const a = args[i];
    return a?.type ?? schema.inputDTypes?.[i] ?? (a && (a.typeAttr === "U" || /^T\d+$/.test(a.typeAttr ?? "")) ? "float32" : t);
  });
  const attrs: Record<string, unknown> = {};
  for (const a of schema.attrs ?? []) attrs[a.name] = a.default !== undefined ? a.default : a.type === "type" ? t : undefined;
  return { dtypes, attrs: attrs as Attrs };
}

/** Ops whose CUDA kernel takes float32 but not `narrow`, though the op allows it. */
function narrowGaps(narrow: DType): string[] {
  const gaps: string[] = [];
  for (const s of allOpSchemas()) {
    const k = cuda.get(s.type);
    if (!k || (s.allowedDTypes && !s.allowedDTypes.includes(narrow))) continue;
    const takes = (t: DType) => {
      const { dtypes, attrs } = signature(s, t);
      return kernelSupports(k, dtypes, attrs);
    };
    if (takes("float32") && !takes(narrow)) gaps.push(s.type);
  }
  return gaps;
}

describe("cuda kernels: the 16-bit floats", () => {
  for (const narrow of ["float16", "bfloat16"] as const) {
    it(`every op whose CUDA kernel takes float32 takes ${narrow} where the op allows it`, () => {
      assert.deepEqual(narrowGaps(narrow), []);
    });
  }

  it("the audit sees a kernel that takes float32 only", () => {
    const k = cuda.get("Relu")!;
    const floatOnly = { ...k, supports: (d: readonly DType[]) => d[0] === "float32" };
    const { dtypes, attrs } = signature(allOpSchemas().find((s) => s.type === "Relu")!, "float16");
    assert.equal(kernelSupports(floatOnly, dtypes, attrs), false);
    assert.equal(kernelSupports(k, dtypes, attrs), true);
  });
});

/** The ops of `g` and of the functions its ops call (tf.cond's branches), with their input dtypes. */
function opsOf(g: Graph, out: { type: string; dtypes: DType[]; attrs: Attrs }[] = []): { type: string; dtypes: DType[]; attrs: Attrs }[] {
  for (const op of g.getOperations()) {
    out.push({ type: op.type, dtypes: op.inputs.map((t) => t.dtype), attrs: op.attrs });
    for (const a of op.def.attrs ?? []) if (a.type === "func" && op.attrs[a.name]) opsOf(getFunction(g, funcAttrName(op.attrs[a.name])).graph, out);
  }
  return out;
}

describe("cuda kernels: a Keras training step with BatchNormalization", () => {
  for (const policy of ["float32", "mixed_bfloat16", "mixed_float16"] as const) {
    it(`has a CUDA kernel for every op and dtype (${policy})`, async () => {
      tf.keras.mixedPrecision.setGlobalPolicy(policy);
      let model: tf.keras.Sequential;
      try {
        const L = tf.keras.layers;
        model = new tf.keras.Sequential([
          new L.Conv2D(4, 3, { padding: "same", inputShape: [6, 6, 3] }),
          new L.BatchNormalization(),
          new L.Activation("relu"),
          new L.MaxPooling2D(2),
          new L.AveragePooling2D(1),
          new L.GlobalAveragePooling2D(),
          new L.Dense(1),
          new L.Activation("linear", { dtype: "float32" }),
        ]);
      } finally {
        tf.keras.mixedPrecision.setGlobalPolicy("float32");
      }
      model.compile({ optimizer: new tf.keras.optimizers.SGD({ learningRate: 0.01 }), loss: "mse" });
      const x = tf.constant(
        Float32Array.from({ length: 8 * 6 * 6 * 3 }, (_, i) => Math.sin(i)),
        { shape: [8, 6, 6, 3] },
      );
      const y = tf.constant(
        Float32Array.from({ length: 8 }, (_, i) => i % 2),
        { shape: [8, 1] },
      );
      await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
      const ops = opsOf(model.trainStepGraph()!);
      const types = new Set(ops.map((o) => o.type));
      for (const t of ["FusedBatchNormV3", "FusedBatchNormGradV3", "MaxPoolGrad", "AvgPoolGrad"]) assert.ok(types.has(t), `the step holds ${t}`);
      if (policy === "mixed_float16") assert.ok(types.has("ApplyGradientDescent"), "the loss-scaled update's branch was read");
      const missing = ops
        .filter((o) => !RUNTIME_OPS.has(o.type))
        .filter((o) => {
          const k = cuda.get(o.type as never);
          return !k || !kernelSupports(k, o.dtypes, o.attrs);
        })
        .map((o) => `${o.type}(${o.dtypes.join(", ")})`);
      assert.deepEqual([...new Set(missing)], []);
    });
  }
});
