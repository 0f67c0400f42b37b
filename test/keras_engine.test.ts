/**
 * The Keras engine's structure: tf.keras.Input, functional models (several inputs and outputs, shared
 * layers, nested models), Sequential (add, pop, built from inputShape or on first call), subclassed
 * models, weights, getLayer and summary(). Layers are tiny stand-ins (test/util/keras_stand_ins.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { Double, TinyAdd, TinyDense } from "./util/keras_stand_ins.js";

const close = (a: unknown, b: unknown) => {
  const x = (a as tf.Tensor).dataSync() as Float32Array;
  const y = (b as tf.Tensor).dataSync() as Float32Array;
  assert.equal(x.length, y.length);
  x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) < 1e-5, `${v} vs ${y[i]} at ${i}`));
};

describe("tf.keras.Input and the functional API", () => {
  it("Input gives a KerasTensor with an unknown batch dimension", () => {
    const x = tf.keras.Input([784], { name: "pixels" });
    assert.deepEqual(x.shape, [null, 784]);
    assert.equal(x.dtype, "float32");
    assert.equal(String(x), "KerasTensor(type_spec=TensorSpec(shape=(None, 784), dtype=tf.float32, name='pixels'), name='pixels')");
    assert.deepEqual(tf.keras.Input([3], 8).shape, [8, 3]);
  });

  it("calling layers on KerasTensors records nodes with inferred shapes; the model runs them", () => {
    const inp = tf.keras.Input([4]);
    const h = new TinyDense(3, { activation: "relu" })(inp);
    assert.deepEqual(h.shape, [null, 3]);
    const d = new Double()(h);
    assert.deepEqual(d.shape, [null, 3], "probed shape of a layer without computeOutputShape");
    const out = new TinyDense(2)(d);
    const model = new tf.keras.Model({ inputs: inp, outputs: out, name: "chain" });
    assert.equal(model.name, "chain");
    assert.equal(model.layers.length, 4);
    assert.ok(model.layers[0] instanceof tf.keras.layers.InputLayer);
    assert.equal(model.weights.length, 4);
    const x = tf.constant([[1, 2, 3, 4]]);
    const y = model(x) as tf.Tensor;
    assert.deepEqual(y.shape, [1, 2]);
    // The same computation by hand.
    const [k1, b1, k2, b2] = model.weights.map((w) => w.value() as tf.Tensor);
    close(y, tf.add(tf.matmul(tf.multiply(tf.nn.relu(tf.add(tf.matmul(x, k1), b1)), 2), k2), b2));
    close(model.predict(x, { verbose: 0 }), y);
  });

  it("several inputs and outputs (arrays or objects) and shared layers", () => {
    const a = tf.keras.Input([2], { name: "a" });
    const b = tf.keras.Input([2], { name: "b" });
    const shared = new TinyDense(3, { name: "shared" });
    const sum = new TinyAdd()([shared(a), shared(b)]) as typeof a;
    const head1 = new TinyDense(1, { name: "head1" })(sum);
    const head2 = new TinyDense(2, { name: "head2" })(sum);
    const model = new tf.keras.Model({ inputs: [a, b], outputs: [head1, head2] });
    assert.deepEqual(model.outputNames, ["head1", "head2"]);
    assert.equal(shared.weights.length, 2);
    assert.equal(model.trainableWeights.length, 6, "the shared layer's weights count once");
    const xa = tf.constant([[1, 0]]);
    const xb = tf.constant([[0, 1]]);
    const [o1, o2] = model([xa, xb]) as tf.Tensor[];
    assert.deepEqual(o1.shape, [1, 1]);
    assert.deepEqual(o2.shape, [1, 2]);
    const byName = new tf.keras.Model({ inputs: { a, b }, outputs: { first: head1, second: head2 } });
    const outs = byName({ a: xa, b: xb } as never) as unknown as Record<string, tf.Tensor>;
    close(outs.first, o1);
    close(outs.second, o2);
    const lines: string[] = [];
    model.summary({ printFn: (l) => lines.push(l) });
    assert.ok(lines[2].includes("Connected to"), "a model with branches gets the Connected to column");
    assert.ok(lines.some((l) => l.includes("['shared[0][0]',")));
    assert.ok(lines.some((l) => l.includes("'shared[1][0]']")));
  });

  it("a model is a layer: nested in another functional model", () => {
    const inner = tf.keras.Input([3]);
    const encoder = new tf.keras.Model({ inputs: inner, outputs: new TinyDense(2)(inner), name: "encoder" });
    const x = tf.keras.Input([3]);
    const y = new TinyDense(1)(encoder(x));
    assert.deepEqual(y.shape, [null, 1]);
    const model = new tf.keras.Model({ inputs: x, outputs: y });
    assert.ok(model.layers.includes(encoder));
    assert.equal(model.weights.length, 4);
    assert.deepEqual((model(tf.ones([5, 3])) as tf.Tensor).shape, [5, 1]);
  });

  it("a disconnected graph is an error naming the tensor", () => {
    const a = tf.keras.Input([2]);
    const b = tf.keras.Input([2]);
    const out = new TinyAdd()([a, b]);
    assert.throws(() => new tf.keras.Model({ inputs: a, outputs: out }), /Graph disconnected: cannot obtain value for tensor .* at layer "input_\d+"/);
  });
});

describe("tf.keras.Sequential", () => {
  it("is built at once when the first layer has inputShape, and prints Keras's summary", () => {
    tf.keras.backend.clearSession();
    const model = new tf.keras.Sequential([new TinyDense(512, { inputShape: [784], activation: "relu" }), new TinyDense(10)]);
    assert.equal(model.name, "sequential");
    assert.ok(model.built);
    assert.equal(model.layers.length, 2);
    assert.deepEqual(model.outputs[0].shape, [null, 10]);
    const lines: string[] = [];
    model.summary({ printFn: (l) => lines.push(l) });
    assert.deepEqual(lines, [
      'Model: "sequential"',
      "_________________________________________________________________",
      " Layer (type)                Output Shape              Param #   ",
      "=================================================================",
      " tiny_dense (TinyDense)      (None, 512)               401920    ",
      "                                                                 ",
      " tiny_dense_1 (TinyDense)    (None, 10)                5130      ",
      "                                                                 ",
      "=================================================================",
      "Total params: 407050 (1.55 MB)",
      "Trainable params: 407050 (1.55 MB)",
      "Non-trainable params: 0 (0.00 Byte)",
      "_________________________________________________________________",
    ]);
  });

  it("add and pop; built on the first call without an input shape", () => {
    const model = new tf.keras.Sequential();
    model.add(new TinyDense(4));
    model.add(new TinyDense(2));
    assert.equal(model.built, false);
    assert.throws(() => model.summary(), /has not yet been built/);
    const y = model(tf.ones([3, 5])) as tf.Tensor;
    assert.deepEqual(y.shape, [3, 2]);
    assert.ok(model.built);
    assert.deepEqual(model.inputs[0].shape, [null, 5]);
    const popped = model.pop();
    assert.equal((popped as TinyDense).units, 2);
    assert.deepEqual(model.outputs[0].shape, [null, 4]);
    assert.throws(() => model.add(model.layers[0]), /already in the model/);
    const named = new tf.keras.Sequential({ layers: [new TinyDense(1, { inputShape: [2] })], name: "by_name" });
    assert.equal(named.name, "by_name");
    assert.ok(named.built);
  });

  it("getLayer by name or index, getWeights/setWeights round trip with shape checks", () => {
    const model = new tf.keras.Sequential([new TinyDense(3, { inputShape: [2], name: "first" }), new TinyDense(1, { name: "second" })]);
    assert.equal(model.getLayer("second").name, "second");
    assert.equal(model.getLayer(0).name, "first");
    assert.throws(() => model.getLayer("nope"), /No such layer: nope/);
    const w = model.getWeights();
    assert.equal(w.length, 4);
    const zeroed = w.map((t) => tf.zerosLike(t));
    model.setWeights(zeroed);
    assert.deepEqual((model.predict(tf.ones([1, 2]), { verbose: 0 }) as tf.Tensor).arraySync(), [[0]]);
    model.setWeights(w);
    assert.throws(() => model.setWeights(w.slice(1)), /weight list of length 3, but the layer was expecting 4 weights/);
    assert.throws(() => model.setWeights([tf.zeros([5, 5]), ...w.slice(1)]), /weight shape \(2, 3\) is not compatible with provided weight shape \(5, 5\)/);
  });
});

describe("subclassed models", () => {
  class TwoLayer extends tf.keras.Model {
    hidden = new TinyDense(4, { activation: "relu" });
    out = new TinyDense(1);
    override call(x: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
      return this.out(this.hidden(x as tf.Tensor));
    }
  }

  it("are built on the first call; their layers are tracked through properties", () => {
    const m = new TwoLayer();
    assert.match(m.name, /^two_layer/);
    assert.equal(m.built, false);
    const y = m(tf.ones([2, 3])) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 1]);
    assert.equal(m.trainableWeights.length, 4);
    assert.deepEqual(
      m.layers.map((l) => l.name.replace(/_\d+$/, "")),
      ["tiny_dense", "tiny_dense"],
    );
    const lines: string[] = [];
    m.summary({ printFn: (l) => lines.push(l) });
    assert.ok(lines.some((l) => l.includes("multiple")));
    assert.ok(lines.includes("Total params: 21 (84.00 Byte)"));
  });
});
