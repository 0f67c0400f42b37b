/**
 * GRUSequence (a whole GRU sequence as one op: cuDNN's GRU on the GPU where reset_after is true, a loop on
 * the CPU) against the per-step composition the Keras layer otherwise builds (one input projection, then per
 * step the recurrent MatMul and GRUCellStep, or with reset_after false the public ops of the reset-before
 * candidate), for both reset_after modes, on every device, eagerly and in a graph; its gradients against
 * float64 finite differences, for each output used alone and both together.
 */
import assert from "node:assert/strict";
import * as tf from "../src/index.js";
import { gruCellStep, gruSequence } from "../src/ops/recurrent.js";
import { describe, forEachDevice, it, withGraph } from "./util/devices.js";
import { assertClose, checkGradient } from "./util/gradcheck.js";
import { withOptions } from "./util/settings.js";

/** Deterministic values of a shape, spread over [-scale, scale]. */
function values(shape: number[], seed: number, scale = 1): number[] {
  const n = shape.reduce((p, v) => p * v, 1);
  return Array.from({ length: n }, (_, i) => scale * Math.sin(seed + 1.3 * i + 0.7 * (i % 5)));
}

const B = 2;
const T = 3;
const I = 3;
const U = 2;
const shapesFor = (resetAfter: boolean) => [[B, T, I], [B, U], [I, 3 * U], [U, 3 * U], resetAfter ? [2, 3 * U] : [3 * U]];

/** The per-step path: x W + b_in for all steps, then per step h U (+ b_rec) and the cell. */
function reference(resetAfter: boolean, x: tf.Tensor, h0: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor): tf.Tensor[] {
  const [batch, time, features] = x.shape as number[];
  const bIn = resetAfter ? tf.reshape(tf.slice(b, [0, 0], [1, -1]), [-1]) : b;
  const xp = tf.reshape(tf.add(tf.matmul(tf.reshape(x, [-1, features]), k), bIn), [batch, time, -1]);
  let h = h0;
  const ys: tf.Tensor[] = [];
  for (let t = 0; t < time; t++) {
    const step = tf.reshape(tf.slice(xp, [0, t, 0], [-1, 1, -1]), [batch, -1]);
    if (resetAfter) {
      h = gruCellStep(step, tf.add(tf.matmul(h, r), tf.slice(b, [1, 0], [1, -1])), h);
    } else {
      const [xz, xr, xh] = tf.split(step, 3, 1);
      const [rz, rr, rh] = tf.split(r, 3, 1);
      const z = tf.sigmoid(tf.add(xz, tf.matmul(h, rz)));
      const rg = tf.sigmoid(tf.add(xr, tf.matmul(h, rr)));
      const hh = tf.tanh(tf.add(xh, tf.matmul(tf.multiply(rg, h), rh)));
      h = tf.add(hh, tf.multiply(z, tf.subtract(h, hh)));
    }
    ys.push(h);
  }
  return [tf.stack(ys, { axis: 1 }), h];
}

forEachDevice(() => {
  for (const resetAfter of [true, false]) {
    describe(`GRUSequence (resetAfter ${resetAfter})`, () => {
      const shapes = shapesFor(resetAfter);
      const inputs = shapes.map((s, n) => values(s, n + 1, n === 0 ? 2 : 0.8));
      const nested = inputs.map((v, n) => tf.constant(v, { dtype: "float64", shape: shapes[n] }).arraySync());
      const shaped = (dtype: "float32" | "float64") => inputs.map((v, n) => tf.constant(v, { dtype, shape: shapes[n] }));
      const seq = (ts: tf.Tensor[]) => gruSequence(ts[0], ts[1], ts[2], ts[3], ts[4], { resetAfter });

      for (const dtype of ["float32", "float64"] as const) {
        // TF32 off: on a GPU both sides then multiply in full float32.
        it(`equals the per-step GRU (${dtype}), eagerly and in a graph`, () =>
          withOptions({ tf32: false }, () => {
            const ts = shaped(dtype);
            const got = seq(ts);
            const want = reference(resetAfter, ts[0], ts[1], ts[2], ts[3], ts[4]);
            const tol = dtype === "float32" ? 2e-6 : 1e-12;
            got.forEach((g, n) => {
              assert.deepEqual(g.shape, want[n].shape);
              assertClose(g.arraySync(), want[n].arraySync(), tol);
            });
            const graphOut = withGraph(new tf.Graph(), () => {
              const outs = seq(inputs.map((v, n) => tf.constant(v, { dtype, shape: shapes[n] })));
              assert.deepEqual(outs[0].shape, [B, T, U]);
              assert.deepEqual(outs[1].shape, [B, U]);
              const sess = new tf.Session();
              const r = sess.run(outs) as tf.EagerTensor[];
              sess.close();
              return r.map((t) => t.arraySync());
            });
            assertClose(
              graphOut,
              want.map((t) => t.arraySync()),
              tol,
            );
          }));
      }

      it("has the gradient of the recurrence (y and h used; float64 finite differences)", () => {
        checkGradient((...ts) => {
          const [y, h] = seq(ts);
          return tf.concat([tf.reshape(y, [B, -1]), tf.multiply(h, 0.6)], 1);
        }, nested);
      });
      it("passes gradients when only y or only h is used", () => {
        checkGradient((...ts) => seq(ts)[0], nested);
        checkGradient((...ts) => seq(ts)[1], nested);
      });
      it("has the gradients of the per-step path in float32", () =>
        withOptions({ tf32: false }, () => {
          const ts = shaped("float32");
          const grads = (f: (xs: tf.Tensor[]) => tf.Tensor[]) => {
            const tape = new tf.GradientTape();
            const loss = tape.run(() => {
              tape.watch(ts);
              const [y, h] = f(ts);
              return tf.add(tf.reduceSum(tf.multiply(y, y)), tf.reduceSum(tf.multiply(h, 0.5)));
            });
            return (tape.gradient(loss, ts) as tf.EagerTensor[]).map((g) => g.arraySync());
          };
          assertClose(
            grads(seq),
            grads((xs) => reference(resetAfter, xs[0], xs[1], xs[2], xs[3], xs[4])),
            1e-5,
          );
        }));
      it("runs a sequence of no steps: y is empty, h is h0", () => {
        const ts = shaped("float64");
        const x = tf.zeros([B, 0, I], { dtype: "float64" });
        const [y, h] = gruSequence(x, ts[1], ts[2], ts[3], ts[4], { resetAfter });
        assert.deepEqual(y.shape, [B, 0, U]);
        assertClose(h.arraySync(), ts[1].arraySync(), 0);
      });
    });
  }

  describe("GRUSequence's shape checks", () => {
    it("rejects inputs of the wrong shapes, naming the op, the mode and the shapes", () => {
      const ts = shapesFor(true).map((s) => tf.zeros(s));
      assert.throws(
        () => gruSequence(ts[0], ts[1], tf.zeros([I + 1, 3 * U]), ts[3], ts[4]),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /GRUSequence/.test(e.message) && /kernel \[input, 3 \* units\]/.test(e.message),
      );
      // A reset-before bias [3 units] where reset_after wants [2, 3 units], and the other way round.
      assert.throws(
        () => gruSequence(ts[0], ts[1], ts[2], ts[3], tf.zeros([3 * U])),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /bias \[2, 3 \* units\] \(reset_after\)/.test(e.message),
      );
      assert.throws(() => gruSequence(ts[0], ts[1], ts[2], ts[3], ts[4], { resetAfter: false }), tf.errors.InvalidArgumentError);
      assert.throws(() => gruSequence(ts[0], ts[1], ts[2], ts[3], tf.zeros([3, 3 * U])), tf.errors.InvalidArgumentError);
    });
  });
});
