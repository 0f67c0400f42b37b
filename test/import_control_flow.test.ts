/**
 * TensorFlow 1's dataflow tf.cond (Switch / Merge, dead branches) in imported GraphDefs. No fixture of
 * ../shared holds one, so the GraphDef is written here in the text format as TensorFlow 1.15's tf.cond builds
 * it (node names, the pred_id / switch_t / switch_f Identities, branch constants waiting on switch_t or
 * switch_f, Merge(false_output, true_output), _class annotations). Then TensorFlow 2's functional control flow
 * in a GraphDef: If / While nodes whose bodies are FunctionDefs of the GraphDef's library.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../src/index.js";

const f32 = 'attr { key: "T" value { type: DT_FLOAT } }';
const b = 'attr { key: "T" value { type: DT_BOOL } }';
const scalarConst = (name: string, v: number, control: string) =>
  `node { name: "${name}" op: "Const" input: "^${control}" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: ${v} } } } }`;

/**
 * r = tf.cond(pred, lambda: x + 1, lambda: x * 3) and k = tf.cond(pred, lambda: tf.constant(10.0), lambda: x)
 * (a branch that only holds a constant: its deadness comes from the control input alone), then
 * out = r + k outside both conds.
 */
const GRAPH = `
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape {} } } }
node { name: "pred" op: "Placeholder" attr { key: "dtype" value { type: DT_BOOL } } attr { key: "shape" value { shape {} } } }
node { name: "cond/Switch" op: "Switch" input: "pred" input: "pred" ${b} }
node { name: "cond/switch_t" op: "Identity" input: "cond/Switch:1" ${b} }
node { name: "cond/switch_f" op: "Identity" input: "cond/Switch" ${b} }
node { name: "cond/pred_id" op: "Identity" input: "pred" ${b} }
${scalarConst("cond/add/y", 1, "cond/switch_t")}
node { name: "cond/add/Switch" op: "Switch" input: "x" input: "cond/pred_id" ${f32} attr { key: "_class" value { list { s: "loc:@x" } } } }
node { name: "cond/add" op: "Add" input: "cond/add/Switch:1" input: "cond/add/y" ${f32} }
${scalarConst("cond/mul/y", 3, "cond/switch_f")}
node { name: "cond/mul/Switch" op: "Switch" input: "x" input: "cond/pred_id" ${f32} attr { key: "_class" value { list { s: "loc:@x" } } } }
node { name: "cond/mul" op: "Mul" input: "cond/mul/Switch" input: "cond/mul/y" ${f32} }
node { name: "cond/Merge" op: "Merge" input: "cond/mul" input: "cond/add" ${f32} attr { key: "N" value { i: 2 } } }
node { name: "cond_1/Switch" op: "Switch" input: "pred" input: "pred" ${b} }
node { name: "cond_1/switch_t" op: "Identity" input: "cond_1/Switch:1" ${b} }
node { name: "cond_1/switch_f" op: "Identity" input: "cond_1/Switch" ${b} }
node { name: "cond_1/pred_id" op: "Identity" input: "pred" ${b} }
${scalarConst("cond_1/Const", 10, "cond_1/switch_t")}
node { name: "cond_1/Switch_1" op: "Switch" input: "x" input: "cond_1/pred_id" ${f32} attr { key: "_class" value { list { s: "loc:@x" } } } }
node { name: "cond_1/Merge" op: "Merge" input: "cond_1/Switch_1" input: "cond_1/Const" ${f32} attr { key: "N" value { i: 2 } } }
node { name: "out" op: "AddV2" input: "cond/Merge" input: "cond_1/Merge" ${f32} }
versions { producer: 27 }
`;

test("a TF1 tf.cond GraphDef (Switch/Merge) imports and runs the branch its predicate picks", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    const [r, idx, k, out, addBranch] = tf.importGraphDef(tf.graphUtil.parseGraphDef(GRAPH), {
      returnElements: ["cond/Merge:0", "cond/Merge:1", "cond_1/Merge:0", "out:0", "cond/add:0"],
      name: "",
    }) as tf.SymbolicTensor[];
    assert.equal(g.getOperationByName("cond/Switch").type, "Switch");
    assert.deepEqual(r.shape, []);
    using sess = new tf.Session();
    const run = (x: number, pred: boolean) => {
      const res = sess.run([r, idx, k, out], { "x:0": x, "pred:0": pred }) as tf.EagerTensor[];
      const vals = res.map((t) => (t.dataSync() as Float32Array | Int32Array)[0]);
      for (const t of res) t.dispose();
      return vals;
    };
    assert.deepEqual(run(2, true), [3, 1, 10, 13]);
    assert.deepEqual(run(2, false), [6, 0, 2, 8]);
    assert.deepEqual(run(-1, true), [0, 1, 10, 10]);
    // A tensor of the branch that did not run has no value (TensorFlow: "Retval[0] does not have value").
    assert.throws(
      () => sess.run(addBranch, { "x:0": 1, "pred:0": false }),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /does not have value/.test(e.message),
    );
    using taken = sess.run(addBranch, { "x:0": 1, "pred:0": true }) as tf.EagerTensor;
    assert.equal((taken.dataSync() as Float32Array)[0], 2);
  });
  // tsflow writes Switch and Merge back as TensorFlow names them (T, N): the export imports and runs again.
  const again = new tf.Graph();
  again.asDefault(() => {
    const exported = g.asGraphDef();
    const merge = exported.node.find((n) => n.name === "cond/Merge");
    assert.deepEqual(Object.keys(merge?.attr ?? {}).sort(), ["N", "T"]);
    const [out] = tf.importGraphDef(exported, { returnElements: ["out:0"], name: "" }) as tf.SymbolicTensor[];
    using sess = new tf.Session();
    using v = sess.run(out, { "x:0": 2, "pred:0": false }) as tf.EagerTensor;
    assert.equal((v.dataSync() as Float32Array)[0], 8);
  });
});

test("the branch not taken does not run: an assignment inside it leaves the variable alone", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    // Built with tsflow's own graph ops: a Switch-gated Assign (as a TF1 cond with a side effect in a branch).
    const v = new tf.Variable(0, { name: "v", dtype: "float32" });
    const pred = tf.compat.v1.placeholder("bool", [], "p");
    tf.importGraphDef(
      tf.graphUtil.parseGraphDef(`
node { name: "c/Switch" op: "Switch" input: "p" input: "p" ${b} }
node { name: "c/switch_t" op: "Identity" input: "c/Switch:1" ${b} }
${scalarConst("c/five", 5, "c/switch_t")}
node { name: "c/done" op: "NoOp" input: "^c/five" }
`),
      { name: "", inputMap: { "p:0": pred } },
    );
    const assign = (tf.compat.v1.assign(v, g.getTensorByName("c/five:0") as tf.SymbolicTensor) as tf.SymbolicTensor).op;
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    sess.run(assign, { "p:0": false });
    using v0 = sess.run(v) as tf.EagerTensor;
    assert.equal((v0.dataSync() as Float32Array)[0], 0, "dead Assign did not run");
    sess.run(assign, { "p:0": true });
    using v1 = sess.run(v) as tf.EagerTensor;
    assert.equal((v1.dataSync() as Float32Array)[0], 5);
  });
});

/** A GraphDef as TensorFlow 2 writes a tf.function's graph with cond_v2 / while_v2: If and While nodes naming FunctionDefs of its library. */
const FUNCTIONAL = `
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape {} } } }
node { name: "n" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "shape" value { shape {} } } }
node { name: "zero" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 0 } } } }
node { name: "Greater" op: "Greater" input: "x" input: "zero" ${f32} }
node {
  name: "cond" op: "StatelessIf" input: "Greater" input: "x"
  attr { key: "Tcond" value { type: DT_BOOL } }
  attr { key: "Tin" value { list { type: DT_FLOAT } } }
  attr { key: "Tout" value { list { type: DT_FLOAT } } }
  attr { key: "then_branch" value { func { name: "cond_true_5" } } }
  attr { key: "else_branch" value { func { name: "cond_false_6" } } }
  attr { key: "output_shapes" value { list { shape {} } } }
  attr { key: "_lower_using_switch_merge" value { b: true } }
}
node { name: "cond/Identity" op: "Identity" input: "cond" ${f32} }
node { name: "i0" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 0 } } } }
node {
  name: "while" op: "StatelessWhile" input: "i0" input: "cond/Identity" input: "n"
  attr { key: "T" value { list { type: DT_INT32 type: DT_FLOAT type: DT_INT32 } } }
  attr { key: "cond" value { func { name: "while_cond_7" } } }
  attr { key: "body" value { func { name: "while_body_8" } } }
  attr { key: "output_shapes" value { list { shape {} shape {} shape {} } } }
  attr { key: "parallel_iterations" value { i: 10 } }
}
library {
  function {
    signature { name: "cond_true_5" input_arg { name: "x" type: DT_FLOAT } output_arg { name: "identity" type: DT_FLOAT } }
    node_def { name: "mul/y" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 3 } } } }
    node_def { name: "mul" op: "Mul" input: "x" input: "mul/y:output:0" ${f32} }
    node_def { name: "Identity" op: "Identity" input: "mul:z:0" ${f32} }
    ret { key: "identity" value: "Identity:output:0" }
  }
  function {
    signature { name: "cond_false_6" input_arg { name: "x" type: DT_FLOAT } output_arg { name: "identity" type: DT_FLOAT } }
    node_def { name: "Neg" op: "Neg" input: "x" ${f32} }
    node_def { name: "Identity" op: "Identity" input: "Neg:y:0" ${f32} }
    ret { key: "identity" value: "Identity:output:0" }
  }
  function {
    signature {
      name: "while_cond_7"
      input_arg { name: "i" type: DT_INT32 } input_arg { name: "acc" type: DT_FLOAT } input_arg { name: "n" type: DT_INT32 }
      output_arg { name: "identity" type: DT_BOOL }
    }
    node_def { name: "Less" op: "Less" input: "i" input: "n" attr { key: "T" value { type: DT_INT32 } } }
    node_def { name: "Identity" op: "Identity" input: "Less:z:0" ${b} }
    ret { key: "identity" value: "Identity:output:0" }
  }
  function {
    signature {
      name: "while_body_8"
      input_arg { name: "i" type: DT_INT32 } input_arg { name: "acc" type: DT_FLOAT } input_arg { name: "n" type: DT_INT32 }
      output_arg { name: "identity" type: DT_INT32 } output_arg { name: "identity_1" type: DT_FLOAT } output_arg { name: "identity_2" type: DT_INT32 }
    }
    node_def { name: "add/y" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 1 } } } }
    node_def { name: "add" op: "AddV2" input: "i" input: "add/y:output:0" attr { key: "T" value { type: DT_INT32 } } }
    node_def { name: "mul" op: "Mul" input: "acc" input: "acc" ${f32} }
    ret { key: "identity" value: "add:z:0" }
    ret { key: "identity_1" value: "mul:z:0" }
    ret { key: "identity_2" value: "n" }
  }
}
versions { producer: 1205 }
`;

test("a GraphDef with a function library: StatelessIf and StatelessWhile nodes import (their bodies replayed) and run", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    const [c, acc] = tf.importGraphDef(tf.graphUtil.parseGraphDef(FUNCTIONAL), { returnElements: ["cond/Identity:0", "while:1"] }) as tf.SymbolicTensor[];
    using sess = new tf.Session();
    const run = (x: number, n: number) => {
      const res = sess.run([c, acc], { "import/x:0": x, "import/n:0": n }) as tf.EagerTensor[];
      const vals = res.map((t) => (t.dataSync() as Float32Array)[0]);
      for (const t of res) t.dispose();
      return vals;
    };
    assert.deepEqual(run(2, 2), [6, 1296]); // 6 squared twice
    assert.deepEqual(run(-1.5, 1), [1.5, 2.25]);
    assert.deepEqual(run(1, 0), [3, 3]);
  });
  // A func attr naming a function the library lacks is a NotFoundError naming both.
  const broken = FUNCTIONAL.replace('func { name: "cond_false_6" }', 'func { name: "missing_fn" }');
  assert.throws(
    () => new tf.Graph().asDefault(() => tf.importGraphDef(tf.graphUtil.parseGraphDef(broken))),
    (e: Error) => e instanceof tf.errors.NotFoundError && /missing_fn/.test(e.message) && /'cond'/.test(e.message),
  );
});
