/**
 * tf.keras.layers.LSTM as one LSTMSequence op (TensorFlow's cuDNN rule: default activations, no recurrent
 * dropout, a bias, not unrolled, no mask) against the same layer unrolled into its per-step ops: outputs,
 * states and gradients agree with returnSequences, returnState, goBackwards, timeMajor, initial states and
 * stateful layers, on every device; the other configurations keep the per-step ops.
 */
import assert from "node:assert/strict";
import * as tf from "../src/index.js";
import { describe, forEachDevice, it, withGraph } from "./util/devices.js";
import { assertClose } from "./util/gradcheck.js";
import { withOptions } from "./util/settings.js";

const L = tf.keras.layers;
type Options = Record<string, unknown>;

const seq = (shape: number[], seed: number, dtype: "float32" | "float64") =>
  tf.constant(
    Float64Array.from({ length: shape.reduce((p, v) => p * v, 1) }, (_, i) => Math.sin(i * 0.7 + seed) * 0.9),
    { dtype, shape },
  );

/** The same layer twice with the same weights: whole-sequence and unrolled. */
function pair(units: number, options: Options, x: tf.Tensor): [tf.keras.layers.LSTM, tf.keras.layers.LSTM] {
  const whole = new L.LSTM(units, options as never);
  const steps = new L.LSTM(units, { ...options, unroll: true } as never);
  whole(x);
  steps(x);
  whole.weights.forEach((w, i) => steps.weights[i].assign(w.value()));
  if (options.stateful) {
    whole.resetStates();
    steps.resetStates();
  }
  return [whole, steps];
}

const asList = (r: unknown): tf.Tensor[] => (Array.isArray(r) ? (r as tf.Tensor[]) : [r as tf.Tensor]);

/** The op types a layer call adds to a graph. */
function opTypes(layer: tf.keras.layers.LSTM, shape: (number | null)[], options: Options = {}): Set<string> {
  const g = new tf.Graph();
  return withGraph(g, () => {
    layer(tf.placeholder("float32", shape), options as never);
    return new Set(g.getOperations().map((o) => o.type));
  });
}

forEachDevice(() => {
  describe("LSTM as one LSTMSequence op", () => {
    const cases: [string, Options][] = [
      ["defaults", {}],
      ["returnSequences and returnState", { returnSequences: true, returnState: true }],
      ["goBackwards", { goBackwards: true, returnSequences: true, returnState: true }],
      ["timeMajor", { timeMajor: true, returnSequences: true }],
      ["unitForgetBias off, other initializers", { unitForgetBias: false, biasInitializer: "randomNormal", recurrentInitializer: "glorotUniform" }],
    ];
    for (const [what, options] of cases) {
      // TF32 off: on a GPU both sides then multiply in full float32.
      it(`equals the per-step layer: ${what} (values and gradients)`, () =>
        withOptions({ tf32: false }, () => {
          const x = seq(options.timeMajor ? [4, 3, 5] : [3, 4, 5], 1, "float32");
          const [whole, steps] = pair(6, options, x);
          const run = (layer: tf.keras.layers.LSTM) => {
            const tape = new tf.GradientTape();
            const outs = tape.run(() => {
              tape.watch(x);
              return asList(layer(x));
            });
            const loss = tape.run(() => outs.map((o, i) => tf.reduceSum(tf.multiply(tf.multiply(o, o), i + 1))).reduce((a, b) => tf.add(a, b)));
            const grads = tape.gradient(loss, [x, ...layer.trainableWeights.map((w) => w as unknown as tf.Tensor)]) as tf.EagerTensor[];
            return { outs: outs.map((o) => o.arraySync()), grads: grads.map((g) => g.arraySync()) };
          };
          const a = run(whole);
          const b = run(steps);
          assertClose(a.outs, b.outs, 2e-6);
          assertClose(a.grads, b.grads, 2e-5);
        }));
    }

    it("takes initial states and keeps a stateful layer's states across calls", () => {
      const x = seq([2, 5, 3], 2, "float64");
      const h0 = seq([2, 4], 3, "float64");
      const c0 = seq([2, 4], 4, "float64");
      const [whole, steps] = pair(4, { dtype: "float64", returnState: true }, x);
      assertClose(
        asList(whole(x, { initialState: [h0, c0] } as never)).map((t) => t.arraySync()),
        asList(steps(x, { initialState: [h0, c0] } as never)).map((t) => t.arraySync()),
        1e-12,
      );
      const [sWhole, sSteps] = pair(4, { dtype: "float64", stateful: true }, x);
      for (let k = 0; k < 2; k++) assertClose((sWhole(x) as tf.Tensor).arraySync(), (sSteps(x) as tf.Tensor).arraySync(), 1e-12);
      assertClose(
        sWhole.states.map((s) => (s as tf.Tensor).arraySync()),
        sSteps.states.map((s) => (s as tf.Tensor).arraySync()),
        1e-12,
      );
    });

    it("is one LSTMSequence op in a graph, also for a length unknown until run; other configurations keep the per-step ops", () => {
      const types = opTypes(new L.LSTM(3, { returnSequences: true }), [null, 4, 2]);
      assert.ok(types.has("LSTMSequence") && !types.has("LSTMCellStep"), [...types].join(" "));
      const unknownLength = opTypes(new L.LSTM(3), [null, null, 2]);
      assert.ok(unknownLength.has("LSTMSequence") && !unknownLength.has("While"), [...unknownLength].join(" "));
      for (const options of [{ unroll: true }, { recurrentDropout: 0.2 }, { activation: "relu" }, { recurrentActivation: "hardSigmoid" }, { useBias: false }]) {
        const t = opTypes(new L.LSTM(3, options as never), [null, 4, 2]);
        assert.ok(!t.has("LSTMSequence"), `${JSON.stringify(options)}: ${[...t].join(" ")}`);
      }
      const masked = opTypes(new L.LSTM(3), [null, 4, 2], { mask: tf.ones([1, 4], { dtype: "bool" }) });
      assert.ok(!masked.has("LSTMSequence"), "masked");
    });

    it("trains in a model with fit", async () => {
      const x = seq([16, 6, 3], 5, "float32");
      const y = tf.reduceSum(x, [1, 2], true);
      const model = new tf.keras.Sequential([tf.keras.Input({ shape: [6, 3] }), new L.LSTM(8), new L.Dense(1)]);
      model.compile({ optimizer: new tf.keras.optimizers.Adam(0.05), loss: "mse" });
      const h = await model.fit(x, tf.reshape(y, [16, 1]), { epochs: 15, batchSize: 8, verbose: 0 });
      const loss = h.history.loss as number[];
      assert.ok(loss[loss.length - 1] < loss[0] * 0.5, `loss ${loss[0]} -> ${loss[loss.length - 1]}`);
    });
  });
});
