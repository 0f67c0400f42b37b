/**
 * tf.keras.layers (core, convolution, pooling, reshaping): values against hand-computed results, output
 * shapes against computeOutputShape, gradients against float64 finite differences, the same layers inside a
 * tf.Graph, and parameter counts as Keras reports them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { assertAllClose, checkLayer, det, input } from "./util/layer_check.js";

const L = tf.keras.layers;
const f64 = { dtype: "float64" as const };

describe("Dense", () => {
  it("takes Keras's arguments positionally or by name, and counts parameters as Keras (784 -> 10: 7850)", () => {
    const a = new L.Dense(10, "softmax");
    const b = new L.Dense({ units: 10, activation: "softmax" });
    const y = a(tf.ones([2, 784]));
    b(tf.ones([2, 784]));
    assert.deepEqual(y.shape, [2, 10]);
    assert.equal(a.countParams(), 7850);
    assert.equal(b.countParams(), 7850);
    assert.deepEqual(
      a.weights.map((w) => [w.name, w.shape]),
      [
        [`${a.name}/kernel:0`, [784, 10]],
        [`${a.name}/bias:0`, [10]],
      ],
    );
    assertAllClose(tf.reduceSum(y, 1) as tf.EagerTensor, [1, 1], 1e-6, "softmax rows");
  });
  it("computes x @ kernel + bias, then the activation", () => {
    const d = new L.Dense(2, {
      activation: "relu",
      kernelInitializer: () =>
        tf.constant([
          [1, -1],
          [2, 0.5],
        ]),
      biasInitializer: "ones",
    });
    assert.deepEqual(
      d(
        tf.constant([
          [1, 1],
          [-3, 1],
        ]),
      ).arraySync(),
      [
        [4, 0.5],
        [0, 4.5],
      ],
    );
  });
  it("gradients (input, kernel, bias) match finite differences, eagerly and in a graph", () => {
    checkLayer(() => new L.Dense(3, { activation: "tanh", kernelInitializer: det(), biasInitializer: det(0.1), ...f64 }), input([2, 4]));
  });
  it("applies to the last axis of a rank-3 input", () => {
    checkLayer(() => new L.Dense(2, { kernelInitializer: det(), useBias: false, ...f64 }), input([2, 3, 4]));
  });
  it("rejects an input whose last axis does not match, naming the layer and both shapes", () => {
    const d = new L.Dense(3, { name: "fc" });
    d(tf.ones([1, 4]));
    assert.throws(
      () => d(tf.ones([1, 5])),
      /Input 0 of layer "fc" is incompatible with the layer: expected axis -1 of input shape to have value 4, but received input with shape \(1, 5\)/,
    );
  });
  it("in a graph builds MatMul -> BiasAdd -> Relu, the pattern of the matmul epilogue", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const y = new L.Dense(4, "relu")(tf.placeholder("float32", [null, 3])) as tf.SymbolicTensor;
      assert.equal(y.op.type, "Relu");
      assert.equal(y.op.inputs[0].op.type, "BiasAdd");
      assert.equal(y.op.inputs[0].op.inputs[0].op.type, "MatMul");
    });
  });
  it("getConfig round-trips through the constructor", () => {
    const d = new L.Dense(5, { activation: "relu", useBias: false, name: "d5" });
    const c = d.getConfig();
    assert.equal(c.activation, "relu");
    const e = new L.Dense({ ...(c as object), name: "d5_copy" } as never);
    assert.equal(e.units, 5);
    assert.equal(e.useBias, false);
  });
});

describe("Conv2D, Conv1D, Conv2DTranspose, DepthwiseConv2D", () => {
  it("Conv2D(6, 5) on one channel has 156 parameters; padding same keeps the size", () => {
    const c = new L.Conv2D(6, 5, { padding: "same", activation: "relu" });
    const y = c(tf.ones([1, 28, 28, 1]));
    assert.deepEqual(y.shape, [1, 28, 28, 6]);
    assert.equal(c.countParams(), 156);
    assert.deepEqual(c.computeOutputShape([null, 28, 28, 1]), [null, 28, 28, 6]);
    assert.deepEqual(new L.Conv2D(16, 5).computeOutputShape([null, 14, 14, 6]), [null, 10, 10, 16]);
  });
  it("Conv2D computes the cross-correlation plus bias", () => {
    const c = new L.Conv2D(1, 2, {
      kernelInitializer: () =>
        tf.constant([
          [[[1]], [[2]]],
          [[[3]], [[4]]],
        ]),
      biasInitializer: () => tf.constant([1]),
    });
    const x = tf.constant([1, 2, 3, 4, 5, 6, 7, 8, 9], { shape: [1, 3, 3, 1] });
    // [1 2; 4 5] . [1 2; 3 4] = 1 + 4 + 12 + 20 = 37, + 1.
    assert.deepEqual(tf.reshape(c(x), [-1]).arraySync(), [38, 48, 68, 78]);
  });
  it("Conv2D gradients, eagerly and in a graph (valid, strided, same)", () => {
    checkLayer(() => new L.Conv2D(2, 2, { kernelInitializer: det(), biasInitializer: det(0.2), activation: "sigmoid", ...f64 }), input([1, 3, 3, 2]));
    checkLayer(() => new L.Conv2D(2, 3, { strides: 2, padding: "same", kernelInitializer: det(), ...f64 }), input([1, 4, 4, 1]));
  });
  it("Conv1D with causal padding: output t sees inputs up to t", () => {
    const c = new L.Conv1D(1, 2, { padding: "causal", kernelInitializer: () => tf.constant([[[1]], [[10]]]), useBias: false });
    assert.deepEqual(c(tf.constant([[[1], [2], [3]]])).arraySync(), [[[10], [21], [32]]]);
    checkLayer(() => new L.Conv1D(2, 2, { padding: "causal", dilationRate: 2, kernelInitializer: det(), ...f64 }), input([1, 5, 2]));
    checkLayer(() => new L.Conv1D(2, 3, { kernelInitializer: det(), biasInitializer: det(0.1), ...f64 }), input([2, 5, 1]));
  });
  it("Conv2DTranspose upsamples (stride 2, same: 4 -> 8) and differentiates", () => {
    const c = new L.Conv2DTranspose(2, 3, { strides: 2, padding: "same" });
    assert.deepEqual(c(tf.ones([1, 4, 4, 3])).shape, [1, 8, 8, 2]);
    assert.deepEqual(c.kernel.shape, [3, 3, 2, 3]);
    assert.deepEqual(new L.Conv2DTranspose(2, 3).computeOutputShape([null, 4, 4, 3]), [null, 6, 6, 2]);
    checkLayer(() => new L.Conv2DTranspose(2, 2, { strides: 2, kernelInitializer: det(), biasInitializer: det(0.1), ...f64 }), input([1, 2, 2, 1]));
  });
  it("DepthwiseConv2D multiplies the channels and differentiates", () => {
    const c = new L.DepthwiseConv2D(3, { depthMultiplier: 2 });
    assert.deepEqual(c(tf.ones([1, 5, 5, 3])).shape, [1, 3, 3, 6]);
    assert.equal(c.countParams(), 3 * 3 * 3 * 2 + 6);
    checkLayer(() => new L.DepthwiseConv2D(2, { depthMultiplier: 2, depthwiseInitializer: det(), biasInitializer: det(0.1), ...f64 }), input([1, 3, 3, 2]));
  });
  it("rejects an input of the wrong rank with Keras's message", () => {
    const c = new L.Conv2D(2, 3, { name: "conv" });
    assert.throws(
      () => c(tf.ones([28, 28, 1])),
      /Input 0 of layer "conv" is incompatible with the layer: expected ndim=4, found ndim=3. Full shape received: \(28, 28, 1\)/,
    );
  });
  it("in a graph builds Conv2D -> BiasAdd -> Relu", () => {
    new tf.Graph().asDefault(() => {
      const y = new L.Conv2D(2, 3, { activation: "relu" })(tf.placeholder("float32", [null, 5, 5, 1])) as tf.SymbolicTensor;
      assert.deepEqual([y.op.type, y.op.inputs[0].op.type, y.op.inputs[0].op.inputs[0].op.type], ["Relu", "BiasAdd", "Conv2D"]);
      assert.deepEqual(y.shape, [null, 3, 3, 2]);
    });
  });
});

describe("pooling", () => {
  const x = tf.constant([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], { shape: [1, 4, 4, 1], dtype: "float64" });
  it("MaxPooling2D and AveragePooling2D (2x2, stride 2)", () => {
    assert.deepEqual(tf.reshape(new L.MaxPooling2D()(x), [-1]).arraySync(), [6, 8, 14, 16]);
    assert.deepEqual(tf.reshape(new L.AveragePooling2D(2)(x), [-1]).arraySync(), [3.5, 5.5, 11.5, 13.5]);
    assert.deepEqual(new L.MaxPooling2D({ poolSize: 3, strides: 1, padding: "same" }).computeOutputShape([null, 4, 4, 1]), [null, 4, 4, 1]);
    checkLayer(() => new L.MaxPooling2D(), input([1, 4, 4, 2]));
    checkLayer(() => new L.AveragePooling2D({ poolSize: 3, strides: 1, padding: "same" }), input([1, 3, 3, 1]));
  });
  it("1-D pooling and global pooling", () => {
    assert.deepEqual(new L.MaxPooling1D()(tf.constant([[[1], [3], [2], [0]]])).arraySync(), [[[3], [2]]]);
    checkLayer(() => new L.AveragePooling1D(2, 1), input([2, 4, 2]));
    assert.deepEqual(new L.GlobalAveragePooling2D()(x).arraySync(), [[8.5]]);
    assert.deepEqual(new L.GlobalMaxPooling2D({ keepdims: true })(x).shape, [1, 1, 1, 1]);
    checkLayer(() => new L.GlobalAveragePooling2D(), input([2, 2, 3, 2]));
    checkLayer(() => new L.GlobalMaxPooling1D(), input([2, 3, 2]));
  });
  it("channels_first layouts reach the ops as NCHW", () => {
    const p = new L.MaxPooling2D({ dataFormat: "channels_first" });
    assert.deepEqual(p.computeOutputShape([null, 3, 4, 4]), [null, 3, 2, 2]);
    const g = new L.GlobalAveragePooling2D({ dataFormat: "channels_first" });
    assert.deepEqual(g(tf.ones([2, 3, 4, 4])).shape, [2, 3]);
  });
});

describe("Flatten, Reshape, Permute", () => {
  it("Flatten keeps the batch; Reshape infers -1; Permute is 1-indexed", () => {
    assert.deepEqual(new L.Flatten()(tf.ones([2, 3, 4])).shape, [2, 12]);
    assert.deepEqual(new L.Flatten().computeOutputShape([null, 5, 5, 16]), [null, 400]);
    assert.deepEqual(new L.Reshape([2, -1]).computeOutputShape([null, 6]), [null, 2, 3]);
    assert.deepEqual(
      new L.Permute([2, 1])(
        tf.constant([
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
        ]),
      ).arraySync(),
      [
        [
          [1, 4],
          [2, 5],
          [3, 6],
        ],
      ],
    );
    checkLayer(() => new L.Flatten(), input([2, 2, 3]));
    checkLayer(() => new L.Reshape([3, 2]), input([2, 6]));
    checkLayer(() => new L.Permute([2, 1]), input([2, 2, 3]));
  });
  it("Flatten of channels_first moves channels last first, as Keras", () => {
    const x = tf.constant([1, 2, 3, 4], { shape: [1, 2, 2, 1] });
    const cf = tf.transpose(x, [0, 3, 1, 2]);
    assert.deepEqual(new L.Flatten({ dataFormat: "channels_first" })(cf).arraySync(), new L.Flatten()(x).arraySync());
  });
  it("Reshape rejects a size change", () => {
    assert.throws(() => new L.Reshape([4], { name: "rs" })(tf.ones([1, 6])), /Layer "rs": total size of new array must be unchanged/);
  });
});

describe("Dropout", () => {
  it("is the identity in inference and drops with rescaling in training", () => {
    const d = new L.Dropout(0.5, { seed: 1 });
    const x = tf.ones([1000]);
    assert.equal(d(x), x);
    const y = d(x, { training: true }).dataSync() as Float32Array;
    const kept = Array.from(y).filter((v) => v !== 0);
    assert.ok(kept.every((v) => v === 2));
    assert.ok(kept.length > 400 && kept.length < 600, `kept ${kept.length} of 1000`);
    assert.deepEqual(new L.Dropout(0.3).computeOutputShape([null, 7]), [null, 7]);
  });
});

describe("a LeNet-5 stack", () => {
  it("has Keras's shapes and parameter counts", () => {
    const layers = [
      new L.Conv2D(6, 5, { padding: "same", activation: "relu" }),
      new L.MaxPooling2D(),
      new L.Conv2D(16, 5, { activation: "relu" }),
      new L.MaxPooling2D(),
      new L.Flatten(),
      new L.Dense(120, "relu"),
      new L.Dense(84, "relu"),
      new L.Dense(10, "softmax"),
    ];
    let s: tf.Shape = [null, 28, 28, 1];
    let x: tf.Tensor = tf.zeros([2, 28, 28, 1]);
    for (const l of layers) {
      s = (l as unknown as { computeOutputShape(s: tf.Shape): tf.Shape }).computeOutputShape(s);
      x = l(x);
      assert.deepEqual((x as tf.EagerTensor).shape.slice(1), s!.slice(1), l.name);
    }
    assert.deepEqual(
      layers.map((l) => l.countParams()),
      [156, 0, 2416, 0, 0, 48120, 10164, 850],
    );
  });
});
