import assert from "node:assert/strict";
import { describe, it } from "./util/devices.js";
import * as tf from "../src/index.js";
import { gruSequence, lstmSequence } from "../src/ops/recurrent.js";
import { cpu, type E, gpu, onGpu, relErr, rng } from "./util/gpu.js";
import { withOptions } from "./util/settings.js";
import { backend, cudnnOnly, dnn } from "./util/cudnn.js";

/**
 * LSTMSequence and GRUSequence (reset_after) through cuDNN's RNN API (backends/cuda/cudnn_rnn.ts): values
 * and gradients equal the CPU kernels' for several shapes in float32 (TF32 off) and float64, cuDNN really
 * runs (its counters; a reset-before GRU runs on the CPU, with the same values), and Keras LSTM and GRU
 * training steps in a Session capture as CUDA graphs and replay the uncaptured results. Skips itself, with
 * the reason, without a GPU or without cuDNN.
 */

function rand(r: () => number, shape: number[], dtype: "float32" | "float64", scale = 1): E {
  const n = shape.reduce((p, v) => p * v, 1);
  return tf.constant(
    Float64Array.from({ length: n }, () => (r() - 0.5) * 2 * scale),
    { dtype, shape },
  ) as E;
}

type SequenceOp = (inputs: E[]) => E[];
const lstm: SequenceOp = (ins) => lstmSequence(ins[0], ins[1], ins[2], ins[3], ins[4], ins[5]) as unknown as E[];
const gru =
  (resetAfter: boolean): SequenceOp =>
  (ins) =>
    gruSequence(ins[0], ins[1], ins[2], ins[3], ins[4], { resetAfter }) as unknown as E[];

/** The op's outputs and the gradients of a weighted sum of them with respect to its inputs, on one device. */
function forwardAndGrads(op: SequenceOp, inputs: E[], weights: E[]): { outs: E[]; grads: E[] } {
  const tape = new tf.GradientTape();
  let outs: E[] = [];
  const loss = tape.run(() => {
    tape.watch(inputs);
    outs = op(inputs);
    return outs.map((o, i) => tf.reduceSum(tf.multiply(o, weights[i]))).reduce((a, b) => tf.add(a, b));
  });
  return { outs, grads: tape.gradient(loss, inputs) as E[] };
}

describe("cuDNN LSTM sequences", cudnnOnly, () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`LSTMSequence and its gradient through cuDNN equal the CPU kernel (${dtype})`, () => {
      withOptions({ tf32: false }, () => {
        const tol = dtype === "float32" ? 2e-5 : 1e-11;
        for (const [b, t, i, u] of [
          [3, 5, 4, 6],
          [1, 7, 6, 6],
          [16, 20, 32, 64],
        ]) {
          const r = rng(b * 1000 + t * 100 + i * 10 + u);
          const shapes = [[b, t, i], [b, u], [b, u], [i, 4 * u], [u, 4 * u], [4 * u]];
          const host = shapes.map((s, n) => rand(r, s, dtype, n === 0 ? 1 : 0.5));
          const weights = [
            [b, t, u],
            [b, u],
            [b, u],
          ].map((s) => rand(r, s, dtype));
          const want = cpu(() => forwardAndGrads(lstm, host, weights));
          const s0 = { ...dnn!.stats };
          const got = gpu(() =>
            forwardAndGrads(
              lstm,
              host.map((h) => tf.identity(h) as E),
              weights.map((w) => tf.identity(w) as E),
            ),
          );
          assert.equal(dnn!.stats.rnnForward - s0.rnnForward, 1, "one cuDNN forward call");
          assert.equal(dnn!.stats.rnnBackward - s0.rnnBackward, 1, "one cuDNN gradient call");
          assert.ok(got.outs.every(onGpu) && got.grads.every(onGpu), "results stay on the GPU");
          const names = ["y", "h", "c", "dx", "dh0", "dc0", "dkernel", "drecurrent_kernel", "dbias"];
          [...got.outs, ...got.grads].forEach((g, n) => {
            const w = [...want.outs, ...want.grads][n];
            const e = relErr(g, w);
            assert.ok(e < tol, `[${b}, ${t}, ${i}, ${u}] ${names[n]}: relative error ${e}`);
          });
        }
      });
    });
  }

  for (const dtype of ["float32", "float64"] as const) {
    it(`GRUSequence and its gradient equal the CPU kernel: through cuDNN with resetAfter, on the CPU without (${dtype})`, () => {
      withOptions({ tf32: false }, () => {
        const tol = dtype === "float32" ? 2e-5 : 1e-11;
        for (const resetAfter of [true, false]) {
          for (const [b, t, i, u] of [
            [3, 5, 4, 6],
            [1, 7, 6, 6],
            [16, 20, 32, 64],
          ]) {
            const r = rng(b * 1000 + t * 100 + i * 10 + u);
            const shapes = [[b, t, i], [b, u], [i, 3 * u], [u, 3 * u], resetAfter ? [2, 3 * u] : [3 * u]];
            const host = shapes.map((s, n) => rand(r, s, dtype, n === 0 ? 1 : 0.5));
            const weights = [
              [b, t, u],
              [b, u],
            ].map((s) => rand(r, s, dtype));
            const op = gru(resetAfter);
            const want = cpu(() => forwardAndGrads(op, host, weights));
            const s0 = { ...dnn!.stats };
            const got = gpu(() =>
              forwardAndGrads(
                op,
                host.map((h) => tf.identity(h) as E),
                weights.map((w) => tf.identity(w) as E),
              ),
            );
            const calls = resetAfter ? 1 : 0;
            assert.equal(dnn!.stats.rnnForward - s0.rnnForward, calls, `cuDNN forward calls (resetAfter ${resetAfter})`);
            assert.equal(dnn!.stats.rnnBackward - s0.rnnBackward, calls, `cuDNN gradient calls (resetAfter ${resetAfter})`);
            if (resetAfter) assert.ok(got.outs.every(onGpu) && got.grads.every(onGpu), "results stay on the GPU");
            const names = ["y", "h", "dx", "dh0", "dkernel", "drecurrent_kernel", "dbias"];
            [...got.outs, ...got.grads].forEach((g, n) => {
              const w = [...want.outs, ...want.grads][n];
              const e = relErr(g, w);
              assert.ok(e < tol, `resetAfter ${resetAfter} [${b}, ${t}, ${i}, ${u}] ${names[n]}: relative error ${e}`);
            });
          }
        }
      });
    });
  }

  for (const kind of ["LSTM", "GRU"] as const) {
    it(`a Keras ${kind} training step in a Session captures as a CUDA graph and replays the uncaptured results`, () => {
      const b = backend!;
      const batch = 16;
      const time = 12;
      const features = 5;
      const r = rng(3);
      const data = Array.from({ length: 5 }, () => ({
        x: Float32Array.from({ length: batch * time * features }, () => r() - 0.5),
        y: Float32Array.from({ length: batch }, () => r() - 0.5),
      }));
      const run = (graphs: boolean) =>
        withOptions({ cudaGraphs: graphs, tf32: false }, () => {
          const g = new tf.Graph();
          return g.asDefault(() => {
            tf.setRandomSeed(11);
            const x = tf.placeholder("float32", [batch, time, features]);
            const y = tf.placeholder("float32", [batch]);
            const options = {
              kernelInitializer: new tf.keras.initializers.GlorotUniform({ seed: 1 }),
              recurrentInitializer: new tf.keras.initializers.GlorotUniform({ seed: 3 }),
            };
            const rnn = kind === "LSTM" ? new tf.keras.layers.LSTM(16, options) : new tf.keras.layers.GRU(16, options);
            const dense = new tf.keras.layers.Dense(1, { kernelInitializer: new tf.keras.initializers.GlorotUniform({ seed: 2 }) });
            const pred = tf.reshape(dense(rnn(x) as tf.Tensor) as tf.Tensor, [batch]);
            const loss = tf.reduceMean(tf.square(tf.subtract(pred, y)));
            const train = new tf.train.GradientDescentOptimizer(0.1).minimize(loss);
            const sess = new tf.Session();
            sess.run(tf.globalVariablesInitializer());
            const captured0 = b.stats.graphsCaptured;
            const calls0 = dnn!.stats.rnnForward + dnn!.stats.rnnBackward;
            const losses: number[] = [];
            let callsDuringReplays = 0;
            data.forEach((d, k) => {
              const before = dnn!.stats.rnnForward + dnn!.stats.rnnBackward;
              const out = sess.run(
                [loss, train],
                new Map<tf.Tensor, Float32Array>([
                  [x, d.x],
                  [y, d.y],
                ]),
              ) as [E, null];
              losses.push(out[0].item() as number);
              if (k >= 2) callsDuringReplays += dnn!.stats.rnnForward + dnn!.stats.rnnBackward - before;
            });
            return {
              losses,
              captured: b.stats.graphsCaptured - captured0,
              calls: dnn!.stats.rnnForward + dnn!.stats.rnnBackward - calls0,
              callsDuringReplays,
            };
          });
        });
      const plain = run(false);
      const cap = run(true);
      assert.equal(plain.calls, 2 * data.length, `cuDNN RNN calls in the uncaptured steps: ${plain.calls}`);
      assert.equal(plain.captured, 0);
      assert.ok(cap.captured >= 1, "the training step was captured");
      assert.equal(cap.callsDuringReplays, 0, "a replay calls cuDNN only through the graph");
      assert.ok(new Set(plain.losses).size === plain.losses.length, "losses change step by step");
      cap.losses.forEach((l, i) => assert.ok(Math.abs(l - plain.losses[i]) <= 1e-5 * Math.abs(plain.losses[i]), `loss ${i}: ${l} vs ${plain.losses[i]}`));
    });
  }
});
