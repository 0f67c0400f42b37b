/**
 * Optimizer updates write a variable's buffer in place when nothing but the variable holds it
 * (KernelEnv.ownedRefs): what any other holder read before the update keeps the old values, eagerly and in a
 * Session, and the updated values are those of the fresh-buffer path.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";

const values = (t: tf.Tensor) => Array.from(t.dataSync() as Float32Array);

describe("updates in place", () => {
  it("eagerly: a value read before an SGD or Momentum step keeps the old values; the variable gets the new ones", () => {
    for (const make of [() => new tf.train.GradientDescentOptimizer(0.5), () => new tf.train.MomentumOptimizer(0.5, 0.9)]) {
      const v = new tf.Variable(tf.constant([1, 2, 3]));
      // Two steps, so that the second runs on a buffer the first made (never handed out).
      make().applyGradients([[tf.constant([1, 1, 1]), v]]);
      const held = v.readValue() as tf.Tensor;
      const opt = make();
      opt.applyGradients([[tf.constant([2, 2, 2]), v]]);
      assert.deepEqual(values(held), [0.5, 1.5, 2.5]);
      assert.deepEqual(values(v.readValue() as tf.Tensor), [-0.5, 0.5, 1.5]);
      held.dispose();
    }
  });

  it("an array from dataSync is never written by a later step", () => {
    const v = new tf.Variable(tf.constant([1, 2]));
    const opt = new tf.train.GradientDescentOptimizer(1);
    opt.applyGradients([[tf.constant([1, 1]), v]]);
    const arr = (v.readValue() as tf.Tensor).dataSync();
    opt.applyGradients([[tf.constant([1, 1]), v]]);
    opt.applyGradients([[tf.constant([1, 1]), v]]);
    assert.deepEqual(Array.from(arr as Float32Array), [0, 1]);
    assert.deepEqual(values(v.readValue() as tf.Tensor), [-2, -1]);
  });

  it("in a Session: a read fetched with the step that updates after it is the value before the step", () => {
    new tf.Graph().asDefault(() => {
      const w = new tf.Variable(tf.constant([4, 8]));
      const read = tf.identity(w.readValue() as tf.Tensor);
      const loss = tf.reduceSum(tf.multiply(w, tf.constant([1, 2])));
      const train = tf.controlDependencies([read], () => new tf.train.GradientDescentOptimizer(0.25).minimize(loss));
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      for (let step = 0; step < 3; step++) {
        const [r] = sess.run([read, train]) as tf.Tensor[];
        assert.deepEqual(values(r), [4 - 0.25 * step, 8 - 0.5 * step], `step ${step}`);
      }
      assert.deepEqual(values(sess.run(w) as tf.Tensor), [3.25, 6.5]);
    });
  });
});
