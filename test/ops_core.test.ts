import assert from "node:assert/strict";
import { describe, forEachDevice, it, withGraph } from "./util/devices.js";
import * as tf from "../src/index.js";
import { checkGradient } from "./util/gradcheck.js";

forEachDevice(() => {
  describe("core ops: gradients against finite differences", () => {
    it("Identity", () => checkGradient((x) => tf.identity(x), [[1, -2, 3]]));
    it("Fill (with respect to the value)", () => checkGradient((v) => tf.fill([2, 3], v), [1.5]));
    it("CheckNumerics passes values and gradients through", () => checkGradient((x) => tf.debugging.checkNumerics(x, "ok"), [[0.5, 2]]));
    it("PlaceholderWithDefault passes gradients to its default", () => {
      const g = new tf.Graph();
      withGraph(g, () => {
        const x = tf.constant([1.0, 2.0]);
        const p = tf.placeholderWithDefault(x, [2]);
        const [dx] = tf.gradients(tf.reduceSum(tf.square(p)), [x]);
        assert.deepEqual((new tf.Session().run(dx!) as tf.EagerTensor).arraySync(), [2, 4]);
      });
    });
  });
});

forEachDevice(() => {
  describe("fused activation gradients", () => {
    it("ReluGrad, Relu6Grad, EluGrad, TanhGrad, SigmoidGrad and their second derivatives", () => {
      checkGradient((x) => tf.nn.relu(x), [[-1.5, 0.5, 2]]);
      checkGradient((x) => tf.nn.relu6(x), [[-1.5, 0.5, 7]]);
      checkGradient((x) => tf.nn.elu(x), [[-1.5, 0.5, 2]]);
      checkGradient((x) => tf.tanh(x), [[-1.5, 0.5, 2]]);
      checkGradient((x) => tf.sigmoid(x), [[-1.5, 0.5, 2]]);
      // Second derivatives through a tape differentiate the *Grad ops themselves.
      for (const [f, d2] of [
        [(x: tf.Tensor) => tf.tanh(x), (v: number) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)],
        [
          (x: tf.Tensor) => tf.sigmoid(x),
          (v: number) => {
            const s = 1 / (1 + Math.exp(-v));
            return s * (1 - s) * (1 - 2 * s);
          },
        ],
        [(x: tf.Tensor) => tf.nn.elu(x), (v: number) => (v > 0 ? 0 : Math.exp(v))],
        [(x: tf.Tensor) => tf.multiply(tf.nn.relu(x), x), () => 2],
      ] as const) {
        for (const v of [0.7, -0.4]) {
          const xv = tf.constant(v, { dtype: "float64" });
          const outer = new tf.GradientTape();
          const inner = new tf.GradientTape();
          const dy = outer.run(() => {
            outer.watch(xv);
            const y = inner.run(() => {
              inner.watch(xv);
              return f(xv);
            });
            return inner.gradient(y, xv)!;
          });
          const got = (outer.gradient(dy, xv) as tf.EagerTensor).item();
          const want = f.toString().includes("multiply") ? (v > 0 ? 2 : 0) : d2(v);
          assert.ok(Math.abs(got - want) < 1e-9, `second derivative at ${v}: ${got} vs ${want}`);
        }
      }
    });
  });

  describe("relu edge values", () => {
    it("relu(-Inf) is 0 and relu(NaN) is NaN, as TensorFlow's max(x, 0), on the JS and wasm paths", () => {
      for (const n of [0, 200]) {
        const x = tf.concat([tf.constant([-Infinity, NaN, -1, 0, 2, Infinity]), tf.zeros([n])], 0);
        const y = (tf.nn.relu(x) as tf.EagerTensor).arraySync() as number[];
        assert.deepEqual(y.slice(0, 6), [0, NaN, 0, 0, 2, Infinity]);
      }
    });
  });
});
