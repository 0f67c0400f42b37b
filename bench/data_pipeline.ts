/**
 * The input pipeline's throughput on MNIST-sized data (60000 x 784 float32 images, int32 labels), in batches
 * of 64: `node --import tsx bench/data_pipeline.ts`. Each row iterates whole epochs and disposes each batch;
 * the figure is batches per second (and the image bytes they carry per second). The in-memory rows take the
 * bulk path (one typed-array copy per batch and component); the `map` row shows the element-by-element path
 * for comparison, and the last row one batch per Session.run through a graph-mode iterator.
 */
import * as tf from "../src/index.js";

const N = 60000;
const D = 784;
const B = 64;
const x = new Float32Array(N * D);
for (let i = 0; i < x.length; i++) x[i] = (i % 255) / 255;
const xs = tf.constant(x, "float32", [N, D]);
const ys = tf.constant(
  Int32Array.from({ length: N }, (_v, i) => i % 10),
  "int32",
  [N],
);
const slices = () => tf.data.Dataset.fromTensorSlices([xs, ys]);

function row(label: string, ds: tf.data.Dataset, epochs: number): void {
  let batches = 0;
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) {
    for (const b of ds as Iterable<tf.EagerTensor[]>) {
      batches++;
      for (const t of b) t.dispose();
    }
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`| ${label} | ${(batches / s).toFixed(0)} | ${((batches * B * D * 4) / s / 1e9).toFixed(2)} |`);
}

console.log("| pipeline (60000 x 784 float32, batch 64) | batches/s | image GB/s |");
console.log("| --- | --- | --- |");
row("fromTensorSlices([x, y]).batch(64)", slices().batch(B), 3);
row("fromTensorSlices([x, y]).shuffle(60000).batch(64)", slices().shuffle(N).batch(B), 3);
row(".shuffle(60000).batch(64).prefetch(AUTOTUNE)", slices().shuffle(N).batch(B).prefetch(tf.data.AUTOTUNE), 3);
row(".cache().shuffle(60000).repeat(2).batch(64)", slices().cache().shuffle(N).repeat(2).batch(B), 1);
row(
  ".map(identity).shuffle(10000).batch(64) (element by element)",
  slices()
    .map((a: tf.Tensor, b: tf.Tensor) => [a, b])
    .shuffle(10000)
    .batch(B),
  1,
);
new tf.Graph().asDefault(() => {
  const it = tf.compat.v1.data.makeInitializableIterator(slices().shuffle(N).batch(B));
  const [bx] = it.getNext() as tf.SymbolicTensor[];
  using sess = new tf.Session();
  sess.run(it.initializer);
  let n = 0;
  const t0 = performance.now();
  for (;;) {
    try {
      (sess.run(bx) as tf.EagerTensor).dispose();
      n++;
    } catch (e) {
      if (e instanceof tf.errors.OutOfRangeError) break;
      throw e;
    }
  }
  const s = (performance.now() - t0) / 1000;
  console.log(
    `| graph mode: sess.run(iterator.getNext()) over .shuffle(60000).batch(64) | ${(n / s).toFixed(0)} | ${((n * B * D * 4) / s / 1e9).toFixed(2)} |`,
  );
});
