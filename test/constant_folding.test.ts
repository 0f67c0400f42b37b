import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { localDevices } from "../src/backends/placement.js";
import { FOLD_MAX_ELEMENTS } from "../src/runtime/constant_folding.js";
import { withOptions } from "./util/settings.js";

/**
 * Constant folding in Session plans (runtime/constant_folding.ts): nodes computed from constants alone, or
 * from a fully known input shape alone, are marked in the plan (describePlan), computed once per session and
 * then reused (their kernels run once), give the values of the unfolded plan, and never swallow what must run
 * at every step: random ops, variable reads, tf.cond branches, feeds, large values.
 */

type E = tf.EagerTensor;
const values = (t: E) => Array.from(t.dataSync() as Float32Array);
const foldedNames = (plan: string) =>
  plan
    .split("\n")
    .filter((l) => l.endsWith(" constant-folded"))
    .map((l) => /^\d+: (\S+) /.exec(l)![1]);

/**
 * Counts the kernels the executor runs on any device, by op type, while `f` runs (a GPU backend that hands
 * an op to the CPU's kernel counts once).
 */
function countKernels<T>(f: () => T): { result: T; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  let depth = 0;
  const restore = localDevices().map(({ backend: b }) => {
    const original = b.runKernel;
    b.runKernel = function (this: typeof b, type, inputs, attrs, env) {
      if (depth === 0) counts.set(type, (counts.get(type) ?? 0) + 1);
      depth++;
      try {
        return original.call(this, type, inputs, attrs, env);
      } finally {
        depth--;
      }
    };
    return () => {
      b.runKernel = original;
    };
  });
  try {
    return { result: f(), counts };
  } finally {
    for (const r of restore) r();
  }
}

describe("constant folding in Session plans", () => {
  it("folds a chain of constants and a shape-only node, runs their kernels once, and gives the unfolded values", () => {
    // Fusion and CUDA graphs off: on a GPU the unfolded Cast and the adds would run inside one generated kernel,
    // and from the third run on inside a replayed graph, uncounted.
    const run = (folding: boolean) =>
      withOptions({ constantFolding: folding, fusion: "off", cudaGraphs: false }, () => {
        const g = new tf.Graph();
        return g.asDefault(() => {
          const x = tf.placeholder("float32", [2, 3], { name: "x" });
          const scale = tf.mul(tf.cast(tf.constant([1, 2, 3], "int32"), "float32", { name: "scale_cast" }), 0.5, { name: "scale" });
          const ones = tf.onesLike(x, { name: "ones" });
          const y = tf.add(tf.mul(x, scale, { name: "xs" }), ones, { name: "y" });
          const sess = new tf.Session();
          const feeds = (k: number) =>
            new Map<tf.Tensor, number[][]>([
              [
                x,
                [
                  [k, 2, 3],
                  [4, 5, k],
                ],
              ],
            ]);
          const plan = sess.describePlan(y, [x]);
          const { result, counts } = countKernels(() => [0, 1, 2].map((k) => values(sess.run(y, feeds(k) as never) as E)));
          sess.close();
          return { plan, values: result, counts };
        });
      });
    const on = run(true);
    const off = run(false);
    assert.deepEqual(foldedNames(on.plan).sort(), ["ones", "scale", "scale_cast"]);
    assert.deepEqual(foldedNames(off.plan), []);
    assert.deepEqual(on.values, off.values);
    assert.deepEqual(on.values[1], [1.5, 3, 5.5, 3, 6, 2.5]);
    // Three runs: the folded kernels once, the others every time.
    assert.equal(on.counts.get("Cast"), 1);
    assert.equal(on.counts.get("OnesLike"), 1);
    assert.equal(on.counts.get("AddV2"), 3);
    assert.equal(off.counts.get("Cast"), 3);
    assert.equal(off.counts.get("OnesLike"), 3);
  });

  it("leaves alone random ops, variable reads, unknown shapes, feeds, large values and tf.cond branches", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const r = tf.mul(tf.randomUniform([3], 0, 1, "float32", { seed: 1 }), 2, { name: "random_scaled" });
      const v = new tf.Variable(tf.constant([1, 2]), { name: "v" });
      const vd = tf.cast(v, "float32", { name: "v_cast" });
      const p = tf.placeholder("float32", [null, 2], { name: "p" });
      const pOnes = tf.onesLike(p, { name: "p_ones" });
      const fedConst = tf.constant([3, 4], "float32", { name: "fed_const" });
      const fedScaled = tf.mul(fedConst, 2, { name: "fed_scaled" });
      const big = tf.mul(tf.fill([FOLD_MAX_ELEMENTS + 1], 1), 2, { name: "big" });
      const flag = tf.placeholder("bool", [], { name: "flag" });
      const branch = <tf.Tensor>tf.compat.v1.cond(
        flag,
        () => tf.mul(tf.constant(2), 3, { name: "then_value" }),
        () => tf.mul(tf.constant(5), 7, { name: "else_value" }),
      );
      const sess = new tf.Session();
      sess.run(v.initializer);
      const plan = sess.describePlan([r, vd, pOnes, fedScaled, big, branch], [p, fedConst, flag]);
      assert.deepEqual(foldedNames(plan), []);
      const feeds = (f: boolean) =>
        new Map<tf.Tensor, unknown>([
          [p, [[1, 1]]],
          [fedConst, [10, 20]],
          [flag, f],
        ]) as never;
      const a = sess.run([r, vd, fedScaled, branch], feeds(true)) as E[];
      sess.run(tf.compat.v1.assign(v, tf.constant([5, 6])));
      const b = sess.run([r, vd, fedScaled, branch], feeds(false)) as E[];
      assert.notDeepEqual(values(a[0]), values(b[0]), "the random op ran again");
      assert.deepEqual(values(b[1]), [5, 6], "the variable's new value was read");
      assert.deepEqual(values(a[2]), [20, 40], "the fed value, not the constant");
      assert.equal(a[3].item(), 6);
      assert.equal(b[3].item(), 35);
      sess.close();
    });
  });

  it("a check that fails on a folded value raises InvalidArgumentError at every run", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const scaled = tf.mul(tf.constant([1, Number.NaN]), 2, { name: "scaled" });
      const checked = tf.debugging.checkNumerics(scaled, "bad constant");
      const sess = new tf.Session();
      // On a GPU the check may run on the CPU: the copy of the folded value there is folded too.
      assert.deepEqual(
        foldedNames(sess.describePlan(checked)).filter((n) => n !== "scaled:0"),
        ["scaled"],
      );
      for (let run = 0; run < 2; run++)
        assert.throws(
          () => sess.run(checked),
          (e: Error) => e instanceof tf.errors.InvalidArgumentError && /bad constant/.test(e.message),
        );
      sess.close();
    });
  });

  it("Keras fit with folding gives the weights of fit without it", () => {
    const fit = (folding: boolean) =>
      withOptions({ constantFolding: folding }, () => {
        tf.setRandomSeed(3);
        const m = new tf.keras.Sequential([new tf.keras.layers.Dense(4, { inputShape: [3], activation: "relu" }), new tf.keras.layers.Dense(2)]);
        m.compile({
          optimizer: new tf.keras.optimizers.SGD({ learningRate: 0.1 }),
          loss: new tf.keras.losses.SparseCategoricalCrossentropy({ fromLogits: true }),
        });
        const x = tf.constant(
          Array.from({ length: 24 }, (_, i) => Math.sin(i)),
          { shape: [8, 3] },
        );
        const y = tf.constant([0, 1, 1, 0, 1, 0, 0, 1], { dtype: "int32" });
        const h = m.fitSync(x, y, { batchSize: 4, epochs: 3, shuffle: false, verbose: 0 });
        return { weights: m.getWeights().map((w) => values(w as E)), loss: h.history.loss };
      });
    assert.deepEqual(fit(true), fit(false));
  });

  it("is grappler's constant_folding option", () => {
    const before = tf.config.optimizer.getExperimentalOptions().constant_folding;
    assert.equal(before, true);
    try {
      tf.config.optimizer.setExperimentalOptions({ constant_folding: false });
      assert.equal(tf.config.experimental.getTsflowOptions().constantFolding, false);
      assert.equal(tf.config.optimizer.getExperimentalOptions().constant_folding, false);
    } finally {
      tf.config.optimizer.setExperimentalOptions({ constant_folding: true });
    }
  });
});
