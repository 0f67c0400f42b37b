import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import * as tf from "../src/index.js";
import { BundleReader } from "../src/io/tensor_bundle.js";
import type { FunctionDef } from "../src/proto/tensorflow/core/framework/function_pb.js";
import type { NodeDef } from "../src/proto/tensorflow/core/framework/node_def_pb.js";
import { DataType } from "../src/proto/tensorflow/core/framework/types_pb.js";
import type { StructuredValue } from "../src/proto/tensorflow/core/protobuf/struct_pb.js";
import { SavedModelSchema } from "../src/proto/tensorflow/core/protobuf/saved_model_pb.js";
import { TrackableObjectGraphSchema } from "../src/proto/tensorflow/core/protobuf/trackable_object_graph_pb.js";

// biome-ignore lint/suspicious/noExplicitAny: a loaded SavedModel's attributes are known only at run time, as in Python
type Loaded = any;
const values = (t: unknown) => Array.from((t as tf.Tensor).dataSync() as Float32Array);
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tsflow-savedmodel-"));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------
// An independent reader of what tsflow writes: it decodes saved_model.pb with the generated schemas only
// (none of the writer's code) and checks what TensorFlow's loaders rely on.

/** TensorFlow's output arg names (OpDef.output_arg) of the ops the tests' functions use; from TF's op registrations. */
const TF_OUTPUT_ARGS: Record<string, string[]> = {
  ReadVariableOp: ["value"],
  Identity: ["output"],
  Const: ["output"],
  AddV2: ["z"],
  Mul: ["z"],
  Sub: ["z"],
  MatMul: ["product"],
  BiasAdd: ["output"],
  Relu: ["activations"],
  Sigmoid: ["y"],
  Tanh: ["y"],
  Square: ["y"],
  Softmax: ["softmax"],
  StatefulPartitionedCall: ["output"],
  PartitionedCall: ["output"],
  RestoreV2: ["tensors"],
  Sum: ["output"],
  Reshape: ["output"],
};
const NO_OUTPUTS = new Set(["AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp", "SaveV2", "NoOp"]);

/** The flat TensorSpecs of a StructuredValue, in TensorFlow's order (dict keys sorted). */
function specCount(v: StructuredValue | undefined): number {
  if (v === undefined) return 0;
  const k = v.kind;
  switch (k.case) {
    case "tensorSpecValue":
      return 1;
    case "listValue":
    case "tupleValue":
      return k.value.values.reduce((n, x) => n + specCount(x), 0);
    case "dictValue":
      return Object.values(k.value.fields).reduce((n, x) => n + specCount(x), 0);
    default:
      return 0;
  }
}

function checkFunction(f: FunctionDef, library: Map<string, FunctionDef>): void {
  const sig = f.signature!;
  const where = `function ${sig.name}`;
  assert.match(sig.name, /^[A-Za-z_][A-Za-z0-9_]*$/, where);
  const args = new Map(sig.inputArg.map((a) => [a.name, a]));
  for (const a of [...sig.inputArg, ...sig.outputArg]) assert.match(a.name, /^[a-z][a-z0-9_]*$/, `${where}: arg name ${a.name}`);
  const nodes = new Map(f.nodeDef.map((n) => [n.name, n]));
  assert.equal(nodes.size, f.nodeDef.length, `${where}: node names are unique`);
  const resolve = (ref: string, user: string) => {
    if (ref.startsWith("^")) {
      assert.ok(nodes.has(ref.slice(1)), `${where}: ${user}: control input ${ref} names a node`);
      return;
    }
    const parts = ref.split(":");
    if (parts.length === 1) {
      assert.ok(args.has(ref), `${where}: ${user}: ${ref} is an argument`);
      return;
    }
    assert.equal(parts.length, 3, `${where}: ${user}: ${ref} is node:arg:index`);
    const n = nodes.get(parts[0]);
    assert.ok(n, `${where}: ${user}: ${ref} names a node`);
    assert.ok(!NO_OUTPUTS.has(n.op), `${where}: ${user}: ${n.op} has no outputs`);
    const outs = TF_OUTPUT_ARGS[n.op];
    assert.ok(outs, `${where}: the test knows the output args of ${n.op}`);
    assert.ok(outs.includes(parts[1]), `${where}: ${user}: ${n.op} has output arg ${parts[1]} (${outs.join(", ")})`);
  };
  for (const n of f.nodeDef) {
    for (const i of n.input) resolve(i, `node ${n.name}`);
    for (const i of n.input) {
      if (!i.startsWith("^") && args.get(i)?.type === DataType.DT_RESOURCE) {
        assert.ok(
          ["ReadVariableOp", "AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp", "StatefulPartitionedCall"].includes(n.op),
          `${where}: ${n.op} takes a resource`,
        );
      }
    }
    checkCall(n, library, where);
  }
  for (const a of sig.outputArg) {
    assert.ok(f.ret[a.name], `${where}: output ${a.name} has a ret`);
    resolve(f.ret[a.name], `ret ${a.name}`);
  }
  for (const c of sig.controlOutput) assert.ok(nodes.has(f.controlRet[c]), `${where}: control output ${c}`);
}

/** A call node names a function of the library whose signature matches its Tin, Tout and inputs. */
function checkCall(n: NodeDef, library: Map<string, FunctionDef>, where: string): void {
  if (n.op !== "StatefulPartitionedCall" && n.op !== "PartitionedCall") return;
  const f = n.attr.f?.value;
  assert.equal(f?.case, "func", `${where}: ${n.name} has attr f`);
  const callee = library.get(f.case === "func" ? f.value.name : "");
  assert.ok(callee, `${where}: ${n.name} calls a function of the library`);
  const tin = n.attr.Tin?.value;
  const tout = n.attr.Tout?.value;
  assert.ok(tin?.case === "list" && tout?.case === "list");
  assert.deepEqual(
    tin.value.type,
    callee.signature!.inputArg.map((a) => a.type),
    `${where}: ${n.name} Tin`,
  );
  assert.deepEqual(
    tout.value.type,
    callee.signature!.outputArg.map((a) => a.type),
    `${where}: ${n.name} Tout`,
  );
  assert.equal(n.input.filter((i) => !i.startsWith("^")).length, callee.signature!.inputArg.length, `${where}: ${n.name} inputs`);
}

/** Decodes `dir` and checks the structure TensorFlow requires to load it; returns the decoded parts. */
function checkSavedModel(dir: string) {
  const model = fromBinary(SavedModelSchema, readFileSync(join(dir, "saved_model.pb")));
  assert.equal(model.savedModelSchemaVersion, 1n);
  assert.equal(model.metaGraphs.length, 1);
  const meta = model.metaGraphs[0];
  assert.deepEqual(meta.metaInfoDef?.tags, ["serve"]);
  const gd = meta.graphDef!;
  assert.ok((gd.versions?.producer ?? 0) > 0);
  const library = new Map(gd.library!.function.map((f) => [f.signature!.name, f]));
  const nodes = new Map(gd.node.map((n) => [n.name, n]));
  for (const f of library.values()) checkFunction(f, library);
  for (const n of gd.node) {
    for (const i of n.input) assert.ok(nodes.has(i.replace(/^\^/, "").replace(/:\d+$/, "")), `main graph: ${n.name} input ${i}`);
    checkCall(n, library, "main graph");
  }
  // Signatures: inputs are placeholders of the declared dtype; outputs are outputs of call nodes.
  for (const [key, sig] of Object.entries(meta.signatureDef)) {
    for (const [name, info] of [...Object.entries(sig.inputs), ...Object.entries(sig.outputs)]) {
      assert.equal(info.encoding.case, "name", `signature ${key} ${name}`);
      const [nodeName, idx] = (info.encoding.value as string).split(":");
      const n = nodes.get(nodeName);
      assert.ok(n, `signature ${key}: ${name} names node ${nodeName}`);
      if (n.op === "Placeholder") assert.equal(n.attr.dtype.value.value, info.dtype);
      else {
        assert.equal(n.op, "StatefulPartitionedCall");
        const tout = n.attr.Tout.value;
        assert.ok(tout.case === "list" && Number(idx) < tout.value.type.length);
        assert.equal(tout.case === "list" ? tout.value.type[Number(idx)] : -1, info.dtype);
      }
    }
  }
  // SaverDef: the filename placeholder and the restore op exist.
  const saver = meta.saverDef!;
  assert.equal(nodes.get(saver.filenameTensorName.replace(/:0$/, ""))?.op, "Placeholder");
  assert.ok(nodes.has(saver.restoreOpName));
  assert.ok(nodes.has(saver.saveTensorName.replace(/:0$/, "")));
  // The object graph.
  const og = meta.objectGraphDef!;
  og.nodes.forEach((n, id) => {
    for (const c of n.children) assert.ok(c.nodeId >= 0 && c.nodeId < og.nodes.length, `object ${id}: child ${c.localName}`);
    const kind = n.kind;
    const checkConcrete = (name: string) => {
      assert.ok(library.has(name), `object ${id}: concrete function ${name} is in the library`);
      const cf = og.concreteFunctions[name];
      assert.ok(cf, `object ${id}: concrete function ${name} is described`);
      for (const b of cf.boundInputs) assert.equal(og.nodes[b]?.kind.case, "variable", `${name}: bound input ${b} is a variable`);
      // TensorFlow calls the function with the flat inputs, then the bound inputs.
      const flat = specCount(cf.canonicalizedInputSignature);
      assert.equal(flat + cf.boundInputs.length, library.get(name)!.signature!.inputArg.length, `${name}: inputs + captures = its args`);
      assert.equal(specCount(cf.outputSignature), library.get(name)!.signature!.outputArg.length, `${name}: output signature = its outputs`);
    };
    if (kind.case === "function") for (const name of kind.value.concreteFunctions) checkConcrete(name);
    if (kind.case === "bareConcreteFunction") checkConcrete(kind.value.concreteFunctionName);
  });
  const signatures = og.nodes[0].children.find((c) => c.localName === "signatures");
  if (Object.keys(meta.signatureDef).length > 0) {
    assert.ok(signatures);
    const map = og.nodes[signatures.nodeId];
    assert.equal(map.kind.case === "userObject" ? map.kind.value.identifier : "", "signature_map");
    assert.deepEqual(map.children.map((c) => c.localName).sort(), Object.keys(meta.signatureDef).sort());
    for (const c of map.children) assert.equal(og.nodes[c.nodeId].kind.case, "bareConcreteFunction");
  }
  // The variables: every SavedVariable has a value in the bundle, found through the checkpoint's object graph.
  const reader = BundleReader.open(join(dir, "variables", "variables"));
  const ckpt = fromBinary(TrackableObjectGraphSchema, reader.readStringBytes("_CHECKPOINTABLE_OBJECT_GRAPH")[0]);
  const pairs = new Map<number, number>([[0, 0]]);
  const queue = [0];
  while (queue.length > 0) {
    const s = queue.shift()!;
    const byName = new Map(ckpt.nodes[pairs.get(s)!].children.map((c) => [c.localName, c.nodeId]));
    for (const c of og.nodes[s].children) {
      const other = byName.get(c.localName);
      if (other !== undefined && !pairs.has(c.nodeId)) {
        pairs.set(c.nodeId, other);
        queue.push(c.nodeId);
      }
    }
  }
  const keys: string[] = [];
  og.nodes.forEach((n, id) => {
    if (n.kind.case !== "variable") return;
    const c = pairs.get(id);
    assert.ok(c !== undefined, `variable node ${id} is in the checkpoint's object graph`);
    const key = ckpt.nodes[c].attributes.find((a) => a.name === "VARIABLE_VALUE")?.checkpointKey;
    assert.ok(key && reader.has(key), `variable ${n.kind.value.name}: checkpoint key ${key}`);
    assert.equal(reader.entry(key).dtype, "float32");
    keys.push(key);
  });
  // The restore function restores exactly those keys.
  const restoreCall = nodes.get(saver.restoreOpName)!;
  const restoreFn = library.get(restoreCall.attr.f.value.case === "func" ? restoreCall.attr.f.value.value.name : "")!;
  const names = restoreFn.nodeDef.find((n) => n.name === "RestoreV2/tensor_names")!.attr.value.value;
  assert.ok(names.case === "tensor");
  assert.deepEqual(names.value.stringVal.map((b) => new TextDecoder().decode(b)).sort(), keys.sort());
  return { meta, library, og };
}

// ---------------------------------------------------------------------------------------------------------

describe("tf.saved_model.save", () => {
  it("a module of variables and tf.functions: written, checked by the independent reader, loaded back", () => {
    const obj: Loaded = { w: new tf.Variable([[2], [3]], { name: "w" }), b: new tf.Variable([0.5], { name: "b" }) };
    obj.f = tf.function((x: tf.Tensor) => tf.add(tf.matmul(x, obj.w), obj.b), { inputSignature: [new tf.TensorSpec([null, 2], "float32", "x")] });
    obj.inc = tf.function(() => {
      obj.b.assignAdd([1]);
      return obj.b.value();
    });
    obj.inc();
    const dir = tempDir();
    tf.savedModel.save(obj, dir, { signatures: obj.f });
    const { meta } = checkSavedModel(dir);
    assert.deepEqual(Object.keys(meta.signatureDef), ["serving_default"]);
    assert.deepEqual(Object.keys(meta.signatureDef.serving_default.inputs), ["x"]);
    assert.equal(meta.signatureDef.serving_default.methodName, "tensorflow/serving/predict");

    const loaded: Loaded = tf.savedModel.load(dir);
    assert.deepEqual(loaded.w.numpy(), [[2], [3]]);
    assert.deepEqual(loaded.b.numpy(), [1.5]);
    const xs = [
      [1, 1],
      [2, 0],
    ];
    assert.deepEqual(values(loaded.signatures.serving_default({ x: xs }).output_0), values(obj.f(xs)));
    assert.deepEqual(values(loaded.f(tf.constant(xs))), [6.5, 5.5]);
    // The restored function writes the restored variable, not the original.
    assert.deepEqual(values(loaded.inc()), [2.5]);
    assert.deepEqual(loaded.b.numpy(), [2.5]);
    assert.deepEqual(obj.b.numpy(), [1.5]);
  });

  it("a Keras model's forward pass as the serving signature: the loaded signature gives the same outputs", () => {
    const model = new tf.keras.Sequential([new tf.keras.layers.Dense(3, { activation: "relu", inputShape: [4] }), new tf.keras.layers.Dense(2)]);
    const x = tf.randomNormal([5, 4], 0, 1, "float32", 7);
    const expected = values(model.call(x) as tf.Tensor);
    const root = {
      weights: model.weights,
      serve: tf.function((inp: tf.Tensor) => ({ logits: model.call(inp) as tf.Tensor }), {
        inputSignature: [new tf.TensorSpec([null, 4], "float32", "inputs")],
      }),
    };
    const dir = tempDir();
    tf.savedModel.save(root, dir, { signatures: { serving_default: root.serve } });
    const { meta } = checkSavedModel(dir);
    assert.deepEqual(Object.keys(meta.signatureDef.serving_default.outputs), ["logits"]);
    const loaded: Loaded = tf.savedModel.load(dir, ["serve"]);
    const got = values(loaded.signatures.serving_default({ inputs: x }).logits);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${v} vs ${expected[i]}`));
  });

  it("a Keras model as the root, without signatures: its forward pass serves, its weights under Keras's keys", () => {
    const model = new tf.keras.Sequential([new tf.keras.layers.Dense(3, { activation: "relu", inputShape: [4] }), new tf.keras.layers.Dense(2)]);
    const x = tf.randomNormal([3, 4], 0, 1, "float32", 11);
    const expected = values(model.call(x) as tf.Tensor);
    const dir = tempDir();
    tf.savedModel.save(model, dir);
    const { meta } = checkSavedModel(dir);
    const sig = meta.signatureDef.serving_default;
    const [inName] = Object.keys(sig.inputs);
    const [outName] = Object.keys(sig.outputs);
    assert.deepEqual([inName, outName], [model.inputNames[0], model.outputNames[0]]);
    assert.ok(BundleReader.open(join(dir, "variables", "variables")).has("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
    const loaded: Loaded = tf.savedModel.load(dir);
    const got = values(loaded.signatures.serving_default({ [inName]: x })[outName]);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${v} vs ${expected[i]}`));
  });

  it("a function using a variable the saved object does not hold is refused, naming it", () => {
    const hidden = new tf.Variable(1, { name: "hidden" });
    const obj = { f: tf.function((x: tf.Tensor) => tf.mul(x, hidden), { inputSignature: [new tf.TensorSpec([], "float32", "x")] }) };
    obj.f(1);
    assert.throws(() => tf.savedModel.save(obj, tempDir()), /hidden.*not reachable/);
  });
});

describe("tf.compat.v1.saved_model.simple_save / Builder (TensorFlow 1)", () => {
  it("a graph with variables: written with a save/ subgraph TensorFlow 1 restores through, loaded back by loader.load", () => {
    const dir = join(tempDir(), "export");
    const g = new tf.Graph();
    let expected: number[] = [];
    g.asDefault(() => {
      const x = tf.placeholder("float32", [null, 2], { name: "x" });
      const W = new tf.Variable([[1], [2]], { name: "W" });
      const b = new tf.Variable([0.25], { name: "b" });
      const y = tf.add(tf.matmul(x, W), b, { name: "y" });
      using sess = new tf.Session({ graph: g });
      sess.run(tf.globalVariablesInitializer());
      sess.run(tf.assign(W, [[3], [4]]));
      expected = values(sess.run(y, { "x:0": [[1, 1]] }));
      tf.compat.v1.savedModel.simpleSave(sess, dir, { x }, { y });
    });
    assert.deepEqual(expected, [7.25]);
    // Independent reading: the saver subgraph restores every variable by its op name, and the bundle has those keys.
    const model = fromBinary(SavedModelSchema, readFileSync(join(dir, "saved_model.pb")));
    const meta = model.metaGraphs[0];
    assert.deepEqual(meta.metaInfoDef?.tags, ["serve"]);
    const nodes = new Map(meta.graphDef!.node.map((n) => [n.name, n]));
    assert.equal(nodes.get(meta.saverDef!.restoreOpName)?.op, "NoOp");
    assert.equal(nodes.get("save/RestoreV2")?.op, "RestoreV2");
    const names = nodes.get("save/RestoreV2/tensor_names")!.attr.value.value;
    assert.ok(names.case === "tensor");
    assert.deepEqual(
      names.value.stringVal.map((s) => new TextDecoder().decode(s)),
      ["W", "b"],
    );
    for (const a of ["save/Assign", "save/Assign_1"]) assert.equal(nodes.get(a)?.op, "Assign");
    assert.equal(meta.signatureDef.serving_default.inputs.x.encoding.value, "x:0");
    assert.equal(meta.signatureDef.serving_default.outputs.y.encoding.value, "y:0");
    const reader = BundleReader.open(join(dir, "variables", "variables"));
    assert.deepEqual(reader.keys(), ["W", "b"]);
    assert.deepEqual(Array.from(reader.read("W").values as Float32Array), [3, 4]);
    // And tsflow loads it.
    const g2 = new tf.Graph();
    g2.asDefault(() => {
      using sess = new tf.Session({ graph: g2 });
      const m = tf.compat.v1.savedModel.loader.load(sess, ["serve"], dir);
      const sig = m.signatureDef.serving_default;
      assert.deepEqual(values(sess.run(sig.outputs.y.encoding.value as string, { [sig.inputs.x.encoding.value as string]: [[1, 1]] })), [7.25]);
    });
  });
});
