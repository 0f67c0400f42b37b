import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { allOpDefs } from "../src/ops/registry.js";
import { defaultBackend } from "../src/eager/context.js";
import { checkGradient } from "./util/gradcheck.js";

describe("core ops: gradients against finite differences", () => {
  it("Identity", () => checkGradient((x) => tf.identity(x), [[1, -2, 3]]));
  it("Fill (with respect to the value)", () => checkGradient((v) => tf.fill([2, 3], v), [1.5]));
  it("CheckNumerics passes values and gradients through", () => checkGradient((x) => tf.debugging.checkNumerics(x, "ok"), [[0.5, 2]]));
  it("PlaceholderWithDefault passes gradients to its default", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const x = tf.constant([1.0, 2.0]);
      const p = tf.placeholderWithDefault(x, [2]);
      const [dx] = tf.gradients(tf.reduceSum(tf.square(p)), [x]);
      assert.deepEqual((new tf.Session().run(dx!) as tf.EagerTensor).arraySync(), [2, 4]);
    });
  });
});

describe("the op table", () => {
  it("every op has a CPU kernel or is run by the executor; prints the coverage matrix", () => {
    const runtime = new Set(["Const", "Placeholder", "VariableV2", "NoOp", "IsVariableInitialized", "Assign", "AssignAdd", "AssignSub"]);
    const cpu = defaultBackend();
    const rows = allOpDefs().map((d) => ({
      op: d.type,
      cpu: runtime.has(d.type) ? "executor" : cpu.hasKernel(d.type) ? "kernel" : "MISSING",
      grad: d.grad === null ? "not differentiable" : d.grad === undefined ? "none" : "yes",
    }));
    console.log(rows.map((r) => `${r.op.padEnd(40)} cpu: ${r.cpu.padEnd(9)} gradient: ${r.grad}`).join("\n"));
    assert.deepEqual(rows.filter((r) => r.cpu === "MISSING").map((r) => r.op), []);
  });

  it("op types are unique TensorFlow names", () => {
    const types = allOpDefs().map((d) => d.type);
    assert.equal(new Set(types).size, types.length);
    for (const t of types) assert.match(t, /^[A-Z][A-Za-z0-9]*$/);
  });
});
