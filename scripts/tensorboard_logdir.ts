/**
 * Writes the logdir that scripts/tensorboard_check.py checks with TensorBoard's own loader:
 *   <logdir>/tf2: TF2 API (scalars loss = 1/(step+1) for 100 steps, a histogram of 0..999, a 28x28 image,
 *                 text, NaN and Inf scalars);
 *   <logdir>/tf1: tf.compat.v1.summary.FileWriter with the graph (a "model" name scope with a MatMul) and,
 *                 for 10 steps, the merged TF1 summary ops: scalar "error" = 1/(step+1), histogram
 *                 "weights" of 0..999, two 8x8 images "digits", an 800-frame audio "clip" at 8 kHz, text;
 *   <logdir>/tf2fn: a tf.function writing "fn_loss" = 1/(step+1) at steps 0..4, and TF2 audio "sound";
 *   <logdir>/tf2cf: summaries inside a tf.function's tf.cond branch and tf.whileLoop body;
 *   <logdir>/keras: model.fit with tf.keras.callbacks.TensorBoard (epoch and batch scalars, histograms, graph).
 * Usage: node --import tsx scripts/tensorboard_logdir.ts <logdir>
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "../src/index.js";

const logdir = process.argv[2];
if (!logdir) {
  console.error("usage: node --import tsx scripts/tensorboard_logdir.ts <logdir>");
  process.exit(2);
}

const w = tf.summary.createFileWriter(join(logdir, "tf2"));
w.asDefault(() => {
  for (let step = 0; step < 100; step++) tf.summary.scalar("loss", 1 / (step + 1), { step });
  tf.summary.histogram("weights", tf.range(0, 1000), 0);
  const pixels = new Uint8Array(28 * 28).map((_v, i) => i % 256);
  tf.summary.image("digits", tf.constant(pixels, "uint8", [1, 28, 28, 1]), 0);
  tf.summary.text("notes", "**tsflow** wrote this", 0);
  tf.summary.scalar("nan", Number.NaN, 0);
  tf.summary.scalar("inf", Number.POSITIVE_INFINITY, 0);
});
w.close();

// TF1: summary ops in the graph, merged, run by a session and added per step (the seed tutorials' way).
const g = new tf.Graph();
const fw = g.asDefault(() => {
  tf.nameScope("model", () => {
    const x = tf.compat.v1.placeholder("float32", [null, 3], "x");
    const W = tf.constant([[1], [2], [3]], { dtype: "float32", name: "W" });
    tf.matmul(x, W, { name: "y" });
  });
  const step = tf.compat.v1.placeholder("float32", [], "step");
  tf.summary.scalar("error", tf.div(1, tf.add(step, 1)));
  tf.summary.histogram("weights", tf.range(0, 1000));
  tf.summary.image("digits", tf.constant(new Uint8Array(2 * 8 * 8).map((_v, i) => i * 2), "uint8", [2, 8, 8, 1]));
  tf.summary.audio("clip", tf.sin(tf.mul(tf.range(0, 800, 1, "float32"), 0.1)).reshape([1, 800]), 8000);
  tf.compat.v1.summary.text("notes", tf.constant("**tf1** text"));
  const merged = tf.summary.mergeAll()!;
  const sess = new tf.Session();
  const writer = new tf.compat.v1.summary.FileWriter(join(logdir, "tf1"), g);
  for (let i = 0; i < 10; i++) writer.addSummary(sess.run(merged, new Map([[step, i]])) as tf.Tensor, i);
  sess.close();
  return writer;
});
fw.close();

// TF2 inside tf.function (5 calls: loss 1/(step+1) at steps 0..4 from a variable step) and TF2 audio.
const w3 = tf.summary.createFileWriter(join(logdir, "tf2fn"));
const stepVar = new tf.Variable(0, { dtype: "int64" });
const f = tf.function((x: tf.Tensor) => tf.summary.scalar("fn_loss", x, { step: stepVar }));
w3.asDefault(() => {
  for (let i = 0; i < 5; i++) {
    stepVar.assign(i);
    f(tf.constant(1 / (i + 1)));
  }
  tf.summary.audio("sound", tf.sin(tf.mul(tf.range(0, 1600, 1, "float32"), 0.05)).reshape([2, 400, 2]), 16000, 0);
});
w3.close();
// TF2 inside tf.cond / tf.whileLoop of a tf.function: "while/i" = 10 * i at steps 0..3 (one event per
// iteration), and "cond/positive" at step 0 (only the branch that ran writes; the other branch's tag never appears).
const w4 = tf.summary.createFileWriter(join(logdir, "tf2cf"));
const loop = tf.function((n: tf.Tensor) => {
  tf.cond(
    tf.greater(n, 0),
    () => tf.summary.scalar("positive", n, { step: 0 }),
    () => tf.summary.scalar("negative", n, { step: 0 }),
  );
  return tf.whileLoop(
    (i: tf.Tensor) => tf.less(i, n),
    (i: tf.Tensor) => {
      tf.summary.scalar("i", tf.mul(tf.cast(i, "float32"), 10), { step: i });
      return tf.add(i, 1);
    },
    [tf.constant(0, { dtype: "int32" })],
  );
});
w4.asDefault(() => loop(tf.constant(4, { dtype: "int32" })));
w4.close();

// Keras: fit with the TensorBoard callback. A 3-class classifier with accuracy, 64 samples of which 16 validate,
// batches of 16 (3 per epoch), 3 epochs, updateFreq 2: epoch_loss/epoch_accuracy in train/ and validation/,
// batch_loss/batch_accuracy in train/ at train-batch counts 2, 4, 6, 8, evaluation_*_vs_iterations in
// validation/ at iterations 3, 6, 9, each weight's histogram per epoch, the train step's graph and the
// "keras" model config. History goes to keras/history.json for the checker.
tf.setRandomSeed(7);
const model = new tf.keras.Sequential([new tf.keras.layers.Dense(4, { activation: "relu", inputShape: [3] }), new tf.keras.layers.Dense(3, { activation: "softmax" })]);
model.compile({ optimizer: new tf.keras.optimizers.SGD({ learningRate: 0.05 }), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
const kx = tf.randomNormal([64, 3]);
const ky = tf.constant(Int32Array.from({ length: 64 }, (_v, i) => i % 3), { shape: [64] });
const callback = new tf.keras.callbacks.TensorBoard({ logDir: join(logdir, "keras"), histogramFreq: 1, writeGraph: true, updateFreq: 2 });
const history = await model.fit(kx, ky, { epochs: 3, batchSize: 16, validationSplit: 0.25, callbacks: [callback], verbose: 0 });
writeFileSync(join(logdir, "keras", "history.json"), JSON.stringify(history.history));
console.log(`wrote ${logdir}/tf2, ${logdir}/tf1, ${logdir}/tf2fn, ${logdir}/tf2cf and ${logdir}/keras`);
