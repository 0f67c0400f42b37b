/** tf.keras.metrics: values against Keras's documented examples, state handling, get/resolveMetric, graph mode. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { assertClose } from "./util/gradcheck.js";

const M = tf.keras.metrics;
const val = (t: tf.Tensor) => (t as tf.EagerTensor).arraySync();
const PRED = [
  [0.1, 0.9, 0.8],
  [0.05, 0.95, 0],
];

describe("tf.keras.metrics: Keras's documented values", () => {
  it("Accuracy: updateState, result, resetState", () => {
    const m = new M.Accuracy();
    m.updateState([[1], [2], [3], [4]], [[0], [2], [3], [4]]);
    assertClose(val(m.result()), 0.75, 1e-6);
    m.resetState();
    m.updateState([[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0]);
    assertClose(val(m.result()), 0.5, 1e-6);
    assert.equal(m.name, "accuracy");
    assert.deepEqual(
      m.variables.map((v) => [v.name, v.trainable]),
      [
        ["accuracy/total:0", false],
        ["accuracy/count:0", false],
      ],
    );
  });
  it("the accuracies, called as functions of a batch (update, then result)", () => {
    assertClose(val(new M.BinaryAccuracy()([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])), 0.75, 1e-6);
    assertClose(val(new M.BinaryAccuracy()([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], [1, 0, 0, 1])), 0.5, 1e-6);
    assertClose(
      val(
        new M.CategoricalAccuracy()(
          [
            [0, 0, 1],
            [0, 1, 0],
          ],
          PRED,
        ),
      ),
      0.5,
      1e-6,
    );
    assertClose(
      val(
        new M.CategoricalAccuracy()(
          [
            [0, 0, 1],
            [0, 1, 0],
          ],
          PRED,
          [0.7, 0.3],
        ),
      ),
      0.3,
      1e-6,
    );
    assertClose(val(new M.SparseCategoricalAccuracy()([[2], [1]], PRED)), 0.5, 1e-6);
    assertClose(val(new M.SparseCategoricalAccuracy()(tf.constant([2, 1], "int64"), PRED, [0.7, 0.3])), 0.3, 1e-6);
    assertClose(
      val(
        new M.TopKCategoricalAccuracy({ k: 1 })(
          [
            [0, 0, 1],
            [0, 1, 0],
          ],
          PRED,
        ),
      ),
      0.5,
      1e-6,
    );
    assertClose(
      val(
        new M.TopKCategoricalAccuracy({ k: 1 })(
          [
            [0, 0, 1],
            [0, 1, 0],
          ],
          PRED,
          [0.7, 0.3],
        ),
      ),
      0.3,
      1e-6,
    );
    assertClose(val(new M.SparseTopKCategoricalAccuracy({ k: 1 })([2, 1], PRED)), 0.5, 1e-6);
    assertClose(val(new M.SparseTopKCategoricalAccuracy({ k: 2 })([2, 1], PRED)), 1, 1e-6);
  });
  it("the state accumulates over batches", () => {
    const m = new M.SparseCategoricalAccuracy();
    m.updateState([1], [[0.1, 0.9]]);
    m.updateState(
      [0, 0],
      [
        [0.1, 0.9],
        [0.8, 0.2],
      ],
    );
    assertClose(val(m.result()), 2 / 3, 1e-6);
    m.resetState();
    assertClose(val(m.result()), 0, 1e-6);
  });
  it("Mean, Sum, MeanSquaredError, MeanAbsoluteError", () => {
    const mean = new M.Mean();
    mean.updateState([1, 3, 5, 7]);
    assertClose(val(mean.result()), 4, 1e-6);
    mean.resetState();
    mean.updateState([1, 3, 5, 7], [1, 1, 0, 0]);
    assertClose(val(mean.result()), 2, 1e-6);
    const sum = new M.Sum();
    sum.updateState([1, 3, 5, 7]);
    assertClose(val(sum.result()), 16, 1e-6);
    for (const Cls of [M.MeanSquaredError, M.MeanAbsoluteError]) {
      const m = new Cls();
      m.updateState(
        [
          [0, 1],
          [0, 0],
        ],
        [
          [1, 1],
          [0, 0],
        ],
      );
      assertClose(val(m.result()), 0.25, 1e-6);
      m.resetState();
      m.updateState(
        [
          [0, 1],
          [0, 0],
        ],
        [
          [1, 1],
          [0, 0],
        ],
        [1, 0],
      );
      assertClose(val(m.result()), 0.5, 1e-6);
    }
  });
  it("Precision and Recall (thresholds, sample weights, topK, classId)", () => {
    assertClose(val(new M.Precision()([0, 1, 1, 1], [1, 0, 1, 1])), 2 / 3, 1e-6);
    assertClose(val(new M.Precision()([0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0])), 1, 1e-6);
    assertClose(val(new M.Precision({ topK: 2 })([0, 0, 1, 1], [1, 1, 1, 1])), 0, 1e-6);
    assertClose(val(new M.Precision({ topK: 4 })([0, 0, 1, 1], [1, 1, 1, 1])), 0.5, 1e-6);
    assertClose(val(new M.Recall()([0, 1, 1, 1], [1, 0, 1, 1])), 2 / 3, 1e-6);
    assertClose(val(new M.Recall()([0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0])), 1, 1e-6);
    assertClose(val(new M.Recall({ thresholds: [0.2, 0.7] })([1, 1, 0], [0.5, 0.9, 0.1])), [1, 0.5], 1e-6);
    // classId picks one column of [batch, classes].
    assertClose(
      val(
        new M.Recall({ classId: 1 })(
          [
            [0, 1],
            [1, 0],
            [0, 1],
          ],
          [
            [0.4, 0.6],
            [0.7, 0.3],
            [0.8, 0.2],
          ],
        ),
      ),
      0.5,
      1e-6,
    );
  });
  it("AUC: ROC and PR curves, the summation methods", () => {
    assertClose(val(new M.AUC({ numThresholds: 3 })([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])), 0.75, 1e-6);
    assertClose(val(new M.AUC({ numThresholds: 3 })([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1])), 1, 1e-6);
    // Perfectly separated scores: ROC AUC 1 with the default 200 thresholds, PR AUC 1 too.
    assertClose(val(new M.AUC()([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])), 1, 1e-6);
    assertClose(val(new M.AUC({ curve: "PR" })([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])), 1, 1e-5);
    // Hand-computed with 3 thresholds: recall [1, 0.5, 0], fpr [1, 0, 0]; minoring sums (1-0)*0.5, majoring (1-0)*1.
    assertClose(val(new M.AUC({ numThresholds: 3, summationMethod: "minoring" })([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])), 0.5, 1e-6);
    assertClose(val(new M.AUC({ numThresholds: 3, summationMethod: "majoring" })([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])), 1, 1e-6);
    assertClose(val(new M.AUC({ numThresholds: 3, fromLogits: true })([0, 0, 1, 1], [-9, 0, -0.8, 2.2])), 0.75, 1e-6);
  });
});

describe("tf.keras.metrics: get and resolveMetric", () => {
  it("get resolves names, classes and functions", () => {
    assert.equal(M.get("accuracy"), M.accuracy);
    assert.equal(M.get("acc"), M.accuracy);
    assert.equal(M.get("sparse_categorical_accuracy"), M.sparseCategoricalAccuracy);
    assert.equal(M.get("sparseCategoricalAccuracy"), M.sparseCategoricalAccuracy);
    assert.ok(M.get("AUC") instanceof M.AUC);
    assert.ok(M.get("precision") instanceof M.Precision);
    assert.throws(() => M.get("nope"), /Unknown metric function: 'nope'/);
  });
  it('"accuracy" follows the shapes as Keras decides, else the loss', () => {
    const fnOf = (m: tf.keras.metrics.Metric) => (m as tf.keras.metrics.MeanMetricWrapper).fn;
    assert.equal(fnOf(M.resolveMetric("accuracy", { yTrueShape: [null], yPredShape: [null, 10] })), M.sparseCategoricalAccuracy);
    assert.equal(fnOf(M.resolveMetric("accuracy", { yTrueShape: [null, 1], yPredShape: [null, 10] })), M.sparseCategoricalAccuracy);
    assert.equal(fnOf(M.resolveMetric("acc", { yTrueShape: [null, 10], yPredShape: [null, 10] })), M.categoricalAccuracy);
    assert.equal(fnOf(M.resolveMetric("accuracy", { yTrueShape: [null, 1], yPredShape: [null, 1] })), M.binaryAccuracy);
    assert.equal(fnOf(M.resolveMetric("accuracy", { loss: "sparse_categorical_crossentropy" })), M.sparseCategoricalAccuracy);
    assert.equal(fnOf(M.resolveMetric("accuracy", { loss: new tf.keras.losses.BinaryCrossentropy() })), M.binaryAccuracy);
    assert.equal(fnOf(M.resolveMetric("accuracy", { loss: "categoricalCrossentropy" })), M.categoricalAccuracy);
    assert.equal(M.resolveMetric("acc").name, "acc");
    const auc = new M.AUC();
    assert.equal(M.resolveMetric(auc), auc);
    assert.equal(M.resolveMetric("mse").name, "mse");
  });
});

describe("tf.keras.metrics in a tf.Graph", () => {
  it("updateState returns the update op; the result follows the state across runs", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const yTrue = tf.placeholder("int32", [null]);
      const yPred = tf.placeholder("float32", [null, 3]);
      const acc = new M.SparseCategoricalAccuracy();
      const auc = new M.AUC({ numThresholds: 3 });
      const update = acc.updateState(yTrue, yPred)!;
      const aucValue = auc(tf.placeholderWithDefault([0, 0, 1, 1], [4]), tf.placeholderWithDefault([0, 0.5, 0.3, 0.9], [4]));
      assert.ok(update instanceof tf.Operation);
      const sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      sess.run(
        update,
        new Map<tf.Tensor, number[] | number[][]>([
          [yTrue, [2, 1]],
          [yPred, PRED],
        ]),
      );
      sess.run(
        update,
        new Map<tf.Tensor, number[] | number[][]>([
          [yTrue, [1]],
          [yPred, [PRED[0]]],
        ]),
      );
      assertClose((sess.run(acc.result()) as tf.EagerTensor).arraySync(), 2 / 3, 1e-6);
      assertClose((sess.run(aucValue) as tf.EagerTensor).arraySync(), 0.75, 1e-6);
      sess.run(acc.resetState()!);
      assertClose((sess.run(acc.result()) as tf.EagerTensor).arraySync(), 0, 1e-6);
      sess.close();
    });
  });
});
