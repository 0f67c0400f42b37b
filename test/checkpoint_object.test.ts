/**
 * TensorFlow 2 object-based checkpoints through the public API: tf.train.Checkpoint (save, write, restore,
 * read, deferred restoration, the status assertions), Keras models and optimizers under TensorFlow's key
 * names, tf.train.CheckpointManager, and TensorFlow's own SavedModel variables restored by object graph.
 * What tsflow writes is decoded by the test's own reader (test/util/bundle_check.ts), not by tsflow's.
 */
import { fromBinary } from "@bufbuild/protobuf";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import * as tf from "../src/index.js";
import { type TrackableObjectGraph, TrackableObjectGraphSchema } from "../src/proto/tensorflow/core/protobuf/trackable_object_graph_pb.js";
import { checkBundle, decodeStrings } from "./util/bundle_check.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-ckpt-object-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const FIXTURES = path.join(import.meta.dirname, "fixtures", "tf");
const FIXTURE = path.join(FIXTURES, "savedmodel-serving-half-plus-two-tf2");

/** The keys and the object graph of a written checkpoint, decoded independently of tsflow's reader. */
function decode(prefix: string): { keys: string[]; graph: TrackableObjectGraph } {
  const { header, entries } = checkBundle(prefix);
  const e = entries.get("_CHECKPOINTABLE_OBJECT_GRAPH");
  assert.ok(e, "the object graph is stored");
  assert.equal(e.dtype, 7, "as a DT_STRING");
  const [bytes] = decodeStrings(prefix, header.numShards, e, 1);
  return { keys: [...entries.keys()], graph: fromBinary(TrackableObjectGraphSchema, bytes) };
}

/** The local names of node `id`'s children. */
const childNames = (g: TrackableObjectGraph, id: number) => g.nodes[id].children.map((c) => c.localName);
const child = (g: TrackableObjectGraph, id: number, name: string) => g.nodes[id].children.find((c) => c.localName === name)!.nodeId;

const values = (v: tf.Variable) => Array.from((v.value() as tf.EagerTensor).dataSync() as Float32Array);

function makeModel(): tf.keras.Sequential {
  return new tf.keras.Sequential([new tf.keras.layers.Dense(5, { activation: "relu", inputShape: [3] }), new tf.keras.layers.Dense(2)]);
}
function compiled(model: tf.keras.Model): tf.keras.Model {
  model.compile({ optimizer: new tf.keras.optimizers.Adam(0.05), loss: "mse" });
  return model;
}
const xs = tf.constant([
  [0.1, 0.2, 0.3],
  [1, -1, 0.5],
  [0.3, 0.9, -0.2],
  [-0.5, 0.4, 0.8],
]);
const ys = tf.constant([
  [1, 0],
  [0, 1],
  [0.5, 0.5],
  [1, 1],
]);

describe("tf.train.Checkpoint of variables", () => {
  it("save numbers the checkpoint, tracks save_counter, updates the checkpoint file; restore sets the values back", () => {
    const step = new tf.Variable(7, { dtype: "int64" });
    const w = new tf.Variable([
      [1, 2],
      [3, 4],
    ]);
    const ckpt = new tf.train.Checkpoint({ w, step });
    const prefix = path.join(tmp, "vars", "ckpt");
    assert.equal(ckpt.save(prefix), `${prefix}-1`);
    assert.equal(ckpt.save(prefix), `${prefix}-2`);
    // TensorFlow's Checkpoint.save lists only the newest checkpoint, relative to the directory.
    assert.equal(fs.readFileSync(path.join(tmp, "vars", "checkpoint"), "utf8"), 'model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-2"\n');
    const { keys, graph } = decode(`${prefix}-2`);
    assert.deepEqual(keys.sort(), [
      "_CHECKPOINTABLE_OBJECT_GRAPH",
      "save_counter/.ATTRIBUTES/VARIABLE_VALUE",
      "step/.ATTRIBUTES/VARIABLE_VALUE",
      "w/.ATTRIBUTES/VARIABLE_VALUE",
    ]);
    // Keyword arguments in sorted order, then save_counter (TensorFlow's Checkpoint).
    assert.deepEqual(childNames(graph, 0), ["step", "w", "save_counter"]);
    const wNode = graph.nodes[child(graph, 0, "w")];
    assert.equal(wNode.attributes[0].name, "VARIABLE_VALUE");
    assert.equal(wNode.attributes[0].checkpointKey, "w/.ATTRIBUTES/VARIABLE_VALUE");
    assert.equal(wNode.hasCheckpointValues, true);

    w.assign(tf.zeros([2, 2]));
    step.assign(tf.constant(0, { dtype: "int64" }));
    ckpt.restore(`${prefix}-1`).assertConsumed();
    assert.deepEqual(values(w), [1, 2, 3, 4]);
    assert.equal(Number((step.value() as tf.EagerTensor).item()), 7);
    assert.equal(Number((ckpt.saveCounter.value() as tf.EagerTensor).item()), 1, "save_counter restored too");
  });

  it("write(prefix) writes exactly there, without numbering or a checkpoint file; read() restores it", () => {
    const v = new tf.Variable([5, 6]);
    const ckpt = new tf.train.Checkpoint({ v });
    const prefix = path.join(tmp, "write", "exact");
    assert.equal(ckpt.write(prefix), prefix);
    assert.ok(fs.existsSync(`${prefix}.index`) && fs.existsSync(`${prefix}.data-00000-of-00001`));
    assert.ok(!fs.existsSync(path.join(tmp, "write", "checkpoint")));
    assert.deepEqual(decode(prefix).keys.sort(), ["_CHECKPOINTABLE_OBJECT_GRAPH", "v/.ATTRIBUTES/VARIABLE_VALUE"]);
    const v2 = new tf.Variable([0, 0]);
    new tf.train.Checkpoint({ v: v2 }).read(prefix).assertConsumed();
    assert.deepEqual(values(v2), [5, 6]);
  });

  it("matches by object graph, not by variable names; lists and objects are tracked by index and key", () => {
    const a = new tf.Variable(1, { name: "first" });
    const b = new tf.Variable(2, { name: "second" });
    const prefix = path.join(tmp, "nested", "n");
    new tf.train.Checkpoint({ group: { x: a, list: [b] } }).write(prefix);
    assert.ok(decode(prefix).keys.includes("group/list/0/.ATTRIBUTES/VARIABLE_VALUE"));
    const a2 = new tf.Variable(0, { name: "other" });
    const b2 = new tf.Variable(0, { name: "names" });
    new tf.train.Checkpoint({ group: { x: a2, list: [b2] } }).read(prefix).assertConsumed();
    assert.deepEqual([values(a2)[0], values(b2)[0]], [1, 2]);
  });

  it("a variable the checkpoint lacks: restore succeeds, assertConsumed raises NotFoundError naming it", () => {
    const prefix = path.join(tmp, "missing", "m");
    new tf.train.Checkpoint({ a: new tf.Variable(1) }).write(prefix);
    const a = new tf.Variable(0);
    const b = new tf.Variable(5);
    const status = new tf.train.Checkpoint({ a, b }).restore(prefix);
    assert.equal(values(a)[0], 1);
    assert.equal(values(b)[0], 5, "left as it was");
    assert.throws(
      () => status.assertConsumed(),
      (e: Error) => e instanceof tf.errors.NotFoundError && /\(root\)\.b/.test(e.message) && !/\(root\)\.a\b/.test(e.message),
    );
    assert.throws(() => status.assertExistingObjectsMatched(), tf.errors.NotFoundError);
    status.expectPartial();
  });

  it("a checkpoint value without its object: assertConsumed names it, assertExistingObjectsMatched passes", () => {
    const prefix = path.join(tmp, "extra", "e");
    new tf.train.Checkpoint({ a: new tf.Variable(1), extra: new tf.Variable(2) }).write(prefix);
    const status = new tf.train.Checkpoint({ a: new tf.Variable(0) }).read(prefix);
    assert.throws(
      () => status.assertConsumed(),
      (e: Error) => e instanceof tf.errors.NotFoundError && /\(root\)\.extra/.test(e.message),
    );
    status.assertExistingObjectsMatched().assertNontrivialMatch();
  });

  it("a shape mismatch raises InvalidArgumentError naming the variable, and no variable is changed", () => {
    const prefix = path.join(tmp, "shape", "s");
    new tf.train.Checkpoint({ a: new tf.Variable([1, 2]), b: new tf.Variable([1, 2, 3]) }).write(prefix);
    const a = new tf.Variable([0, 0]);
    const b = new tf.Variable([0, 0]);
    assert.throws(
      () => new tf.train.Checkpoint({ a, b }).read(prefix),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /\(root\)\.b/.test(e.message) && /\[3\]/.test(e.message),
    );
    assert.deepEqual(values(a), [0, 0], "a restore sets every variable or none");
  });

  it("restoring a missing checkpoint raises NotFoundError; restore(null) restores nothing", () => {
    assert.throws(() => new tf.train.Checkpoint({ a: new tf.Variable(0) }).restore(path.join(tmp, "nope", "x")), tf.errors.NotFoundError);
    const status = new tf.train.Checkpoint({ a: new tf.Variable(0) }).restore(null);
    assert.throws(() => status.assertConsumed(), tf.errors.NotFoundError);
    status.expectPartial();
  });
});

describe("TensorFlow's SavedModel variables (savedmodel-serving-half-plus-two-tf2, written by TF 2.14)", () => {
  it("restore a, b, c = 0.5, 2, 3 by object graph from the SavedModel directory or its variables prefix", () => {
    for (const where of [FIXTURE, path.join(FIXTURE, "variables", "variables")]) {
      const a = new tf.Variable(0);
      const b = new tf.Variable(0);
      const c = new tf.Variable(0);
      // The root's other children (signatures, functions, an asset) hold no values: nothing to match.
      new tf.train.Checkpoint({ a, b, c }).restore(where).assertConsumed();
      assert.deepEqual([values(a)[0], values(b)[0], values(c)[0]], [0.5, 2, 3]);
    }
  });
});

describe("TensorFlow's Keras OptimizerV2 state (savedmodel-tf-rust-regression-tf2, a tf.Module saved by TensorFlow 2)", () => {
  it("w, b and the SGD optimizer's iter and hyperparameters restore by object graph; iter waits until the optimizer makes it", () => {
    const w = new tf.Variable([0]);
    const b = new tf.Variable([1]);
    const optimizer = new tf.keras.optimizers.SGD(0.1);
    const status = new tf.train.Checkpoint({ w, b, optimizer }).restore(path.join(FIXTURES, "savedmodel-tf-rust-regression-tf2"));
    assert.deepEqual([values(w)[0], values(b)[0]], [Math.fround(0.20429754), 0]);
    assert.equal(optimizer.learningRate, 0.5, "learning_rate restored");
    assert.equal(optimizer.momentum, 0);
    assert.throws(
      () => status.assertConsumed(),
      (e: Error) => e instanceof tf.errors.NotFoundError && /\(root\)\.optimizer\.iter/.test(e.message),
    );
    // Made now (by the getter): bound and restored at once.
    assert.equal(Number((optimizer.iterations.value() as tf.EagerTensor).item()), 0);
    status.assertConsumed();
    // An optimizer that has stepped already: its counter is set back to the checkpoint's 0.
    const stepped = new tf.keras.optimizers.SGD(0.1);
    stepped.iterations.assignAdd(5);
    new tf.train.Checkpoint({ w, b, optimizer: stepped }).restore(path.join(FIXTURES, "savedmodel-tf-rust-regression-tf2")).assertConsumed();
    assert.equal(Number((stepped.iterations.value() as tf.EagerTensor).item()), 0);
  });
});

describe("Keras models and optimizers", () => {
  it("writes TensorFlow 2 Keras's keys: layer_with_weights-N, layer-N, optimizer/iter, slots via slot_variables", async () => {
    const model = compiled(makeModel());
    await model.fit(xs, ys, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    const prefix = path.join(tmp, "keras", "model");
    new tf.train.Checkpoint({ model, optimizer: model.optimizer as object }).write(prefix);
    const { keys, graph } = decode(prefix);
    for (const k of [
      "model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE",
      "model/layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE",
      "model/layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE",
      "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE",
      "optimizer/learning_rate/.ATTRIBUTES/VARIABLE_VALUE",
      "optimizer/beta_1/.ATTRIBUTES/VARIABLE_VALUE",
      "model/layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
      "model/layer_with_weights-1/bias/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE",
    ]) {
      assert.ok(keys.includes(k), `${k} in ${keys.join(", ")}`);
    }
    assert.ok(!keys.some((k) => k.includes("metric") || k.includes("layer-0/")), "metrics are not saved; keys use the shortest path");
    const m = child(graph, 0, "model");
    assert.deepEqual(childNames(graph, m).slice(0, 4), ["layer_with_weights-0", "layer-0", "layer_with_weights-1", "layer-1"]);
    assert.equal(child(graph, m, "layer_with_weights-0"), child(graph, m, "layer-0"), "both names point at one node");
    const opt = graph.nodes[child(graph, 0, "optimizer")];
    assert.deepEqual(childNames(graph, child(graph, 0, "optimizer")), ["iter", "beta_1", "beta_2", "decay", "learning_rate"]);
    assert.deepEqual([...new Set(opt.slotVariables.map((s) => s.slotName))], ["m", "v"]);
    assert.equal(opt.slotVariables.length, 8);
    const kernelNode = child(graph, child(graph, m, "layer_with_weights-0"), "kernel");
    const slot = opt.slotVariables.find((s) => s.originalVariableNodeId === kernelNode && s.slotName === "m")!;
    assert.equal(
      graph.nodes[slot.slotVariableNodeId].attributes[0].checkpointKey,
      "model/layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
    );
  });

  for (const when of ["before", "after"] as const) {
    it(`a fresh model restored ${when} it is built predicts the same and takes the same next training step`, async () => {
      const model = compiled(makeModel());
      await model.fit(xs, ys, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
      const dir = path.join(tmp, `keras-${when}`);
      const saved = new tf.train.Checkpoint({ model, optimizer: model.optimizer as object }).save(path.join(dir, "ckpt"));

      const fresh = compiled(makeModel());
      if (when === "after") fresh.predict(xs, { verbose: 0 });
      const status = new tf.train.Checkpoint({ model: fresh, optimizer: fresh.optimizer as object }).restore(saved);
      const p1 = (model.predict(xs, { verbose: 0 }) as tf.EagerTensor).arraySync();
      const p2 = (fresh.predict(xs, { verbose: 0 }) as tf.EagerTensor).arraySync();
      assert.deepEqual(p2, p1);
      assert.throws(() => status.assertConsumed(), /OPTIMIZER_SLOT|slot/, "the optimizer's slots wait for its first step");
      await model.fit(xs, ys, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      await fresh.fit(xs, ys, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      status.assertConsumed();
      model.weights.forEach((w, i) => assert.deepEqual(values(fresh.weights[i]), values(w), `${w.name} after the next step`));
      const it1 = (model.optimizer as tf.keras.optimizers.Optimizer).iterations;
      const it2 = (fresh.optimizer as tf.keras.optimizers.Optimizer).iterations;
      assert.equal(Number((it2.value() as tf.EagerTensor).item()), Number((it1.value() as tf.EagerTensor).item()));
    });
  }

  it("root: the model's own keys (as saveWeights writes them); restored before it is built and compiled", async () => {
    const model = compiled(makeModel());
    await model.fit(xs, ys, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    const prefix = path.join(tmp, "root", "weights");
    new tf.train.Checkpoint({ root: model }).write(prefix);
    const { keys } = decode(prefix);
    assert.ok(keys.includes("layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE"), keys.join(", "));
    assert.ok(keys.includes("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"));
    assert.ok(keys.includes("layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE"));

    const fresh = makeModel();
    const status = new tf.train.Checkpoint({ root: fresh }).read(prefix);
    compiled(fresh);
    assert.deepEqual((fresh.predict(xs, { verbose: 0 }) as tf.EagerTensor).arraySync(), (model.predict(xs, { verbose: 0 }) as tf.EagerTensor).arraySync());
    assert.equal((fresh.optimizer as tf.keras.optimizers.Optimizer).learningRate, 0.05);
    await fresh.fit(xs, ys, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    status.assertConsumed();
    model.weights.forEach((w, i) => assert.deepEqual(values(fresh.weights[i]), values(w)));
  });

  for (const [name, make, slots] of [
    ["RMSprop (centered, momentum)", () => new tf.keras.optimizers.RMSprop({ learningRate: 0.01, momentum: 0.5, centered: true }), ["rms", "momentum", "mg"]],
    ["SGD (momentum)", () => new tf.keras.optimizers.SGD({ learningRate: 0.1, momentum: 0.9 }), ["momentum"]],
  ] as const) {
    it(`${name}: OptimizerV2's slot names, and the same next step after a restore`, async () => {
      const model = makeModel();
      model.compile({ optimizer: make(), loss: "mse" });
      await model.fit(xs, ys, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
      const prefix = path.join(tmp, `opt-${slots[0]}`, "c");
      new tf.train.Checkpoint({ model }).write(prefix);
      const { keys, graph } = decode(prefix);
      const opt = graph.nodes[child(graph, child(graph, 0, "model"), "optimizer")];
      assert.deepEqual([...new Set(opt.slotVariables.map((s) => s.slotName))], [...slots]);
      assert.ok(keys.includes(`model/layer_with_weights-0/kernel/.OPTIMIZER_SLOT/model/optimizer/${slots[0]}/.ATTRIBUTES/VARIABLE_VALUE`), keys.join(", "));
      const fresh = makeModel();
      fresh.compile({ optimizer: make(), loss: "mse" });
      const status = new tf.train.Checkpoint({ model: fresh }).read(prefix);
      await model.fit(xs, ys, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      await fresh.fit(xs, ys, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      status.assertConsumed();
      model.weights.forEach((w, i) => assert.deepEqual(values(fresh.weights[i]), values(w)));
    });
  }

  it("a functional model's layer-0 is its InputLayer; layers are matched by position", () => {
    const input = tf.keras.Input([3]);
    const out = new tf.keras.layers.Dense(2)(new tf.keras.layers.Dense(4)(input));
    const model = new tf.keras.Model({ inputs: input, outputs: out });
    const prefix = path.join(tmp, "functional", "f");
    new tf.train.Checkpoint({ net: model }).write(prefix);
    const { graph } = decode(prefix);
    assert.deepEqual(childNames(graph, child(graph, 0, "net")), ["layer-0", "layer_with_weights-0", "layer-1", "layer_with_weights-1", "layer-2"]);
    const input2 = tf.keras.Input([3]);
    const model2 = new tf.keras.Model({ inputs: input2, outputs: new tf.keras.layers.Dense(2)(new tf.keras.layers.Dense(4)(input2)) });
    new tf.train.Checkpoint({ net: model2 }).read(prefix).assertConsumed();
    assert.deepEqual((model2.predict(xs, { verbose: 0 }) as tf.EagerTensor).arraySync(), (model.predict(xs, { verbose: 0 }) as tf.EagerTensor).arraySync());
  });
});

describe("tf.train.CheckpointManager", () => {
  it("keeps maxToKeep checkpoints, deletes older ones after the new one is written, and recovers its state", () => {
    const v = new tf.Variable(0);
    const ckpt = new tf.train.Checkpoint({ v });
    const dir = path.join(tmp, "manager");
    const manager = new tf.train.CheckpointManager(ckpt, dir, { maxToKeep: 2 });
    assert.equal(manager.restoreOrInitialize(), null);
    for (let i = 1; i <= 4; i++) {
      v.assign(i * 10);
      assert.equal(manager.save(), path.join(dir, `ckpt-${i}`));
    }
    assert.deepEqual(manager.checkpoints, [path.join(dir, "ckpt-3"), path.join(dir, "ckpt-4")]);
    assert.equal(manager.latestCheckpoint, path.join(dir, "ckpt-4"));
    assert.deepEqual(fs.readdirSync(dir).sort(), ["checkpoint", "ckpt-3.data-00000-of-00001", "ckpt-3.index", "ckpt-4.data-00000-of-00001", "ckpt-4.index"]);
    const text = fs.readFileSync(path.join(dir, "checkpoint"), "utf8");
    assert.match(text, /model_checkpoint_path: "ckpt-4"/);
    assert.match(text, /all_model_checkpoint_paths: "ckpt-3"\nall_model_checkpoint_paths: "ckpt-4"/);

    const v2 = new tf.Variable(0);
    const manager2 = new tf.train.CheckpointManager(new tf.train.Checkpoint({ v: v2 }), dir, { maxToKeep: 2 });
    assert.deepEqual(manager2.checkpoints, manager.checkpoints);
    assert.equal(manager2.restoreOrInitialize(), path.join(dir, "ckpt-4"));
    assert.equal(values(v2)[0], 40);
    // The restored save_counter numbers the next checkpoint.
    assert.equal(manager2.save(), path.join(dir, "ckpt-5"));
    assert.ok(!fs.existsSync(path.join(dir, "ckpt-3.index")));
  });

  it("keepCheckpointEveryNHours keeps the files of checkpoints it drops from the list", () => {
    const dir = path.join(tmp, "hours");
    // A tiny interval: every checkpoint dropped from the list is one to preserve.
    const manager = new tf.train.CheckpointManager(new tf.train.Checkpoint({ v: new tf.Variable(1) }), dir, { maxToKeep: 1, keepCheckpointEveryNHours: 1e-9 });
    for (let i = 0; i < 3; i++) manager.save();
    assert.deepEqual(manager.checkpoints, [path.join(dir, "ckpt-3")]);
    for (const n of [1, 2, 3]) assert.ok(fs.existsSync(path.join(dir, `ckpt-${n}.index`)), `ckpt-${n} kept on disk`);
  });

  it("checkpointName, checkpointNumber, and checkpointInterval on a step counter", () => {
    const step = new tf.Variable(0, { dtype: "int64" });
    const dir = path.join(tmp, "interval");
    const manager = new tf.train.CheckpointManager(new tf.train.Checkpoint({ step }), dir, {
      checkpointName: "model",
      stepCounter: step,
      checkpointInterval: 10,
    });
    assert.equal(manager.save(), path.join(dir, "model-1"));
    step.assign(tf.constant(5, { dtype: "int64" }));
    assert.equal(manager.save(), null, "only 5 steps since the last save");
    step.assign(tf.constant(10, { dtype: "int64" }));
    assert.equal(manager.save({ checkpointNumber: 10 }), path.join(dir, "model-10"));
    assert.equal(manager.checkpoints.length, 2);
  });
});
