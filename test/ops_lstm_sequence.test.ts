/**
 * LSTMSequence (a whole LSTM sequence as one op: cuDNN's RNN on the GPU, a loop on the CPU) against the
 * per-step composition the Keras layer otherwise builds (one input projection, then per step a recurrent
 * MatMul and LSTMCellStep), on every device, eagerly and in a graph; its gradients against float64 finite
 * differences, for each output used alone and all together.
 */
import assert from "node:assert/strict";
import * as tf from "../src/index.js";
import { lstmCellStep, lstmSequence } from "../src/ops/recurrent.js";
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
const shapes = [[B, T, I], [B, U], [B, U], [I, 4 * U], [U, 4 * U], [4 * U]];
const inputs = shapes.map((s, n) => values(s, n + 1, n === 0 ? 2 : 0.8));
/** The same as nested arrays (what checkGradient takes). */
const nested = inputs.map((v, n) => tf.constant(v, { dtype: "float64", shape: shapes[n] }).arraySync());

/** The per-step path: x W + b for all steps, then h U and the fused cell per step. */
function reference(x: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor): tf.Tensor[] {
  const [batch, time, features] = x.shape as number[];
  const xp = tf.reshape(tf.add(tf.matmul(tf.reshape(x, [-1, features]), k), b), [batch, time, -1]);
  let h = h0;
  let c = c0;
  const ys: tf.Tensor[] = [];
  for (let t = 0; t < time; t++) {
    const step = tf.reshape(tf.slice(xp, [0, t, 0], [-1, 1, -1]), [batch, -1]);
    [h, c] = lstmCellStep(step, tf.matmul(h, r), c);
    ys.push(h);
  }
  return [tf.stack(ys, { axis: 1 }), h, c];
}

const shaped = (dtype: "float32" | "float64") => inputs.map((v, n) => tf.constant(v, { dtype, shape: shapes[n] }));

forEachDevice(() => {
  describe("LSTMSequence", () => {
    for (const dtype of ["float32", "float64"] as const) {
      // TF32 off: on a GPU both sides then multiply in full float32.
      it(`equals the per-step LSTM (${dtype}), eagerly and in a graph`, () =>
        withOptions({ tf32: false }, () => {
          const ts = shaped(dtype);
          const got = lstmSequence(ts[0], ts[1], ts[2], ts[3], ts[4], ts[5]);
          const want = reference(ts[0], ts[1], ts[2], ts[3], ts[4], ts[5]);
          const tol = dtype === "float32" ? 2e-6 : 1e-12;
          got.forEach((g, n) => {
            assert.deepEqual(g.shape, want[n].shape);
            assertClose(g.arraySync(), want[n].arraySync(), tol);
          });
          const graphOut = withGraph(new tf.Graph(), () => {
            const ps = inputs.map((v, n) => tf.constant(v, { dtype, shape: shapes[n] }));
            const outs = lstmSequence(ps[0], ps[1], ps[2], ps[3], ps[4], ps[5]);
            assert.deepEqual(outs[0].shape, [B, T, U]);
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

    it("has the gradient of the recurrence (y, h and c used; float64 finite differences)", () => {
      checkGradient((x, h0, c0, k, r, b) => {
        const [y, h, c] = lstmSequence(x, h0, c0, k, r, b);
        return tf.concat([tf.reshape(y, [B, -1]), tf.multiply(h, 0.6), tf.multiply(c, 0.7)], 1);
      }, nested);
    });
    it("passes gradients when only y, only h or only c is used", () => {
      checkGradient((...ts) => lstmSequence(ts[0], ts[1], ts[2], ts[3], ts[4], ts[5])[0], nested);
      checkGradient((...ts) => lstmSequence(ts[0], ts[1], ts[2], ts[3], ts[4], ts[5])[1], nested);
      checkGradient((...ts) => lstmSequence(ts[0], ts[1], ts[2], ts[3], ts[4], ts[5])[2], nested);
    });
    it("has the gradients of the per-step path in float32", () =>
      withOptions({ tf32: false }, () => {
        const ts = shaped("float32");
        const grads = (f: (...xs: tf.Tensor[]) => tf.Tensor[]) => {
          const tape = new tf.GradientTape();
          const loss = tape.run(() => {
            tape.watch(ts);
            const [y, h, c] = f(...ts);
            return tf.add(tf.reduceSum(tf.multiply(y, y)), tf.reduceSum(tf.add(h, tf.multiply(c, 0.5))));
          });
          return (tape.gradient(loss, ts) as tf.EagerTensor[]).map((g) => g.arraySync());
        };
        assertClose(
          grads((...xs) => lstmSequence(xs[0], xs[1], xs[2], xs[3], xs[4], xs[5])),
          grads((...xs) => reference(xs[0], xs[1], xs[2], xs[3], xs[4], xs[5])),
          1e-5,
        );
      }));
    it("rejects inputs of the wrong shapes, naming the op and the shapes", () => {
      const ts = shaped("float32");
      assert.throws(
        () => lstmSequence(ts[0], ts[1], ts[2], tf.zeros([I + 1, 4 * U]), ts[4], ts[5]),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /LSTMSequence/.test(e.message) && /kernel \[input, 4 \* units\]/.test(e.message),
      );
      assert.throws(() => lstmSequence(ts[0], ts[1], ts[2], ts[3], ts[4], tf.zeros([3 * U])), tf.errors.InvalidArgumentError);
    });
  });
});
