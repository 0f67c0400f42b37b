import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { create, fromBinary } from "@bufbuild/protobuf";
import { MetaGraphDefSchema } from "../src/proto/tensorflow/core/protobuf/meta_graph_pb.js";
import { test } from "node:test";
import * as tf from "../src/index.js";

/**
 * An independent reader of protobuf's wire format (not tsflow's writer code, nor @bufbuild/protobuf): each
 * field of a message as [number, value], value a bigint (varint, fixed) or the bytes of a length-delimited field.
 */
function fields(b: Uint8Array): [number, bigint | Uint8Array][] {
  const out: [number, bigint | Uint8Array][] = [];
  let i = 0;
  const varint = (): bigint => {
    let r = 0n;
    let s = 0n;
    for (;;) {
      const x = b[i++];
      r |= BigInt(x & 0x7f) << s;
      if ((x & 0x80) === 0) return r;
      s += 7n;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const wire = key & 7;
    if (wire === 0) out.push([key >> 3, varint()]);
    else if (wire === 2) {
      const n = Number(varint());
      out.push([key >> 3, b.subarray(i, i + n)]);
      i += n;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      out.push([key >> 3, BigInt(0)]);
      i += n;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}
const str = (x: bigint | Uint8Array) => new TextDecoder().decode(x as Uint8Array);
const sub = (msg: Uint8Array, field: number) =>
  fields(msg)
    .filter(([f]) => f === field)
    .map(([, v]) => v as Uint8Array);

/** name -> op of every NodeDef of a serialized GraphDef (GraphDef.node = 1; NodeDef.name = 1, op = 2). */
function nodesOf(graphDef: Uint8Array): Map<string, string> {
  return new Map(sub(graphDef, 1).map((n) => [str(sub(n, 1)[0]), str(sub(n, 2)[0])]));
}

function linearModel() {
  const x = tf.placeholder("float32", [null], { name: "x" });
  const y = tf.placeholder("float32", [null], { name: "y" });
  const W = new tf.Variable(0.1, { name: "W" });
  const b = new tf.Variable(0.0, { name: "b" });
  const pred = tf.add(tf.multiply(x, W), b, { name: "pred" });
  const loss = tf.reduceMean(tf.square(tf.subtract(pred, y)), { name: "loss" });
  const train = new tf.train.GradientDescentOptimizer(0.1).minimize(loss, { name: "train" });
  return { x, y, W, b, pred, loss, train };
}
const xs = [0, 1, 2, 3];
const ys = xs.map((v) => 0.5 * v + 2);

test("the seed tutorial: train, saver.save writes m.index, m.data-*, m.meta and checkpoint; a fresh graph imports m.meta and restores", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsflow-meta-"));
  try {
    const prefix = join(dir, "model", "m");
    mkdirSync(join(dir, "model"));
    const before = new tf.Graph().asDefault(() => {
      const { pred, train } = linearModel();
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      for (let i = 0; i < 20; i++) sess.run(train, { x: xs, y: ys });
      const saver = new tf.train.Saver();
      assert.equal(saver.save(sess, prefix), prefix);
      return Array.from(sess.run(pred, { x: [10] }).dataSync() as Float32Array);
    });
    assert.deepEqual(readdirSync(join(dir, "model")).sort(), ["checkpoint", "m.data-00000-of-00001", "m.index", "m.meta"]);
    const meta = readFileSync(`${prefix}.meta`);
    // MetaGraphDef.graph_def = 2, collection_def = 4 (map entries: key = 1, value = 2).
    const nodes = nodesOf(sub(meta, 2)[0]);
    assert.equal(nodes.get("W"), "VariableV2");
    assert.equal(nodes.get("pred"), "AddV2");
    const collections = sub(meta, 4).map((e) => str(sub(e, 1)[0]));
    assert.ok(collections.includes("variables") && collections.includes("trainable_variables") && collections.includes("train_op"), collections.join());
    // The save/ subgraph and SaverDef TensorFlow's Saver writes (its import_meta_graph rebuilds the Saver from them).
    const mg = fromBinary(MetaGraphDefSchema, meta);
    assert.deepEqual(
      [mg.saverDef?.filenameTensorName, mg.saverDef?.saveTensorName, mg.saverDef?.restoreOpName],
      ["save/Const:0", "save/control_dependency:0", "save/restore_all"],
    );
    const saveNodes = new Map(mg.graphDef!.node.filter((n) => n.name.startsWith("save/")).map((n) => [n.name, n]));
    assert.deepEqual(saveNodes.get("save/SaveV2")?.input, ["save/Const", "save/SaveV2/tensor_names", "save/SaveV2/shape_and_slices", "W", "b"]);
    const names = saveNodes.get("save/RestoreV2/tensor_names")?.attr.value?.value;
    assert.deepEqual(names?.case === "tensor" ? names.value.stringVal.map((b) => new TextDecoder().decode(b)) : null, ["W", "b"]);
    assert.deepEqual(saveNodes.get("save/Assign_1")?.input, ["b", "save/RestoreV2:1"]);
    assert.deepEqual(saveNodes.get("save/restore_all")?.input, ["^save/Assign", "^save/Assign_1"]);

    new tf.Graph().asDefault(() => {
      const saver = tf.train.importMetaGraph(`${prefix}.meta`);
      assert.ok(saver instanceof tf.train.Saver);
      using sess = new tf.Session();
      saver.restore(sess, tf.train.latestCheckpoint(join(dir, "model"))!);
      const g = tf.getDefaultGraph();
      const pred = g.getTensorByName("pred:0");
      assert.deepEqual(Array.from(sess.run(pred, { "x:0": [10] }).dataSync() as Float32Array), before);
      const vars = tf.getCollection<tf.Variable>("variables");
      assert.deepEqual(
        vars.map((v) => v.name),
        ["W:0", "b:0"],
      );
      assert.ok(vars.every((v) => v instanceof tf.Variable));
      assert.deepEqual(
        tf.getCollection<tf.Variable>("trainable_variables").map((v) => v.name),
        ["W:0", "b:0"],
      );
      // Training continues from the restored values.
      const [trainOp] = tf.getCollection<tf.Operation>("train_op");
      const loss = g.getTensorByName("loss:0");
      const l0 = sess.run(loss, { "x:0": xs, "y:0": ys }).item();
      for (let i = 0; i < 20; i++) sess.run(trainOp, { "x:0": xs, "y:0": ys });
      assert.ok(sess.run(loss, { "x:0": xs, "y:0": ys }).item() < l0);
      assert.equal(sess.run(vars[0]).item(), sess.run(g.getTensorByName("W/read:0")).item());
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("exportMetaGraph returns the MetaGraphDef (VariableDefs, node lists, tsflow's version) and writes text with asText; importScope prefixes", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsflow-meta-"));
  try {
    const g = new tf.Graph();
    const mg = g.asDefault(() => {
      linearModel();
      return tf.train.exportMetaGraph(join(dir, "g.pbtxt"), { asText: true });
    });
    assert.match(mg.metaInfoDef!.tensorflowVersion, /^tsflow \d/);
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(mg.metaInfoDef!.tensorflowVersion, `tsflow ${pkg.version}`);
    const vars = mg.collectionDef.variables.kind;
    assert.equal(vars.case, "bytesList");
    // VariableDef: variable_name = 1, initializer_name = 2, snapshot_name = 3, initial_value_name = 6, trainable = 7.
    const vd = fields((vars.value as { value: Uint8Array[] }).value[0]);
    assert.equal(str(vd.find(([f]) => f === 1)![1]), "W:0");
    assert.equal(str(vd.find(([f]) => f === 2)![1]), "W/Assign");
    assert.equal(str(vd.find(([f]) => f === 3)![1]), "W/read:0");
    assert.equal(vd.find(([f]) => f === 7)![1], 1n);
    assert.deepEqual(mg.collectionDef.train_op.kind.value, { $typeName: "tensorflow.CollectionDef.NodeList", value: ["train"] });
    const text = readFileSync(join(dir, "g.pbtxt"), "utf8");
    assert.match(text, /node \{\n\s+name: "pred"\n\s+op: "AddV2"/);

    new tf.Graph().asDefault(() => {
      const saver = tf.train.importMetaGraph(join(dir, "g.pbtxt"), { importScope: "copy" });
      assert.deepEqual(
        tf.getCollection<tf.Variable>("variables").map((v) => v.name),
        ["copy/W:0", "copy/b:0"],
      );
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      assert.ok(Math.abs(((sess.run("copy/pred:0", { "copy/x:0": [2] }) as tf.Tensor).dataSync() as Float32Array)[0] - 0.2) < 1e-6);
      assert.ok(saver instanceof tf.train.Saver);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tf.train.writeGraph writes binary .pb and text .pbtxt that parse back", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsflow-graph-"));
  try {
    const g = new tf.Graph();
    g.asDefault(() => linearModel());
    const pb = tf.train.writeGraph(g, join(dir, "sub"), "model.pb", { asText: false });
    const txt = tf.train.writeGraph(g.asGraphDef(), dir, "model.pbtxt");
    const nodes = nodesOf(readFileSync(pb));
    assert.equal(nodes.get("x"), "Placeholder");
    assert.equal(nodes.get("train"), "NoOp");
    const fromText = tf.graphUtil.parseGraphDef(readFileSync(txt, "utf8"));
    assert.deepEqual(
      fromText.node.map((n) => n.name),
      [...nodes.keys()],
    );
    new tf.Graph().asDefault(() => {
      const [pred] = tf.importGraphDef(readFileSync(txt, "utf8"), { returnElements: ["pred:0"] }) as [tf.SymbolicTensor];
      assert.equal(pred.name, "import/pred:0");
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("freezing: convertVariablesToConstants prunes to the outputs and turns variables into Consts; the frozen graph gives the same outputs", () => {
  const { gd, before } = new tf.Graph().asDefault(() => {
    const { pred, train } = linearModel();
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    for (let i = 0; i < 10; i++) sess.run(train, { x: xs, y: ys });
    const frozen = tf.graphUtil.convertVariablesToConstants(sess, tf.getDefaultGraph().asGraphDef(), ["pred"]);
    return { gd: frozen, before: Array.from(sess.run(pred, { x: xs }).dataSync() as Float32Array) };
  });
  const ops = new Map(gd.node.map((n) => [n.name, n.op]));
  assert.equal(ops.get("W"), "Const");
  assert.equal(ops.get("b"), "Const");
  assert.ok(!ops.has("train") && !ops.has("loss") && !ops.has("W/Assign"), [...ops.keys()].join());
  assert.ok(![...ops.values()].includes("VariableV2"));
  new tf.Graph().asDefault(() => {
    const [pred] = tf.importGraphDef(gd, { returnElements: ["pred:0"], name: "frozen" }) as [tf.SymbolicTensor];
    using sess = new tf.Session();
    assert.deepEqual(Array.from(sess.run(pred, { "frozen/x:0": xs }).dataSync() as Float32Array), before);
  });
  // A blacklisted variable stays a variable.
  new tf.Graph().asDefault(() => {
    linearModel();
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    const partly = tf.graphUtil.convertVariablesToConstants(sess, tf.getDefaultGraph().asGraphDef(), ["pred"], { variableNamesBlacklist: ["b"] });
    assert.equal(partly.node.find((n) => n.name === "b")!.op, "VariableV2");
    assert.equal(partly.node.find((n) => n.name === "W")!.op, "Const");
  });
});

test("extractSubGraph and removeTrainingNodes", () => {
  const gd = new tf.Graph().asDefault(() => {
    linearModel();
    return tf.getDefaultGraph().asGraphDef();
  });
  const sub1 = tf.graphUtil.extractSubGraph(gd, ["pred"]);
  assert.deepEqual(
    sub1.node.map((n) => n.name),
    ["x", "W", "W/read", "b", "b/read", "Mul", "pred"],
  );
  const slim = tf.graphUtil.removeTrainingNodes(sub1, ["pred"]);
  assert.ok(!slim.node.some((n) => n.op === "Identity"));
  assert.deepEqual(slim.node.find((n) => n.name === "Mul")!.input, ["x", "W"]);
  assert.throws(() => tf.graphUtil.extractSubGraph(gd, ["nope"]), /nope/);
});

test("importMetaGraph of a missing file is a NotFoundError; existsSync guard", () => {
  assert.throws(() => tf.train.importMetaGraph("/nonexistent/m.meta"), tf.errors.NotFoundError);
  assert.equal(existsSync("/nonexistent/m.meta"), false);
});

test("a real TensorFlow 1.11 meta graph (tf2onnx's regression model.meta) with its real checkpoint", () => {
  const meta = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "tf", "metagraph-tf2onnx-regression-tf1", "model.meta");
  const ckpt = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "tf", "ckpt-tf2onnx-regression-tf1", "model");
  const mg = fromBinary(MetaGraphDefSchema, readFileSync(meta));
  assert.equal(mg.metaInfoDef!.tensorflowVersion, "1.11.0");
  // The whole graph imports, training part included (its gradients use DynamicStitch and TF1's Select), and
  // the real checkpoint restores into it; a step of its own train op lowers its error on new data.
  new tf.Graph().asDefault(() => {
    const saver = tf.train.importMetaGraph(meta) as tf.train.Saver;
    using sess = new tf.Session();
    saver.restore(sess, ckpt);
    const xs = [0, 1, 2, 3];
    const feed = { "X:0": xs, "Y:0": xs.map((x) => 0.5 * x + 2) };
    const sse = () => {
      const p = (sess.run("pred:0", feed) as tf.Tensor).dataSync() as Float32Array;
      return xs.reduce((acc, x, i) => acc + (p[i] - (0.5 * x + 2)) ** 2, 0);
    };
    const before = sse();
    assert.deepEqual(
      tf.getCollection<tf.Operation>("train_op").map((o) => o.name),
      ["GradientDescent"],
    );
    for (let i = 0; i < 5; i++) sess.run("GradientDescent", feed);
    assert.ok(sse() < before, `error ${before} -> ${sse()}`);
  });
  // Its inference part (pred with the variables and their initializers) imports; the real checkpoint restores.
  const inference = create(MetaGraphDefSchema, {
    ...mg,
    graphDef: tf.graphUtil.extractSubGraph(mg.graphDef!, ["pred", "W/Assign", "b/Assign"]),
    collectionDef: { variables: mg.collectionDef.variables, trainable_variables: mg.collectionDef.trainable_variables },
  });
  new tf.Graph().asDefault(() => {
    const saver = tf.train.importMetaGraph(inference);
    assert.ok(saver instanceof tf.train.Saver);
    assert.deepEqual(
      tf.getCollection<tf.Variable>("variables").map((v) => v.name),
      ["W:0", "b:0"],
    );
    using sess = new tf.Session();
    saver.restore(sess, ckpt);
    const pred = (sess.run("pred:0", { "X:0": [0, 1, 10] }) as tf.Tensor).dataSync() as Float32Array;
    [0, 1, 10].forEach((x, i) => assert.ok(Math.abs(pred[i] - (0.21396178 * x + 1.0495254)) < 1e-5, `pred(${x}) = ${pred[i]}`));
  });
});
