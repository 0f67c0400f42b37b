import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "../src/index.js";

class Scale extends tf.keras.layers.Layer {
  w!: tf.Variable;
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as number[];
    this.w = this.addWeight("w", { shape: [shape[shape.length - 1]], initializer: { call: (s) => tf.ones(s) } });
  }
  override call(inputs: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
    return tf.multiply(inputs as tf.Tensor, this.w);
  }
}

test("a Keras layer is callable, builds its weights on the first call and names them after itself", () => {
  const layer = new Scale({ name: "scale" });
  assert.equal(layer.built, false);
  const y = layer(tf.constant([[1, 2, 3]]));
  assert.deepEqual(y.arraySync(), [[1, 2, 3]]);
  assert.equal(layer.built, true);
  assert.equal(layer.weights.length, 1);
  assert.equal(layer.weights[0].name, "scale/w:0");
  assert.equal(layer.countParams(), 3);
  assert.ok(layer instanceof tf.keras.layers.Layer);
});

test("layers get Keras's unique snake_case default names", () => {
  class MyDense extends tf.keras.layers.Layer {}
  const a = new MyDense();
  const b = new MyDense();
  assert.match(a.name, /^my_dense(_\d+)?$/);
  assert.notEqual(a.name, b.name);
});

test("a frozen layer's weights are non-trainable", () => {
  const layer = new Scale();
  layer(tf.ones([1, 2]));
  layer.trainable = false;
  assert.equal(layer.trainableWeights.length, 0);
  assert.equal(layer.nonTrainableWeights.length, 1);
});
