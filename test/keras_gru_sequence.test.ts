/**
 * tf.keras.layers.GRU as one GRUSequence op (TensorFlow's cuDNN rule: default activations, no recurrent
 * dropout, a bias, not unrolled, no mask; resetAfter false too where no GPU is visible) against the same
 * layer unrolled into its per-step ops: outputs, states and gradients agree with returnSequences,
 * returnState, goBackwards, timeMajor, both resetAfter modes, initial states and stateful layers, on every
 * device, eagerly, in tf.function (also for a length unknown when tracing) and in fit; the other
 * configurations keep the per-step ops.
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
function pair(units: number, options: Options, x: tf.Tensor): [tf.keras.layers.GRU, tf.keras.layers.GRU] {
  const whole = new L.GRU(units, options as never);
  const steps = new L.GRU(units, { ...options, unroll: true } as never);
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
function opTypes(layer: tf.keras.layers.GRU, shape: (number | null)[], options: Options = {}): Set<string> {
  const g = new tf.Graph();
  return withGraph(g, () => {
    layer(tf.placeholder("float32", shape), options as never);
    return new Set(g.getOperations().map((o) => o.type));
  });
}

/** The layer's outputs and the gradients of a weighted sum of their squares with respect to x and the weights. */
function outputsAndGrads(layer: tf.keras.layers.GRU, x: tf.Tensor): { outs: unknown[]; grads: unknown[] } {
  const tape = new tf.GradientTape();
  const outs = tape.run(() => {
    tape.watch(x);
    return asList(layer(x));
  });
  const loss = tape.run(() => outs.map((o, i) => tf.reduceSum(tf.multiply(tf.multiply(o, o), i + 1))).reduce((a, b) => tf.add(a, b)));
  const grads = tape.gradient(loss, [x, ...layer.trainableWeights.map((w) => w as unknown as tf.Tensor)]) as tf.EagerTensor[];
  return { outs: outs.map((o) => (o as tf.EagerTensor).arraySync()), grads: grads.map((g) => g.arraySync()) };
}

/** Whether GRU with resetAfter false runs as one op here: where no GPU is visible (its op has no GPU kernel). */
const resetBeforeWhole = () => tf.config.listLogicalDevices("GPU").length === 0;

forEachDevice(() => {
  describe("GRU as one GRUSequence op", () => {
    const bias = { biasInitializer: "randomNormal" };
    const cases: [string, Options][] = [
      ["defaults", {}],
      ["returnSequences and returnState, a bias", { returnSequences: true, returnState: true, ...bias }],
      ["goBackwards", { goBackwards: true, returnSequences: true, returnState: true, ...bias }],
      ["timeMajor", { timeMajor: true, returnSequences: true, ...bias }],
      ["resetAfter false", { resetAfter: false, returnSequences: true, returnState: true, ...bias }],
      ["resetAfter false, goBackwards", { resetAfter: false, goBackwards: true, returnState: true, ...bias }],
      ["other initializers", { biasInitializer: "randomUniform", recurrentInitializer: "glorotUniform" }],
    ];
    for (const [what, options] of cases) {
      // TF32 off: on a GPU both sides then multiply in full float32.
      it(`equals the per-step layer: ${what} (values and gradients)`, () =>
        withOptions({ tf32: false }, () => {
          const x = seq(options.timeMajor ? [4, 3, 5] : [3, 4, 5], 1, "float32");
          const [whole, steps] = pair(6, options, x);
          const a = outputsAndGrads(whole, x);
          const b = outputsAndGrads(steps, x);
          assertClose(a.outs, b.outs, 2e-6);
          assertClose(a.grads, b.grads, 2e-5);
        }));
    }

    for (const resetAfter of [true, false]) {
      it(`takes initial states and keeps a stateful layer's states across calls (resetAfter ${resetAfter})`, () => {
        const x = seq([2, 5, 3], 2, "float64");
        const h0 = seq([2, 4], 3, "float64");
        const [whole, steps] = pair(4, { dtype: "float64", returnState: true, resetAfter, biasInitializer: "randomNormal" }, x);
        assertClose(
          asList(whole(x, { initialState: [h0] } as never)).map((t) => t.arraySync()),
          asList(steps(x, { initialState: [h0] } as never)).map((t) => t.arraySync()),
          1e-12,
        );
        const [sWhole, sSteps] = pair(4, { dtype: "float64", stateful: true, resetAfter }, x);
        for (let k = 0; k < 2; k++) assertClose((sWhole(x) as tf.Tensor).arraySync(), (sSteps(x) as tf.Tensor).arraySync(), 1e-12);
        assertClose(
          sWhole.states.map((s) => (s as tf.Tensor).arraySync()),
          sSteps.states.map((s) => (s as tf.Tensor).arraySync()),
          1e-12,
        );
      });
    }

    it("is one GRUSequence op in a graph, also for a length unknown until run; other configurations keep the per-step ops", () => {
      const types = opTypes(new L.GRU(3, { returnSequences: true }), [null, 4, 2]);
      assert.ok(types.has("GRUSequence") && !types.has("GRUCellStep"), [...types].join(" "));
      const unknownLength = opTypes(new L.GRU(3), [null, null, 2]);
      assert.ok(unknownLength.has("GRUSequence") && !unknownLength.has("While"), [...unknownLength].join(" "));
      const before = opTypes(new L.GRU(3, { resetAfter: false }), [null, 4, 2]);
      assert.equal(before.has("GRUSequence"), resetBeforeWhole(), `resetAfter false: ${[...before].join(" ")}`);
      for (const options of [{ unroll: true }, { recurrentDropout: 0.2 }, { activation: "relu" }, { recurrentActivation: "hardSigmoid" }, { useBias: false }]) {
        const t = opTypes(new L.GRU(3, options as never), [null, 4, 2]);
        assert.ok(!t.has("GRUSequence"), `${JSON.stringify(options)}: ${[...t].join(" ")}`);
      }
      const masked = opTypes(new L.GRU(3), [null, 4, 2], { mask: tf.ones([1, 4], { dtype: "bool" }) });
      assert.ok(!masked.has("GRUSequence"), "masked");
    });

    it("gives the eager values and weight gradients in tf.function, also for a length unknown when tracing", () =>
      withOptions({ tf32: false }, () => {
        const x = seq([3, 5, 4], 6, "float32");
        for (const resetAfter of [true, false]) {
          const layer = new L.GRU(5, { returnSequences: true, returnState: true, goBackwards: true, resetAfter, biasInitializer: "randomNormal" });
          layer(x);
          // The weights' gradients (a tape inside tf.function watches variables, not the traced inputs).
          const run = (xs: tf.Tensor) => {
            const tape = new tf.GradientTape();
            const outs = tape.run(() => asList(layer(xs)));
            const loss = tape.run(() => tf.add(tf.reduceSum(tf.square(outs[0])), tf.reduceSum(outs[1])));
            return [...outs, ...(tape.gradient(loss, layer.trainableWeights) as tf.Tensor[])];
          };
          const eager = run(x).map((t) => (t as tf.EagerTensor).arraySync());
          const known = tf.function(run);
          const unknown = tf.function(run, { inputSignature: [new tf.TensorSpec([null, null, 4])] });
          for (const f of [known, unknown]) {
            const got = (f(x) as unknown as tf.EagerTensor[]).map((t) => t.arraySync());
            assertClose(got, eager, 1e-5);
          }
          const graphTypes = new Set(
            unknown
              .getConcreteFunction()
              .graph.getOperations()
              .map((o) => o.type),
          );
          assert.equal(graphTypes.has("GRUSequence"), resetAfter || resetBeforeWhole(), [...graphTypes].join(" "));
          assert.equal(graphTypes.has("GRUSequenceGrad"), resetAfter || resetBeforeWhole(), "the gradient op");
        }
      }));

    it("trains in a model with fit", async () => {
      const x = seq([16, 6, 3], 5, "float32");
      const y = tf.reduceSum(x, [1, 2], true);
      const model = new tf.keras.Sequential([tf.keras.Input({ shape: [6, 3] }), new L.GRU(8), new L.Dense(1)]);
      model.compile({ optimizer: new tf.keras.optimizers.Adam(0.05), loss: "mse" });
      const h = await model.fit(x, tf.reshape(y, [16, 1]), { epochs: 15, batchSize: 8, verbose: 0 });
      const loss = h.history.loss as number[];
      assert.ok(loss[loss.length - 1] < loss[0] * 0.5, `loss ${loss[0]} -> ${loss[loss.length - 1]}`);
    });
  });
});
