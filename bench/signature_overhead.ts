/**
 * The cost of the public-signature parser on the eager hot path: a tight loop of tf.add on 4-element
 * tensors and tf.matmul on 2x2 matrices, positional and with an options object. Run after `npm run build`:
 * `node --import tsx bench/signature_overhead.ts [path/to/index.ts]`. Prints the best of 7 runs, ns per call.
 */
const entry = process.argv[2] ?? "../src/index.ts";
const tf = (await import(entry)) as typeof import("../src/index.ts");

function best(label: string, n: number, body: () => void): void {
  let bestNs = Infinity;
  for (let run = 0; run < 7; run++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) body();
    bestNs = Math.min(bestNs, Number(process.hrtime.bigint() - t0) / n);
  }
  console.log(`${label.padEnd(36)} ${bestNs.toFixed(0).padStart(6)} ns/call`);
}

const a = tf.constant([1, 2, 3, 4]);
const b = tf.constant([5, 6, 7, 8]);
const m = tf.constant([
  [1, 2],
  [3, 4],
]);
const N = 200_000;
best("tf.add(a, b)", N, () => tf.add(a, b).dispose());
best("tf.add(a, b, { name: 'x' })", N, () => tf.add(a, b, { name: "x" }).dispose());
best("tf.matmul(m, m)", N, () => tf.matmul(m, m).dispose());
best("tf.matmul(m, m, { transposeB: true })", N, () => tf.matmul(m, m, { transposeB: true }).dispose());
