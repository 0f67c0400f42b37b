/**
 * TensorFlow 1's while loops (frames: Enter / Merge / Switch / LoopCond / NextIteration / Exit) in imported
 * GraphDefs, rebuilt as functional While ops. No fixture of ../shared holds one, so each GraphDef is written
 * here in the text format as TensorFlow 1.15's tf.while_loop writes it: node names (while/Enter, while/Merge,
 * while/Switch, while/Identity, while/NextIteration, while/Exit and their _1, _2 ... forms), frame_name
 * "<scope>/while_context", constants of the cond waiting on ^while/Merge and of the body on ^while/Identity,
 * captured outer values through `is_constant: true` Enters named "<op>/Enter", and the iteration counter
 * loop variable that maximum_iterations adds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../src/index.js";

const T = (dtype: string) => `attr { key: "T" value { type: ${dtype} } }`;
const N2 = 'attr { key: "N" value { i: 2 } }';

function enter(name: string, input: string, frame: string, dtype: string, isConstant = false): string {
  return (
    `node { name: "${name}" op: "Enter" input: "${input}" ${T(dtype)} attr { key: "frame_name" value { s: "${frame}" } } ` +
    `attr { key: "is_constant" value { b: ${isConstant} } } attr { key: "parallel_iterations" value { i: 10 } } }`
  );
}

/**
 * One loop variable's structure: <scope>/Enter<sfx> -> Merge<sfx> (with NextIteration<sfx>) -> Switch<sfx>
 * (on LoopCond) -> Identity<sfx> (Switch:1, the body's view) and Exit<sfx> (Switch:0); `next` feeds NextIteration.
 */
function loopVar(scope: string, sfx: string, init: string, dtype: string, next: string): string {
  const frame = `${scope}/while_context`;
  return [
    enter(`${scope}/Enter${sfx}`, init, frame, dtype),
    `node { name: "${scope}/Merge${sfx}" op: "Merge" input: "${scope}/Enter${sfx}" input: "${scope}/NextIteration${sfx}" ${N2} ${T(dtype)} }`,
    `node { name: "${scope}/Switch${sfx}" op: "Switch" input: "${scope}/Merge${sfx}" input: "${scope}/LoopCond" ${T(dtype)} attr { key: "_class" value { list { s: "loc:@${scope}/Merge${sfx}" } } } }`,
    `node { name: "${scope}/Identity${sfx}" op: "Identity" input: "${scope}/Switch${sfx}:1" ${T(dtype)} }`,
    `node { name: "${scope}/NextIteration${sfx}" op: "NextIteration" input: "${next}" ${T(dtype)} }`,
    `node { name: "${scope}/Exit${sfx}" op: "Exit" input: "${scope}/Switch${sfx}" ${T(dtype)} }`,
  ].join("\n");
}

function constNode(name: string, dtype: "DT_INT32" | "DT_FLOAT", v: number, control?: string): string {
  const val = dtype === "DT_INT32" ? `int_val: ${v}` : `float_val: ${v}`;
  const ctl = control ? ` input: "^${control}"` : "";
  return `node { name: "${name}" op: "Const"${ctl} attr { key: "dtype" value { type: ${dtype} } } attr { key: "value" value { tensor { dtype: ${dtype} tensor_shape {} ${val} } } } }`;
}

function placeholder(name: string, dtype: string, dims: number[] | null = []): string {
  const shape = dims === null ? "unknown_rank: true" : dims.map((d) => `dim { size: ${d} }`).join(" ");
  return `node { name: "${name}" op: "Placeholder" attr { key: "dtype" value { type: ${dtype} } } attr { key: "shape" value { shape { ${shape} } } } }`;
}

const binary = (name: string, op: string, a: string, b: string, dtype: string) =>
  `node { name: "${name}" op: "${op}" input: "${a}" input: "${b}" ${T(dtype)} }`;

function importText(text: string, returnElements: string[]): tf.SymbolicTensor[] {
  return tf.importGraphDef(tf.graphUtil.parseGraphDef(text), { returnElements, name: "" }) as tf.SymbolicTensor[];
}

function scalar(sess: tf.Session, t: tf.SymbolicTensor | string, feeds: Record<string, unknown>): number {
  using r = sess.run(t, feeds as never) as tf.EagerTensor;
  return (r.dataSync() as Float32Array | Int32Array)[0];
}

/** i, x = tf.while_loop(lambda i, x: i < 10, lambda i, x: (i + 1, x * 2), [tf.constant(0), x]) */
const COUNTER = [
  constNode("Const", "DT_INT32", 0),
  placeholder("x", "DT_FLOAT"),
  loopVar("while", "", "Const", "DT_INT32", "while/add"),
  loopVar("while", "_1", "x", "DT_FLOAT", "while/mul"),
  constNode("while/Less/y", "DT_INT32", 10, "while/Merge"),
  binary("while/Less", "Less", "while/Merge", "while/Less/y", "DT_INT32"),
  'node { name: "while/LoopCond" op: "LoopCond" input: "while/Less" }',
  constNode("while/add/y", "DT_INT32", 1, "while/Identity"),
  binary("while/add", "AddV2", "while/Identity", "while/add/y", "DT_INT32"),
  constNode("while/mul/y", "DT_FLOAT", 2, "while/Identity"),
  binary("while/mul", "Mul", "while/Identity_1", "while/mul/y", "DT_FLOAT"),
  "versions { producer: 134 }",
].join("\n");

test("a TF1 counter loop imports as a While and runs: i < 10 -> (i + 1, x * 2)", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    const [i, x] = importText(COUNTER, ["while/Exit:0", "while/Exit_1:0"]);
    assert.equal(i.dtype, "int32");
    assert.equal(x.dtype, "float32");
    assert.deepEqual(x.shape, []);
    // The frame became one functional While; the Exits are Identities of its outputs, under their own names.
    assert.ok(["While", "StatelessWhile"].includes(g.getOperationByName("while").type));
    assert.equal(g.getOperationByName("while/Exit_1").type, "Identity");
    assert.throws(() => g.getOperationByName("while/Merge"));
    using sess = new tf.Session();
    assert.equal(scalar(sess, i, { "x:0": 3 }), 10);
    assert.equal(scalar(sess, x, { "x:0": 3 }), 3 * 1024);
    assert.equal(scalar(sess, "while/Exit_1:0", { "x:0": -0.5 }), -512);
  });
});

test("returnElements cannot name a node inside a loop (it is one While now)", () => {
  new tf.Graph().asDefault(() => {
    assert.throws(
      () => importText(COUNTER, ["while/Identity:0"]),
      (e: Error) =>
        e instanceof tf.errors.InvalidArgumentError && /while\/Identity:0/.test(e.message) && /while-loop frame 'while\/while_context'/.test(e.message),
    );
  });
});

/** A loop-invariant value: x + c with c a placeholder the body reads through an is_constant Enter. */
const INVARIANT = [
  constNode("Const", "DT_INT32", 0),
  placeholder("x", "DT_FLOAT"),
  placeholder("c", "DT_FLOAT"),
  loopVar("while", "", "Const", "DT_INT32", "while/add"),
  loopVar("while", "_1", "x", "DT_FLOAT", "while/add_1"),
  constNode("while/Less/y", "DT_INT32", 10, "while/Merge"),
  binary("while/Less", "Less", "while/Merge", "while/Less/y", "DT_INT32"),
  'node { name: "while/LoopCond" op: "LoopCond" input: "while/Less" }',
  constNode("while/add/y", "DT_INT32", 1, "while/Identity"),
  binary("while/add", "AddV2", "while/Identity", "while/add/y", "DT_INT32"),
  enter("while/add_1/Enter", "c", "while/while_context", "DT_FLOAT", true),
  binary("while/add_1", "AddV2", "while/Identity_1", "while/add_1/Enter", "DT_FLOAT"),
].join("\n");

test("a loop-invariant capture (is_constant Enter) is read on every iteration", () => {
  new tf.Graph().asDefault(() => {
    const [x] = importText(INVARIANT, ["while/Exit_1:0"]);
    using sess = new tf.Session();
    assert.equal(scalar(sess, x, { "x:0": 1, "c:0": 0.25 }), 1 + 10 * 0.25);
    assert.equal(scalar(sess, x, { "x:0": -4, "c:0": 3 }), 26);
  });
});

/**
 * tf.while_loop(lambda x: x < 1000, lambda x: x * 2, [x], maximum_iterations=m): TensorFlow 1.x adds the
 * counter while/iteration_counter as the first loop variable and ands `counter < m` into the cond (m through
 * an is_constant Enter).
 */
const MAX_ITERS = [
  placeholder("x", "DT_FLOAT"),
  placeholder("m", "DT_INT32"),
  constNode("while/iteration_counter", "DT_INT32", 0),
  loopVar("while", "", "while/iteration_counter", "DT_INT32", "while/add"),
  loopVar("while", "_1", "x", "DT_FLOAT", "while/mul"),
  enter("while/Less/Enter", "m", "while/while_context", "DT_INT32", true),
  binary("while/Less", "Less", "while/Merge", "while/Less/Enter", "DT_INT32"),
  constNode("while/Less_1/y", "DT_FLOAT", 1000, "while/Merge"),
  binary("while/Less_1", "Less", "while/Merge_1", "while/Less_1/y", "DT_FLOAT"),
  'node { name: "while/LogicalAnd" op: "LogicalAnd" input: "while/Less" input: "while/Less_1" }',
  'node { name: "while/LoopCond" op: "LoopCond" input: "while/LogicalAnd" }',
  constNode("while/add/y", "DT_INT32", 1, "while/Identity"),
  binary("while/add", "AddV2", "while/Identity", "while/add/y", "DT_INT32"),
  constNode("while/mul/y", "DT_FLOAT", 2, "while/Identity"),
  binary("while/mul", "Mul", "while/Identity_1", "while/mul/y", "DT_FLOAT"),
].join("\n");

test("maximum_iterations (TF 1.x's iteration counter loop variable) stops the loop", () => {
  new tf.Graph().asDefault(() => {
    const [n, x] = importText(MAX_ITERS, ["while/Exit:0", "while/Exit_1:0"]);
    using sess = new tf.Session();
    // The limit stops it first: 1 * 2^5.
    assert.equal(scalar(sess, x, { "x:0": 1, "m:0": 5 }), 32);
    assert.equal(scalar(sess, n, { "x:0": 1, "m:0": 5 }), 5);
    // The cond stops it first: 100 -> 200 -> 400 -> 800 -> 1600 after 4 iterations.
    assert.equal(scalar(sess, x, { "x:0": 100, "m:0": 10 }), 1600);
    assert.equal(scalar(sess, n, { "x:0": 100, "m:0": 10 }), 4);
    assert.equal(scalar(sess, x, { "x:0": 7, "m:0": 0 }), 7);
  });
});

/**
 * A tf.cond inside the body: for i < 6: x = tf.cond(x > 5, lambda: x - 3, lambda: x * 2), as TensorFlow 1
 * writes it (Switch on pred_id, branch constants waiting on switch_t / switch_f, Merge(false, true)).
 */
const COND_IN_BODY = [
  constNode("Const", "DT_INT32", 0),
  placeholder("x", "DT_FLOAT"),
  loopVar("while", "", "Const", "DT_INT32", "while/add"),
  loopVar("while", "_1", "x", "DT_FLOAT", "while/cond/Merge"),
  constNode("while/Less/y", "DT_INT32", 6, "while/Merge"),
  binary("while/Less", "Less", "while/Merge", "while/Less/y", "DT_INT32"),
  'node { name: "while/LoopCond" op: "LoopCond" input: "while/Less" }',
  constNode("while/add/y", "DT_INT32", 1, "while/Identity"),
  binary("while/add", "AddV2", "while/Identity", "while/add/y", "DT_INT32"),
  constNode("while/Greater/y", "DT_FLOAT", 5, "while/Identity"),
  binary("while/Greater", "Greater", "while/Identity_1", "while/Greater/y", "DT_FLOAT"),
  `node { name: "while/cond/Switch" op: "Switch" input: "while/Greater" input: "while/Greater" ${T("DT_BOOL")} }`,
  `node { name: "while/cond/switch_t" op: "Identity" input: "while/cond/Switch:1" ${T("DT_BOOL")} }`,
  `node { name: "while/cond/switch_f" op: "Identity" input: "while/cond/Switch" ${T("DT_BOOL")} }`,
  `node { name: "while/cond/pred_id" op: "Identity" input: "while/Greater" ${T("DT_BOOL")} }`,
  `node { name: "while/cond/sub/Switch" op: "Switch" input: "while/Identity_1" input: "while/cond/pred_id" ${T("DT_FLOAT")} attr { key: "_class" value { list { s: "loc:@while/Identity_1" } } } }`,
  constNode("while/cond/sub/y", "DT_FLOAT", 3, "while/cond/switch_t"),
  binary("while/cond/sub", "Sub", "while/cond/sub/Switch:1", "while/cond/sub/y", "DT_FLOAT"),
  `node { name: "while/cond/mul/Switch" op: "Switch" input: "while/Identity_1" input: "while/cond/pred_id" ${T("DT_FLOAT")} attr { key: "_class" value { list { s: "loc:@while/Identity_1" } } } }`,
  constNode("while/cond/mul/y", "DT_FLOAT", 2, "while/cond/switch_f"),
  binary("while/cond/mul", "Mul", "while/cond/mul/Switch", "while/cond/mul/y", "DT_FLOAT"),
  `node { name: "while/cond/Merge" op: "Merge" input: "while/cond/mul" input: "while/cond/sub" ${N2} ${T("DT_FLOAT")} }`,
].join("\n");

test("a TF1 tf.cond (Switch/Merge) inside the loop body takes its branch on every iteration", () => {
  new tf.Graph().asDefault(() => {
    const [x] = importText(COND_IN_BODY, ["while/Exit_1:0"]);
    using sess = new tf.Session();
    for (const x0 of [1, 0.75, 9, -2]) {
      let want = x0;
      for (let i = 0; i < 6; i++) want = want > 5 ? want - 3 : want * 2;
      assert.equal(scalar(sess, x, { "x:0": x0 }), want, `x0 = ${x0}`);
    }
  });
});

/**
 * Nested loops: for i < n: (j, s) = inner loop over j < i of s + j * k; the inner loop reads the outer i
 * (an is_constant Enter of an outer-body value) and k, a placeholder of the root graph, through an Enter
 * of each frame (while/while/mul/Enter in the outer frame, while/while/mul/Enter_1 in the inner one).
 */
const NESTED = [
  placeholder("n", "DT_INT32"),
  placeholder("k", "DT_INT32"),
  constNode("Const", "DT_INT32", 0),
  constNode("Const_1", "DT_INT32", 0),
  loopVar("while", "", "Const", "DT_INT32", "while/add"),
  loopVar("while", "_1", "Const_1", "DT_INT32", "while/while/Exit_1"),
  enter("while/Less/Enter", "n", "while/while_context", "DT_INT32", true),
  binary("while/Less", "Less", "while/Merge", "while/Less/Enter", "DT_INT32"),
  'node { name: "while/LoopCond" op: "LoopCond" input: "while/Less" }',
  constNode("while/add/y", "DT_INT32", 1, "while/Identity"),
  binary("while/add", "AddV2", "while/Identity", "while/add/y", "DT_INT32"),
  // The inner loop, built in the outer body.
  constNode("while/while/Const", "DT_INT32", 0, "while/Identity"),
  loopVar("while/while", "", "while/while/Const", "DT_INT32", "while/while/add"),
  loopVar("while/while", "_1", "while/Identity_1", "DT_INT32", "while/while/add_1"),
  enter("while/while/Less/Enter", "while/Identity", "while/while/while_context", "DT_INT32", true),
  binary("while/while/Less", "Less", "while/while/Merge", "while/while/Less/Enter", "DT_INT32"),
  'node { name: "while/while/LoopCond" op: "LoopCond" input: "while/while/Less" }',
  constNode("while/while/add/y", "DT_INT32", 1, "while/while/Identity"),
  binary("while/while/add", "AddV2", "while/while/Identity", "while/while/add/y", "DT_INT32"),
  enter("while/while/mul/Enter", "k", "while/while_context", "DT_INT32", true),
  enter("while/while/mul/Enter_1", "while/while/mul/Enter", "while/while/while_context", "DT_INT32", true),
  binary("while/while/mul", "Mul", "while/while/Identity", "while/while/mul/Enter_1", "DT_INT32"),
  binary("while/while/add_1", "AddV2", "while/while/Identity_1", "while/while/mul", "DT_INT32"),
].join("\n");

test("nested loops: an inner frame inside the outer body, reading outer-body and root values", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    const [i, s] = importText(NESTED, ["while/Exit:0", "while/Exit_1:0"]);
    using sess = new tf.Session();
    for (const [n, k] of [
      [5, 1],
      [7, 3],
      [0, 2],
    ]) {
      let want = 0;
      for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) want += b * k;
      assert.equal(scalar(sess, s, { "n:0": n, "k:0": k }), want, `n = ${n}, k = ${k}`);
      assert.equal(scalar(sess, i, { "n:0": n, "k:0": k }), n);
    }
    // The inner loop's Exits are not nodes of the outer graph (they live in the outer While's body).
    assert.throws(() => g.getOperationByName("while/while/Exit_1"));
  });
});

/** A float Const of `dims` holding `values` (tensor_content-free: one float_val per element). */
function floatConst(name: string, dims: number[], values: number[], control?: string): string {
  const ctl = control ? ` input: "^${control}"` : "";
  const shape = dims.map((d) => `dim { size: ${d} }`).join(" ");
  const vals = values.map((v) => `float_val: ${v}`).join(" ");
  return `node { name: "${name}" op: "Const"${ctl} attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { ${shape} } ${vals} } } } }`;
}

const [STEPS, BATCH, DEPTH, UNITS] = [4, 2, 3, 4];
const KERNEL = Array.from({ length: (DEPTH + UNITS) * UNITS }, (_, i) => Math.round(Math.sin(i + 1) * 1000) / 2000);
const BIAS = [0.1, -0.2, 0.05, 0];
const intList = (name: string, v: number) => `attr { key: "${name}" value { i: ${v} } }`;
const typeAttr = (name: string, t: string) => `attr { key: "${name}" value { type: ${t} } }`;

/**
 * A small dynamic_rnn without TensorArrays (tsflow has none): time-major inputs [4, 2, 3] fed through a
 * placeholder, the step count from Shape + StridedSlice as dynamic_rnn computes it, the cell
 * h = tanh([x_t, h] @ kernel + bias) in the body (GatherV2 of the inputs at `time`, ConcatV2, MatMul, BiasAdd,
 * Tanh, the kernel and bias captured through is_constant Enters), and every step's output concatenated to a
 * third loop variable whose shape grows ([0, 4] -> [8, 4]: tf.while_loop's shape_invariants, which a GraphDef
 * does not record).
 */
const RNN = [
  placeholder("inputs", "DT_FLOAT", [STEPS, BATCH, DEPTH]),
  floatConst("rnn/kernel", [DEPTH + UNITS, UNITS], KERNEL),
  floatConst("rnn/bias", [UNITS], BIAS),
  floatConst("rnn/zeros", [BATCH, UNITS], [0]),
  floatConst("rnn/outputs", [0, UNITS], []),
  constNode("rnn/time", "DT_INT32", 0),
  `node { name: "rnn/Shape" op: "Shape" input: "inputs" ${T("DT_FLOAT")} ${typeAttr("out_type", "DT_INT32")} }`,
  'node { name: "rnn/strided_slice/stack" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 0 } } } }',
  'node { name: "rnn/strided_slice/stack_1" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 1 } } } }',
  'node { name: "rnn/strided_slice/stack_2" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } } int_val: 1 } } } }',
  `node { name: "rnn/strided_slice" op: "StridedSlice" input: "rnn/Shape" input: "rnn/strided_slice/stack" input: "rnn/strided_slice/stack_1" input: "rnn/strided_slice/stack_2" ${typeAttr("Index", "DT_INT32")} ${T("DT_INT32")} ${intList("begin_mask", 0)} ${intList("ellipsis_mask", 0)} ${intList("end_mask", 0)} ${intList("new_axis_mask", 0)} ${intList("shrink_axis_mask", 1)} }`,
  loopVar("rnn/while", "", "rnn/time", "DT_INT32", "rnn/while/add"),
  loopVar("rnn/while", "_1", "rnn/zeros", "DT_FLOAT", "rnn/while/Tanh"),
  loopVar("rnn/while", "_2", "rnn/outputs", "DT_FLOAT", "rnn/while/concat_1"),
  enter("rnn/while/Less/Enter", "rnn/strided_slice", "rnn/while/while_context", "DT_INT32", true),
  binary("rnn/while/Less", "Less", "rnn/while/Merge", "rnn/while/Less/Enter", "DT_INT32"),
  'node { name: "rnn/while/LoopCond" op: "LoopCond" input: "rnn/while/Less" }',
  enter("rnn/while/GatherV2/Enter", "inputs", "rnn/while/while_context", "DT_FLOAT", true),
  constNode("rnn/while/GatherV2/axis", "DT_INT32", 0, "rnn/while/Identity"),
  `node { name: "rnn/while/GatherV2" op: "GatherV2" input: "rnn/while/GatherV2/Enter" input: "rnn/while/Identity" input: "rnn/while/GatherV2/axis" ${typeAttr("Taxis", "DT_INT32")} ${typeAttr("Tindices", "DT_INT32")} ${typeAttr("Tparams", "DT_FLOAT")} ${intList("batch_dims", 0)} }`,
  constNode("rnn/while/concat/axis", "DT_INT32", 1, "rnn/while/Identity"),
  `node { name: "rnn/while/concat" op: "ConcatV2" input: "rnn/while/GatherV2" input: "rnn/while/Identity_1" input: "rnn/while/concat/axis" ${N2} ${T("DT_FLOAT")} ${typeAttr("Tidx", "DT_INT32")} }`,
  enter("rnn/while/MatMul/Enter", "rnn/kernel", "rnn/while/while_context", "DT_FLOAT", true),
  `node { name: "rnn/while/MatMul" op: "MatMul" input: "rnn/while/concat" input: "rnn/while/MatMul/Enter" ${T("DT_FLOAT")} attr { key: "transpose_a" value { b: false } } attr { key: "transpose_b" value { b: false } } }`,
  enter("rnn/while/BiasAdd/Enter", "rnn/bias", "rnn/while/while_context", "DT_FLOAT", true),
  `node { name: "rnn/while/BiasAdd" op: "BiasAdd" input: "rnn/while/MatMul" input: "rnn/while/BiasAdd/Enter" ${T("DT_FLOAT")} attr { key: "data_format" value { s: "NHWC" } } }`,
  `node { name: "rnn/while/Tanh" op: "Tanh" input: "rnn/while/BiasAdd" ${T("DT_FLOAT")} }`,
  constNode("rnn/while/concat_1/axis", "DT_INT32", 0, "rnn/while/Identity"),
  `node { name: "rnn/while/concat_1" op: "ConcatV2" input: "rnn/while/Identity_2" input: "rnn/while/Tanh" input: "rnn/while/concat_1/axis" ${N2} ${T("DT_FLOAT")} ${typeAttr("Tidx", "DT_INT32")} }`,
  constNode("rnn/while/add/y", "DT_INT32", 1, "rnn/while/Identity"),
  binary("rnn/while/add", "AddV2", "rnn/while/Identity", "rnn/while/add/y", "DT_INT32"),
].join("\n");

/** x [STEPS * BATCH * DEPTH] as a nested [STEPS][BATCH][DEPTH] array (a feed value). */
function nested(x: Float32Array | Float64Array): number[][][] {
  return Array.from({ length: STEPS }, (_, t) =>
    Array.from({ length: BATCH }, (_, b) => [...x.subarray((t * BATCH + b) * DEPTH, (t * BATCH + b + 1) * DEPTH)]),
  );
}

/** The same recurrence in float64. */
function rnnReference(x: Float32Array | Float64Array): { h: number[]; outputs: number[] } {
  let h = new Array<number>(BATCH * UNITS).fill(0);
  const outputs: number[] = [];
  for (let t = 0; t < STEPS; t++) {
    const next: number[] = [];
    for (let b = 0; b < BATCH; b++) {
      const row = [...x.subarray((t * BATCH + b) * DEPTH, (t * BATCH + b + 1) * DEPTH), ...h.slice(b * UNITS, (b + 1) * UNITS)];
      for (let u = 0; u < UNITS; u++) {
        let z = BIAS[u];
        for (let k = 0; k < DEPTH + UNITS; k++) z += row[k] * KERNEL[k * UNITS + u];
        next.push(Math.tanh(z));
      }
    }
    h = next;
    outputs.push(...h);
  }
  return { h, outputs };
}

test("a dynamic_rnn-like loop (matmul + tanh over the time steps of a fed input) matches float64", () => {
  new tf.Graph().asDefault(() => {
    const [h, outputs] = importText(RNN, ["rnn/while/Exit_1:0", "rnn/while/Exit_2:0"]);
    assert.deepEqual(h.shape, [BATCH, UNITS]);
    // The growing loop variable was relaxed to what its shapes have in common.
    assert.deepEqual(outputs.shape, [null, UNITS]);
    const x = Float32Array.from({ length: STEPS * BATCH * DEPTH }, (_, i) => Math.cos(i * 0.7));
    using sess = new tf.Session();
    const [hv, ov] = sess.run([h, outputs], { "inputs:0": nested(x) }) as tf.EagerTensor[];
    using _h = hv;
    using _o = ov;
    const want = rnnReference(x);
    assert.deepEqual(ov.shape, [STEPS * BATCH, UNITS]);
    const close = (got: ArrayLike<number>, exp: number[]) => exp.forEach((e, i) => assert.ok(Math.abs(got[i] - e) < 1e-5, `[${i}]: ${got[i]} vs ${e}`));
    close(hv.dataSync() as Float32Array, want.h);
    close(ov.dataSync() as Float32Array, want.outputs);
  });
});

test("a loop over TensorArrays (tsflow has none) fails naming the op, and leaves the graph unchanged", () => {
  const withTensorArray = [
    placeholder("n", "DT_INT32"),
    `node { name: "rnn/TensorArray" op: "TensorArrayV3" input: "n" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "element_shape" value { shape { unknown_rank: true } } } attr { key: "dynamic_size" value { b: false } } attr { key: "clear_after_read" value { b: true } } attr { key: "identical_element_shapes" value { b: true } } attr { key: "tensor_array_name" value { s: "" } } }`,
    constNode("rnn/time", "DT_INT32", 0),
    loopVar("rnn/while", "", "rnn/time", "DT_INT32", "rnn/while/add"),
    loopVar("rnn/while", "_1", "rnn/TensorArray:1", "DT_FLOAT", "rnn/while/TensorArrayWrite/TensorArrayWriteV3"),
    enter("rnn/while/Less/Enter", "n", "rnn/while/while_context", "DT_INT32", true),
    binary("rnn/while/Less", "Less", "rnn/while/Merge", "rnn/while/Less/Enter", "DT_INT32"),
    'node { name: "rnn/while/LoopCond" op: "LoopCond" input: "rnn/while/Less" }',
    constNode("rnn/while/add/y", "DT_INT32", 1, "rnn/while/Identity"),
    binary("rnn/while/add", "AddV2", "rnn/while/Identity", "rnn/while/add/y", "DT_INT32"),
    enter("rnn/while/TensorArrayWrite/TensorArrayWriteV3/Enter", "rnn/TensorArray", "rnn/while/while_context", "DT_RESOURCE", true),
    constNode("rnn/while/value", "DT_FLOAT", 1, "rnn/while/Identity"),
    `node { name: "rnn/while/TensorArrayWrite/TensorArrayWriteV3" op: "TensorArrayWriteV3" input: "rnn/while/TensorArrayWrite/TensorArrayWriteV3/Enter" input: "rnn/while/Identity" input: "rnn/while/value" input: "rnn/while/Identity_1" ${T("DT_FLOAT")} }`,
  ].join("\n");
  const g = new tf.Graph();
  g.asDefault(() => {
    assert.throws(
      () => importText(withTensorArray, []),
      (e: Error) => e instanceof tf.errors.NotFoundError && /'TensorArrayV3'/.test(e.message) && /rnn\/TensorArray/.test(e.message),
    );
    assert.equal(g.getOperations().length, 0);
  });
});

test("malformed frames are errors naming the node", () => {
  const fails = (text: string, node: string, pattern: RegExp) =>
    assert.throws(
      () => new tf.Graph().asDefault(() => importText(text, [])),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && e.message.includes(`'${node}'`) && pattern.test(e.message),
    );
  // A loop variable's Merge without its NextIteration.
  fails(
    COUNTER.replace('input: "while/Enter_1" input: "while/NextIteration_1"', 'input: "while/Enter_1"'),
    "while/Merge_1",
    /must take the Enter and one NextIteration/,
  );
  // A node mixing a loop's value with an outside one, without an Enter.
  fails(`${COUNTER}\n${binary("bad", "Mul", "while/Identity_1", "x", "DT_FLOAT")}`, "bad", /inputs from different while-loop frames/);
  // An Enter without its frame.
  fails(COUNTER.replace('attr { key: "frame_name" value { s: "while/while_context" } } ', ""), "while/Enter", /frame_name/);
  // Switch:0 (the value leaving the loop) read by something other than an Exit.
  fails(`${COUNTER}\n${`node { name: "peek" op: "Identity" input: "while/Switch_1" ${T("DT_FLOAT")} }`}`, "peek", /only an Exit may read it/);
});

test("tf.gradients differentiates through an imported loop (the While's own gradient), with inputMap", () => {
  new tf.Graph().asDefault(() => {
    const x = tf.placeholder("float32", [], "x0");
    const [r] = tf.importGraphDef(tf.graphUtil.parseGraphDef(COUNTER), { returnElements: ["while/Exit_1:0"], inputMap: { "x:0": x } }) as tf.SymbolicTensor[];
    const [dx] = tf.gradients(r, [x]) as tf.SymbolicTensor[];
    const inputs = tf.placeholder("float32", [STEPS, BATCH, DEPTH], "rnn_inputs");
    const [h] = tf.importGraphDef(tf.graphUtil.parseGraphDef(RNN), {
      returnElements: ["rnn/while/Exit_1:0"],
      inputMap: { "inputs:0": inputs },
    }) as tf.SymbolicTensor[];
    const [dInputs] = tf.gradients(tf.reduceSum(h), [inputs]) as tf.SymbolicTensor[];
    using sess = new tf.Session();
    assert.equal(scalar(sess, dx, { "x0:0": 3 }), 1024);
    // d sum(h) / d inputs against central differences of the float64 recurrence.
    const xs = Float32Array.from({ length: STEPS * BATCH * DEPTH }, (_, i) => Math.sin(i * 0.3));
    using got = sess.run(dInputs, { "rnn_inputs:0": nested(xs) }) as tf.EagerTensor;
    const g = got.dataSync() as Float32Array;
    const sumH = (v: Float64Array) => rnnReference(v).h.reduce((a, b) => a + b, 0);
    const eps = 1e-5;
    for (let i = 0; i < xs.length; i++) {
      const plus = Float64Array.from(xs);
      const minus = Float64Array.from(xs);
      plus[i] += eps;
      minus[i] -= eps;
      const want = (sumH(plus) - sumH(minus)) / (2 * eps);
      assert.ok(Math.abs(g[i] - want) < 1e-4, `[${i}]: ${g[i]} vs ${want}`);
    }
  });
});

test("the same loop imported twice gets two Whiles, each under its import scope", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    const [a] = tf.importGraphDef(tf.graphUtil.parseGraphDef(INVARIANT), { returnElements: ["while/Exit_1:0"] }) as tf.SymbolicTensor[];
    const [b] = tf.importGraphDef(tf.graphUtil.parseGraphDef(INVARIANT), { returnElements: ["while/Exit_1:0"] }) as tf.SymbolicTensor[];
    assert.equal(a.name, "import/while/Exit_1:0");
    assert.equal(b.name, "import_1/while/Exit_1:0");
    assert.notEqual(g.getOperationByName("import/while"), g.getOperationByName("import_1/while"));
    using sess = new tf.Session();
    assert.equal(scalar(sess, "import/while/Exit_1:0", { "import/x:0": 1, "import/c:0": 1, "import_1/x:0": 0, "import_1/c:0": 0 }), 11);
    assert.equal(scalar(sess, b, { "import/x:0": 1, "import/c:0": 1, "import_1/x:0": 2, "import_1/c:0": -1 }), -8);
  });
});
