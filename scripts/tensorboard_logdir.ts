/**
 * Writes the logdir that scripts/tensorboard_check.py checks with TensorBoard's own loader:
 *   <logdir>/tf2: TF2 API (scalars loss = 1/(step+1) for 100 steps, a histogram of 0..999, a 28x28 image,
 *                 text, NaN and Inf scalars);
 *   <logdir>/tf1: tf.compat.v1.summary.FileWriter with the graph (a "model" name scope with a MatMul) and
 *                 10 simple_value scalars "error".
 * Usage: node --import tsx scripts/tensorboard_logdir.ts <logdir>
 */
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

const g = new tf.Graph();
g.asDefault(() => {
  tf.nameScope("model", () => {
    const x = tf.compat.v1.placeholder("float32", [null, 3], "x");
    const W = tf.constant([[1], [2], [3]], { dtype: "float32", name: "W" });
    tf.matmul(x, W, { name: "y" });
  });
});
const fw = new tf.compat.v1.summary.FileWriter(join(logdir, "tf1"), g);
for (let step = 0; step < 10; step++) {
  fw.addSummary(tf.compat.v1.Summary({ value: [{ tag: "error", simpleValue: 1 / (step + 1) }] }), step);
}
fw.close();
console.log(`wrote ${logdir}/tf2 and ${logdir}/tf1`);
