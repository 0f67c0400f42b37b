/**
 * The recurrent family's fused ops (LSTMCellStep, GRUCellStep and their gradient ops) against the
 * composition of public ops they replace, on every device, eagerly and in a graph; gradients against
 * float64 finite differences.
 */
import * as tf from "../src/index.js";
import { gruCellStep, lstmCellStep } from "../src/ops/recurrent.js";
import { describe, forEachDevice, it, withGraph } from "./util/devices.js";
import { assertClose, checkGradient } from "./util/gradcheck.js";

/** Deterministic values of a shape, spread over [-2, 2]. */
const values = (rows: number, cols: number, seed: number): number[][] =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => 2 * Math.sin(seed + 1.3 * i + 0.7 * j)));

function lstmComposed(xp: tf.Tensor, hz: tf.Tensor, c: tf.Tensor): tf.Tensor[] {
  const [i, f, g, o] = tf.split(tf.add(xp, hz), 4, 1);
  const cs = tf.add(tf.multiply(tf.sigmoid(f), c), tf.multiply(tf.sigmoid(i), tf.tanh(g)));
  return [tf.multiply(tf.sigmoid(o), tf.tanh(cs)), cs];
}
function gruComposed(xp: tf.Tensor, hp: tf.Tensor, h: tf.Tensor): tf.Tensor {
  const [xz, xr, xh] = tf.split(xp, 3, 1);
  const [hz, hr, hh] = tf.split(hp, 3, 1);
  const z = tf.sigmoid(tf.add(xz, hz));
  const r = tf.sigmoid(tf.add(xr, hr));
  const cand = tf.tanh(tf.add(xh, tf.multiply(r, hh)));
  return tf.add(tf.multiply(z, h), tf.multiply(tf.subtract(1, z), cand));
}

const B = 3;
const U = 2;

forEachDevice(() => {
  describe("LSTMCellStep", () => {
    const xp = values(B, 4 * U, 1);
    const hz = values(B, 4 * U, 2);
    const c = values(B, U, 3);
    for (const dtype of ["float32", "float64"] as const) {
      it(`equals the composition of sigmoid, tanh, multiply and add (${dtype}), eagerly and in a graph`, () => {
        const ts = [xp, hz, c].map((v) => tf.constant(v, { dtype }));
        const [h, cs] = lstmCellStep(ts[0], ts[1], ts[2]);
        const [rh, rcs] = lstmComposed(ts[0], ts[1], ts[2]);
        const tol = dtype === "float32" ? 1e-6 : 1e-12;
        assertClose(h.arraySync(), rh.arraySync(), tol);
        assertClose(cs.arraySync(), rcs.arraySync(), tol);
        const g = new tf.Graph();
        const out = withGraph(g, () => {
          const ps = ts.map((t) => tf.constant(t.arraySync() as number[][], { dtype }));
          const fused = lstmCellStep(ps[0], ps[1], ps[2]);
          const sess = new tf.Session();
          const r = sess.run(fused) as tf.EagerTensor[];
          sess.close();
          return r.map((t) => t.arraySync());
        });
        assertClose(out, [rh.arraySync(), rcs.arraySync()], tol);
      });
    }
    it("has the gradient of the composition (h and c both used; float64 finite differences)", () => {
      checkGradient(
        (a, b, cc) => {
          const [h, cs] = lstmCellStep(a, b, cc);
          return tf.concat([h, tf.multiply(cs, 0.7)], 1);
        },
        [xp, hz, c],
      );
    });
    it("passes a gradient when only h is used", () => {
      checkGradient((a, b, cc) => lstmCellStep(a, b, cc)[0], [xp, hz, c]);
    });
  });

  describe("GRUCellStep", () => {
    const xp = values(B, 3 * U, 4);
    const hp = values(B, 3 * U, 5);
    const h = values(B, U, 6);
    for (const dtype of ["float32", "float64"] as const) {
      it(`equals the composition (${dtype})`, () => {
        const ts = [xp, hp, h].map((v) => tf.constant(v, { dtype }));
        assertClose(gruCellStep(ts[0], ts[1], ts[2]).arraySync(), gruComposed(ts[0], ts[1], ts[2]).arraySync(), dtype === "float32" ? 1e-6 : 1e-12);
      });
    }
    it("has the gradient of the composition (float64 finite differences)", () => {
      checkGradient((a, b, hh) => gruCellStep(a, b, hh), [xp, hp, h]);
    });
  });
});
