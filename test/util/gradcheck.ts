import assert from "node:assert/strict";
import * as tf from "../../src/index.js";
import { onTestDevice } from "./devices.js";

/**
 * Checks an op's gradient against central finite differences in float64, eagerly with a tape AND in a
 * graph with tf.gradients (both read the same op-table rule, so both must agree with the numbers).
 *
 * `f` maps float64 tensors to one tensor; `inputs` are nested arrays (converted to float64).
 * The scalar differentiated is sum(f(x) * w) with fixed pseudo-random weights w, so every output
 * element's gradient is exercised with a distinct weight.
 */
export function checkGradient(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: unknown[], opts: { eps?: number; tol?: number; wrt?: number[] } = {}): void {
  const eps = opts.eps ?? 1e-6;
  const tol = opts.tol ?? 1e-5;
  const wrt = opts.wrt ?? inputs.map((_, i) => i);
  const xs = inputs.map((v) => tf.constant(v as number[], { dtype: "float64" }) as tf.EagerTensor);
  const y0 = f(...xs) as tf.EagerTensor;
  const n = y0.size;
  const w = tf.constant(
    Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + 0.3) + 1.1),
    { dtype: "float64", shape: y0.shape },
  );
  const scalar = (...ts: tf.Tensor[]) => tf.reduceSum(tf.multiply(tf.cast(f(...ts), "float64"), w));

  // Eager, with a tape.
  const tape = new tf.GradientTape();
  const loss = tape.run(() => {
    tape.watch(xs);
    return scalar(...xs);
  }) as tf.EagerTensor;
  void loss;
  const tapeGrads = tape.gradient(loss, xs) as (tf.EagerTensor | null)[];

  // Graph, with tf.gradients and a session.
  const g = new tf.Graph();
  const graphGrads = g.asDefault(() => {
    const ps = xs.map((x) => tf.placeholder("float64", x.shape));
    const gs = onTestDevice(() =>
      tf.gradients(
        scalar(...ps),
        wrt.map((i) => ps[i]),
      ),
    );
    const sess = new tf.Session();
    const feed = new Map(ps.map((p, i) => [p, xs[i]] as [tf.SymbolicTensor, tf.EagerTensor]));
    const out = gs.map((gr) => (gr === null ? null : (sess.run(gr, feed) as tf.EagerTensor)));
    sess.close();
    return out;
  });

  wrt.forEach((i, k) => {
    const x = xs[i];
    const base = Float64Array.from(x.dataSync() as Float64Array);
    const numeric = new Float64Array(base.length);
    for (let j = 0; j < base.length; j++) {
      const plus = base.slice();
      plus[j] += eps;
      const minus = base.slice();
      minus[j] -= eps;
      const others = (v: Float64Array) => xs.map((t, m) => (m === i ? tf.constant(v, { dtype: "float64", shape: x.shape }) : t));
      const fp = (scalar(...others(plus)) as tf.EagerTensor).item();
      const fm = (scalar(...others(minus)) as tf.EagerTensor).item();
      numeric[j] = (fp - fm) / (2 * eps);
    }
    for (const [label, gr] of [
      ["tape", tapeGrads[i]],
      ["tf.gradients", graphGrads[k]],
    ] as const) {
      assert.ok(gr !== null, `${label}: gradient for input ${i} is null`);
      assert.deepEqual(gr.shape, x.shape, `${label}: gradient shape for input ${i}`);
      const got = gr.dataSync() as Float64Array;
      for (let j = 0; j < numeric.length; j++) {
        const err = Math.abs(got[j] - numeric[j]) / Math.max(1, Math.abs(numeric[j]));
        assert.ok(err <= tol, `${label}: d/dx${i}[${j}] = ${got[j]}, finite differences give ${numeric[j]} (rel. error ${err})`);
      }
    }
  });
}

/** Asserts nested values are equal within a tolerance (floats) or exactly (others). */
export function assertClose(actual: unknown, expected: unknown, tol = 1e-6, path = ""): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${String(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => assertClose((actual as unknown[])[i], e, tol, `${path}[${i}]`));
    return;
  }
  if (typeof expected === "number" && typeof actual === "number") {
    if (Number.isNaN(expected)) return assert.ok(Number.isNaN(actual), `${path}: expected NaN, got ${actual}`);
    assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${path}: ${actual} != ${expected}`);
    return;
  }
  assert.deepEqual(actual, expected, path);
}
