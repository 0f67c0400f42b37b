/**
 * Saving Keras models: saveWeights/loadWeights in TensorFlow's checkpoint format (the bundle's keys read by an
 * independent look at the index, the `checkpoint` file beside it), ModelCheckpoint (formatted paths, best
 * only, every n batches, weights or whole models), model.save/tf.keras.models.loadModel (keras_metadata.pb
 * decoded by hand, variables/, compile settings and optimizer state: training goes on exactly as it would
 * have), and the formats tsflow refuses.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import * as tf from "../src/index.js";
import { SavedModelSchema } from "../src/proto/tensorflow/core/protobuf/saved_model_pb.js";

const L = tf.keras.layers;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-keras-saving-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function data(n = 32): [tf.Tensor, tf.Tensor] {
  const x = tf.randomUniform([n, 4], { seed: 1 });
  const y = tf.cast(tf.greater(tf.reduceSum(x, 1), 2), "int32");
  return [x, y];
}
function makeModel(): tf.keras.Model {
  const model = new tf.keras.Sequential([new L.Dense(8, { activation: "relu", inputShape: [4] }), new L.BatchNormalization(), new L.Dense(2)]);
  model.compile({
    optimizer: new tf.keras.optimizers.Adam({ learningRate: 0.01 }),
    loss: new tf.keras.losses.SparseCategoricalCrossentropy({ fromLogits: true }),
    metrics: ["accuracy"],
  });
  return model;
}
function flat(model: tf.keras.Model): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync() as Float32Array));
}

/** The checkpoint's keys, through tf.train.listVariables (the bundle's own tests check its bytes independently). */
function indexKeys(prefix: string): string[] {
  return (tf.train.listVariables(prefix) as [string, number[]][]).map(([name]) => name);
}

describe("saveWeights / loadWeights", () => {
  it("writes a TensorFlow checkpoint with Keras's object-graph keys and the checkpoint file, and loads it into a new model", async () => {
    const [x, y] = data();
    const model = makeModel();
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
    const prefix = path.join(tmp, "w1", "weights");
    model.saveWeights(prefix);
    assert.ok(fs.existsSync(`${prefix}.index`) && fs.existsSync(`${prefix}.data-00000-of-00001`));
    const ckpt = fs.readFileSync(path.join(tmp, "w1", "checkpoint"), "utf8");
    assert.match(ckpt, /^model_checkpoint_path: "weights"$/m);
    assert.match(ckpt, /^all_model_checkpoint_paths: "weights"$/m);
    assert.equal(tf.train.latestCheckpoint(path.join(tmp, "w1")), prefix);
    const keys = indexKeys(prefix);
    for (const k of [
      "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE",
      "layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE",
      "layer_with_weights-1/moving_mean/.ATTRIBUTES/VARIABLE_VALUE",
      "layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE",
      "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE",
      "_CHECKPOINTABLE_OBJECT_GRAPH",
    ]) {
      assert.ok(keys.includes(k), `${k} in ${keys.join(", ")}`);
    }
    const other = makeModel();
    const status = other.loadWeights(prefix) as { expectPartial(): unknown };
    status.expectPartial();
    assert.deepEqual(flat(other), flat(model));
  });

  it("refuses HDF5 and Keras 3 files, byName, and a checkpoint of another model", () => {
    const model = makeModel();
    assert.throws(
      () => model.saveWeights(path.join(tmp, "w.h5")),
      (e: unknown) => e instanceof tf.errors.UnimplementedError && /HDF5.*checkpoint format/.test(String(e)),
    );
    assert.throws(() => model.saveWeights(path.join(tmp, "m.weights.h5")), tf.errors.UnimplementedError);
    assert.throws(() => model.loadWeights(path.join(tmp, "x"), { byName: true }), tf.errors.UnimplementedError);
    assert.throws(() => model.loadWeights(path.join(tmp, "nothing-here")), tf.errors.NotFoundError);
    const small = new tf.keras.Sequential([new L.Dense(3, { inputShape: [4] })]);
    const prefix = path.join(tmp, "w2", "weights");
    small.saveWeights(prefix);
    assert.throws(
      () => makeModel().loadWeights(prefix),
      (e: unknown) => e instanceof tf.errors.InvalidArgumentError || e instanceof tf.errors.NotFoundError,
    );
  });
});

describe("ModelCheckpoint", () => {
  it("formats paths like str.format, saves weights each epoch, only the best with saveBestOnly, every n batches with saveFreq", async () => {
    const [x, y] = data();
    const dir = path.join(tmp, "mc");
    const model = makeModel();
    const each = new tf.keras.callbacks.ModelCheckpoint(path.join(dir, "w.{epoch:02d}-{loss:.2f}"), { saveWeightsOnly: true, monitor: "loss" });
    const best = new tf.keras.callbacks.ModelCheckpoint(path.join(dir, "best"), { saveWeightsOnly: true, saveBestOnly: true, monitor: "loss", mode: "min" });
    const freq = new tf.keras.callbacks.ModelCheckpoint(path.join(dir, "b.{epoch}-{batch}"), { saveWeightsOnly: true, saveFreq: 3 });
    const history = await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, shuffle: false, callbacks: [each, best, freq] });
    const losses = history.history.loss as number[];
    for (let e = 0; e < 3; e++) assert.ok(fs.existsSync(path.join(dir, `w.0${e + 1}-${losses[e].toFixed(2)}.index`)), `epoch ${e + 1}`);
    assert.equal(best.best, Math.min(...losses));
    assert.ok(fs.existsSync(path.join(dir, "best.index")));
    // 4 batches an epoch, every 3 batches: epoch 1 batch 3, epoch 2 batch 2 (6th), epoch 3 batch 1 and 4.
    for (const n of ["b.1-3", "b.2-2", "b.3-1", "b.3-4"]) assert.ok(fs.existsSync(path.join(dir, `${n}.index`)), n);
    // The checkpoint file names the last save: at the end of epoch 3, `best` saves after `each` when the loss improved.
    const last = losses[2] === Math.min(...losses) ? best.lastSaved : each.lastSaved;
    assert.equal(tf.train.latestCheckpoint(dir), last);
    const whole = new tf.keras.callbacks.ModelCheckpoint(path.join(dir, "model-{epoch}"));
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, validationData: [x, y], callbacks: [whole] });
    assert.ok(fs.existsSync(path.join(dir, "model-1", "keras_metadata.pb")), "saveWeightsOnly false: model.save");
    assert.throws(() => new tf.keras.callbacks.ModelCheckpoint("x", { saveFreq: 0 }), /Unrecognized save_freq/);
    const bad = new tf.keras.callbacks.ModelCheckpoint(path.join(dir, "{nope}"));
    await assert.rejects(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [bad] }), /Failed to format this callback filepath/);
  });
});

describe("model.save / tf.keras.models.loadModel", () => {
  it("restores architecture, weights, compile settings and optimizer state: fit after loading gives the weights fit on the original gives", async () => {
    const [x, y] = data();
    const model = makeModel();
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
    const dir = path.join(tmp, "saved");
    model.save(dir);
    for (const f of ["keras_metadata.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"])
      assert.ok(fs.existsSync(path.join(dir, f)), f);
    const loaded = tf.keras.models.loadModel(dir);
    assert.equal(loaded.toJson(), model.toJson());
    assert.deepEqual(flat(loaded), flat(model));
    assert.deepEqual(loaded.evaluate(x, y, { verbose: 0 }), model.evaluate(x, y, { verbose: 0 }));
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, shuffle: false });
    await loaded.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, shuffle: false });
    const [a, b] = [flat(model), flat(loaded)];
    a.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) <= 1e-6, `weight ${i}[${j}]: ${v} vs ${b[i][j]}`)));
    assert.equal(Number((loaded.optimizer as tf.keras.optimizers.Optimizer).iterations.value().dataSync()[0]), 12);
  });

  it("keras_metadata.pb decodes (SavedMetadata by hand): root _tf_keras_sequential with model_config and training_config, a node per layer", () => {
    const model = makeModel();
    model.predict(tf.ones([1, 4]), { verbose: 0 });
    const dir = path.join(tmp, "meta");
    model.save(dir, { includeOptimizer: false });
    const nodes = decodeSavedMetadata(fs.readFileSync(path.join(dir, "keras_metadata.pb")));
    const root = nodes.find((n) => n.nodePath === "root");
    assert.ok(root);
    assert.equal(root.nodeId, 0);
    assert.equal(root.identifier, "_tf_keras_sequential");
    assert.deepEqual(root.version, [2, 1]);
    const meta = JSON.parse(root.metadata);
    assert.equal(meta.class_name, "Sequential");
    assert.equal(meta.model_config.class_name, "Sequential");
    assert.equal(meta.training_config.optimizer_config.class_name, "Adam");
    assert.equal(meta.training_config.optimizer_config.config.learning_rate, 0.01);
    assert.deepEqual(meta.training_config.metrics, ["accuracy"]);
    assert.equal(meta.training_config.loss.class_name, "SparseCategoricalCrossentropy");
    const layerPaths = nodes.filter((n) => n.identifier === "_tf_keras_layer").map((n) => n.nodePath);
    assert.deepEqual(layerPaths, ["root.layer_with_weights-0", "root.layer_with_weights-1", "root.layer_with_weights-2"]);
    assert.ok(!indexKeys(path.join(dir, "variables", "variables")).some((k) => k.startsWith("optimizer/")), "includeOptimizer: false");
    const loaded = tf.keras.models.loadModel(dir, { compile: false });
    assert.equal(loaded.isCompiled, false);
  });

  it("the directory is also a real SavedModel: saved_model.pb serves the forward pass, its object graph numbers nodes as keras_metadata.pb", () => {
    const model = makeModel();
    const x = tf.randomUniform([3, 4], { seed: 5 });
    const expected = Array.from((model.predict(x, { verbose: 0 }) as tf.Tensor).dataSync() as Float32Array);
    const dir = path.join(tmp, "real");
    model.save(dir);
    const loaded = tf.savedModel.load(dir) as unknown as { signatures: Record<string, (feeds: Record<string, tf.Tensor>) => Record<string, tf.Tensor>> };
    const out = Object.values(loaded.signatures.serving_default({ [model.inputNames[0]]: x }))[0];
    Array.from(out.dataSync() as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${v} vs ${expected[i]}`));
    // Node ids: each metadata node's path, followed through the SavedObjectGraph's children, reaches its id.
    const sm = fromBinary(SavedModelSchema, fs.readFileSync(path.join(dir, "saved_model.pb")));
    const graph = sm.metaGraphs[0].objectGraphDef;
    assert.ok(graph);
    for (const node of decodeSavedMetadata(fs.readFileSync(path.join(dir, "keras_metadata.pb")))) {
      let id = 0;
      for (const name of node.nodePath.split(".").slice(1)) {
        const edge = graph.nodes[id].children.find((c) => c.localName === name);
        assert.ok(edge, `${node.nodePath}: no child ${name} of node ${id}`);
        id = edge.nodeId;
      }
      assert.equal(id, node.nodeId, node.nodePath);
    }
  });

  it("a functional model with a layer of the user's class comes back through customObjects", () => {
    class Doubler extends L.Layer {
      override call(x: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
        return tf.multiply(x as tf.Tensor, 2);
      }
      computeOutputShape(s: (number | null)[]): (number | null)[] {
        return s;
      }
    }
    const inp = tf.keras.Input([3]);
    const out = new L.Dense(2)(new Doubler()(inp) as ReturnType<typeof tf.keras.Input>);
    const model = new tf.keras.Model({ inputs: inp, outputs: out });
    const dir = path.join(tmp, "custom");
    model.save(dir);
    assert.throws(() => tf.keras.models.loadModel(dir), /Unknown layer: 'Doubler'.*customObjects/);
    const loaded = tf.keras.models.loadModel({ filepath: dir, customObjects: { Doubler } });
    const xs = tf.ones([2, 3]);
    assert.deepEqual((loaded.predict(xs, { verbose: 0 }) as tf.Tensor).arraySync(), (model.predict(xs, { verbose: 0 }) as tf.Tensor).arraySync());
  });

  it("refuses .keras and .h5 paths naming the supported format, and a directory that is not a model", () => {
    const model = makeModel();
    assert.throws(
      () => model.save(path.join(tmp, "m.keras")),
      (e: unknown) => e instanceof tf.errors.UnimplementedError && /\.keras.*keras_metadata\.pb/.test(String(e)),
    );
    assert.throws(() => model.save(path.join(tmp, "m.h5")), tf.errors.UnimplementedError);
    assert.throws(() => tf.keras.models.loadModel(path.join(tmp, "m.keras")), tf.errors.UnimplementedError);
    assert.throws(() => tf.keras.models.loadModel(path.join(tmp, "missing")), tf.errors.NotFoundError);
  });
});

/** SavedMetadata decoded with a minimal protobuf reader written here (not the library the writer uses). */
function decodeSavedMetadata(buf: Uint8Array): { nodeId: number; nodePath: string; identifier: string; metadata: string; version: number[] }[] {
  const varint = (b: Uint8Array, p: { i: number }): number => {
    let r = 0;
    let s = 1;
    for (;;) {
      const c = b[p.i++];
      r += (c & 0x7f) * s;
      if (c < 0x80) return r;
      s *= 128;
    }
  };
  const fields = (b: Uint8Array): [number, number | Uint8Array][] => {
    const out: [number, number | Uint8Array][] = [];
    const p = { i: 0 };
    while (p.i < b.length) {
      const tag = varint(b, p);
      if ((tag & 7) === 0) out.push([tag >>> 3, varint(b, p)]);
      else if ((tag & 7) === 2) {
        const n = varint(b, p);
        out.push([tag >>> 3, b.subarray(p.i, p.i + n)]);
        p.i += n;
      } else throw new Error(`wire type ${tag & 7}`);
    }
    return out;
  };
  const text = (v: unknown) => Buffer.from(v as Uint8Array).toString("utf8");
  return fields(buf)
    .filter(([f]) => f === 1)
    .map(([, node]) => {
      const fs2 = fields(node as Uint8Array);
      const get = (n: number) => fs2.find(([f]) => f === n)?.[1];
      const version = fields((get(1) as Uint8Array) ?? new Uint8Array()).map(([, v]) => v as number);
      return { nodeId: (get(2) as number) ?? 0, nodePath: text(get(3)), identifier: text(get(4)), metadata: text(get(5)), version };
    });
}
