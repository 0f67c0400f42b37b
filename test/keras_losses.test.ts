/** tf.keras.losses: values against Keras's documented examples, reductions, gradients against float64 finite differences, graph mode. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { assertClose, checkGradient } from "./util/gradcheck.js";

const L = tf.keras.losses;
const val = (t: tf.Tensor) => (t as tf.EagerTensor).arraySync();

const REG_T = [
  [0, 1],
  [0, 0],
];
const REG_P = [
  [1, 1],
  [1, 0],
];
const BIN_P = [
  [0.6, 0.4],
  [0.4, 0.6],
];
const CAT_T = [
  [0, 1, 0],
  [0, 0, 1],
];
const CAT_P = [
  [0.05, 0.95, 0],
  [0.1, 0.8, 0.1],
];

describe("tf.keras.losses: Keras's documented values", () => {
  it("MeanSquaredError and MeanAbsoluteError with each reduction and sample weights", () => {
    for (const Cls of [L.MeanSquaredError, L.MeanAbsoluteError]) {
      assertClose(val(new Cls()(REG_T, REG_P)), 0.5, 1e-6);
      assertClose(val(new Cls()(REG_T, REG_P, [0.7, 0.3])), 0.25, 1e-6);
      assertClose(val(new Cls({ reduction: "sum" })(REG_T, REG_P)), 1.0, 1e-6);
      assertClose(val(new Cls({ reduction: "none" })(REG_T, REG_P)), [0.5, 0.5], 1e-6);
    }
    assertClose(val(L.mse(REG_T, REG_P)), [0.5, 0.5], 1e-6);
    assertClose(val(L.mae(REG_T, REG_P)), [0.5, 0.5], 1e-6);
  });
  it("Huber", () => {
    assertClose(val(new L.Huber()(REG_T, BIN_P)), 0.155, 1e-6);
    assertClose(val(new L.Huber()(REG_T, BIN_P, { sampleWeight: [1, 0] })), 0.09, 1e-6);
    assertClose(val(new L.Huber({ reduction: "sum" })(REG_T, BIN_P)), 0.31, 1e-6);
    assertClose(val(new L.Huber({ reduction: "none" })(REG_T, BIN_P)), [0.18, 0.13], 1e-6);
    assertClose(val(L.huber([[0]], [[3]], { delta: 2 })), [2 * 3 - 0.5 * 4], 1e-6);
  });
  it("BinaryCrossentropy on probabilities and logits", () => {
    assertClose(val(new L.BinaryCrossentropy()(REG_T, BIN_P)), 0.815, 1e-3);
    assertClose(val(new L.BinaryCrossentropy()(REG_T, BIN_P, [1, 0])), 0.458, 1e-3);
    assertClose(val(new L.BinaryCrossentropy({ reduction: "sum" })(REG_T, BIN_P)), 1.63, 1e-3);
    assertClose(val(new L.BinaryCrossentropy({ reduction: "none" })(REG_T, BIN_P)), [0.916, 0.714], 1e-3);
    assertClose(val(new L.BinaryCrossentropy({ fromLogits: true })([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8])), 0.865, 1e-3);
    // Label smoothing moves the labels towards 0.5: 0 -> 0.1, 1 -> 0.9 with 0.2.
    const smoothed = val(new L.BinaryCrossentropy({ fromLogits: true, labelSmoothing: 0.2 })([[0, 1]], [[0.3, -0.4]]));
    const plain = val(new L.BinaryCrossentropy({ fromLogits: true })([[0.1, 0.9]], [[0.3, -0.4]]));
    assertClose(smoothed, plain, 1e-6);
  });
  it("CategoricalCrossentropy and SparseCategoricalCrossentropy", () => {
    for (const [loss, yTrue] of [
      [new L.CategoricalCrossentropy(), CAT_T],
      [new L.SparseCategoricalCrossentropy(), [1, 2]],
    ] as const) {
      assertClose(val(loss(yTrue, CAT_P)), 1.177, 1e-3);
      assertClose(val(loss(yTrue, CAT_P, [0.3, 0.7])), 0.814, 1e-3);
    }
    assertClose(val(new L.CategoricalCrossentropy({ reduction: "sum" })(CAT_T, CAT_P)), 2.354, 1e-3);
    assertClose(val(new L.SparseCategoricalCrossentropy({ reduction: "none" })([1, 2], CAT_P)), [0.0513, -Math.log(0.1)], 1e-3);
    // Logits: the same value as softmax, then probabilities.
    const logits = [
      [1, 2, 0.5],
      [0.3, -1, 2],
    ];
    const probs = tf.nn.softmax(tf.constant(logits));
    assertClose(val(new L.CategoricalCrossentropy({ fromLogits: true })(CAT_T, logits)), val(new L.CategoricalCrossentropy()(CAT_T, probs)), 1e-5);
    assertClose(val(new L.SparseCategoricalCrossentropy({ fromLogits: true })([1, 2], logits)), val(new L.CategoricalCrossentropy()(CAT_T, probs)), 1e-5);
    // Label smoothing spreads ls / classes onto every class.
    assertClose(
      val(new L.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.3 })(CAT_T, logits)),
      val(new L.CategoricalCrossentropy({ fromLogits: true })(tf.add(tf.multiply(tf.constant(CAT_T, "float32"), 0.7), 0.1), logits)),
      1e-6,
    );
  });
  it("sparse labels of any integer dtype, floats, a trailing size-1 axis, and another class axis", () => {
    const want = val(new L.SparseCategoricalCrossentropy()([1, 2], CAT_P));
    for (const dtype of ["int32", "int64", "uint8", "float32"] as const) {
      assertClose(val(new L.SparseCategoricalCrossentropy({ reduction: "none" })(tf.constant([[1], [2]], dtype), CAT_P)), [0.0513, -Math.log(0.1)], 1e-3);
      assertClose(val(new L.SparseCategoricalCrossentropy()(tf.constant([1, 2], dtype), CAT_P)), want, 1e-6);
    }
    const transposed = tf.transpose(tf.constant(CAT_P));
    assertClose(val(L.sparseCategoricalCrossentropy([1, 2], transposed, { axis: 0 })), val(L.sparseCategoricalCrossentropy([1, 2], CAT_P)), 1e-6);
  });
  it("labels outside the classes and mismatched shapes are clear InvalidArgumentErrors", () => {
    assert.throws(
      () => new L.SparseCategoricalCrossentropy()([1, 3], CAT_P),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /label value of 3.*\[0, 3\)/.test(e.message),
    );
    assert.throws(() => new L.SparseCategoricalCrossentropy()([1, 2, 0], CAT_P), /labels of shape \[3\] do not match predictions of shape \[2,3\]/);
    assert.throws(() => new L.MeanSquaredError({ reduction: "mean" as never }), /invalid reduction "mean"/);
  });
  it("get resolves Keras's snake_case and camelCase names, classes, functions and objects", () => {
    assert.equal(L.get("mse"), L.meanSquaredError);
    assert.equal(L.get("sparse_categorical_crossentropy"), L.sparseCategoricalCrossentropy);
    assert.equal(L.get("sparseCategoricalCrossentropy"), L.sparseCategoricalCrossentropy);
    assert.equal(L.get("binaryCrossentropy"), L.binaryCrossentropy);
    assert.ok(L.get("SparseCategoricalCrossentropy") instanceof L.SparseCategoricalCrossentropy);
    const obj = new L.Huber();
    assert.equal(L.get(obj), obj);
    assert.throws(() => L.get("nope"), /Unknown loss function: 'nope'/);
  });
  it("loss objects are callable instances with Keras's names and configs", () => {
    const loss = new L.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 });
    assert.ok(loss instanceof L.Loss && typeof loss === "function");
    assert.equal(loss.name, "categorical_crossentropy");
    assert.deepEqual(loss.getConfig(), { reduction: "sum_over_batch_size", name: "categorical_crossentropy", fromLogits: true, labelSmoothing: 0.1, axis: -1 });
    class Twice extends L.Loss {
      override call(yTrue: tf.TensorLike, yPred: tf.TensorLike): tf.Tensor {
        return tf.multiply(tf.subtract(yPred, yTrue), 2);
      }
    }
    assertClose(val(new Twice()([1, 2], [2, 4])), 3, 1e-6);
  });
});

describe("tf.keras.losses: gradients against float64 finite differences", () => {
  const p = [
    [0.2, 0.5, 0.3],
    [0.6, 0.1, 0.3],
  ];
  const logits = [
    [0.2, -1.5, 0.7],
    [1.1, 0.4, -0.3],
  ];
  const onehot = [
    [0, 1, 0],
    [1, 0, 0],
  ];
  it("MSE, MAE, Huber", () => {
    checkGradient((t, x) => new L.MeanSquaredError()(t, x), [onehot, p], { wrt: [1] });
    checkGradient((t, x) => new L.MeanAbsoluteError({ reduction: "sum" })(t, x), [onehot, p], { wrt: [1] });
    checkGradient((t, x) => new L.Huber({ delta: 0.4, reduction: "none" })(t, x), [onehot, p], { wrt: [1] });
  });
  it("cross-entropies on probabilities and logits", () => {
    checkGradient((t, x) => new L.BinaryCrossentropy()(t, x), [onehot, p], { wrt: [1] });
    checkGradient((t, x) => new L.BinaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 })(t, x), [onehot, logits], { wrt: [1] });
    checkGradient((t, x) => new L.CategoricalCrossentropy()(t, x), [onehot, p], { wrt: [1] });
    checkGradient((t, x) => new L.CategoricalCrossentropy({ fromLogits: true })(t, x, [0.3, 2]), [onehot, logits], { wrt: [1] });
    checkGradient((x) => new L.SparseCategoricalCrossentropy({ fromLogits: true })(tf.constant([1, 0], "int32"), x), [logits]);
    checkGradient((x) => new L.SparseCategoricalCrossentropy({ reduction: "none" })(tf.constant([2, 0], "int64"), x), [p]);
  });
});

describe("tf.keras.losses in a tf.Graph", () => {
  it("the same values from a Session, with an unknown batch size", () => {
    const want = val(new L.MeanSquaredError()(CAT_T, CAT_P));
    const g = new tf.Graph();
    g.asDefault(() => {
      const yTrue = tf.placeholder("int32", [null]);
      const yPred = tf.placeholder("float32", [null, 3]);
      const w = tf.placeholder("float32", [null]);
      const loss = new L.SparseCategoricalCrossentropy()(yTrue, yPred, w);
      const mse = new L.MeanSquaredError()(tf.cast(tf.oneHot(yTrue, 3), "float32"), yPred);
      const sess = new tf.Session();
      const [l, m] = sess.run(
        [loss, mse],
        new Map<tf.Tensor, number[] | number[][]>([
          [yTrue, [1, 2]],
          [yPred, CAT_P],
          [w, [0.3, 0.7]],
        ]),
      ) as tf.EagerTensor[];
      assertClose(l.arraySync(), 0.814, 1e-3);
      assertClose(m.arraySync(), want, 1e-6);
      sess.close();
    });
  });
});
