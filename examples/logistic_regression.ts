/**
 * Logistic regression from the seed tutorial: propagate(w, b, X, Y) computed by hand, NumPy-style, on
 * plain typed arrays, and the same cost and gradients computed by tsflow's tf.gradients in a graph.
 * Both must agree; then gradient descent with the hand-written gradients learns the two classes.
 *   node --import tsx examples/logistic_regression.ts
 */
import * as tf from "tsflowjs";

/** A generated two-class problem: X is (features, m) column-per-sample as in the seed, Y is (1, m). */
export function makeData(m = 200, features = 2, seed = 3): { X: Float64Array; Y: Float64Array; features: number; m: number } {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const X = new Float64Array(features * m);
  const Y = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const cls = j % 2;
    Y[j] = cls;
    for (let f = 0; f < features; f++) X[f * m + j] = gauss() + (cls ? 1.5 : -1.5);
  }
  return { X, Y, features, m };
}

/** The seed's propagate(): forward pass, cross-entropy cost, and its gradients, by hand. */
export function propagate(w: Float64Array, b: number, X: Float64Array, Y: Float64Array, m: number): { dw: Float64Array; db: number; cost: number } {
  const n = w.length;
  const A = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let z = b;
    for (let f = 0; f < n; f++) z += w[f] * X[f * m + j];
    A[j] = 1 / (1 + Math.exp(-z));
  }
  let cost = 0;
  for (let j = 0; j < m; j++) cost += Y[j] * Math.log(A[j]) + (1 - Y[j]) * Math.log(1 - A[j]);
  cost = -cost / m;
  const dw = new Float64Array(n);
  let db = 0;
  for (let j = 0; j < m; j++) {
    const dZ = A[j] - Y[j];
    for (let f = 0; f < n; f++) dw[f] += (X[f * m + j] * dZ) / m;
    db += dZ / m;
  }
  return { dw, db, cost };
}

/** The same computation as a tsflow graph, differentiated by tf.gradients. */
export function propagateTf(w: Float64Array, b: number, X: Float64Array, Y: Float64Array, m: number): { dw: Float64Array; db: number; cost: number } {
  const g = new tf.Graph();
  return g.asDefault(() => {
    const n = w.length;
    const wT = tf.placeholder("float64", [n, 1], { name: "w" });
    const bT = tf.placeholder("float64", [], { name: "b" });
    const XT = tf.placeholder("float64", [n, null], { name: "X" });
    const YT = tf.placeholder("float64", [1, null], { name: "Y" });
    const A = tf.sigmoid(tf.add(tf.matmul(wT, XT, { transposeA: true }), bT));
    const logLik = tf.add(tf.multiply(YT, tf.log(A)), tf.multiply(tf.subtract(1, YT), tf.log(tf.subtract(1, A))));
    const cost = tf.multiply(-1 / m, tf.reduceSum(logLik), { name: "cost" });
    const [dw, db] = tf.gradients(cost, [wT, bT]);
    using sess = new tf.Session();
    // Flat typed arrays take the placeholders' shapes (the unknown dimension is solved from their length).
    const feed = new Map<tf.Tensor, Float64Array>([
      [wT, w],
      [bT, Float64Array.of(b)],
      [XT, X],
      [YT, Y],
    ]);
    const [c, gw, gb] = sess.run([cost, dw!, db!], feed) as tf.EagerTensor[];
    return { cost: c.item(), dw: Float64Array.from(gw.dataSync() as Float64Array), db: gb.item() };
  });
}

export function run(log = true): { hand: ReturnType<typeof propagate>; tf: ReturnType<typeof propagate>; accuracy: number } {
  const { X, Y, features, m } = makeData();
  const w = Float64Array.from({ length: features }, (_, i) => 0.1 * (i + 1));
  const b = -0.2;
  const hand = propagate(w, b, X, Y, m);
  const viaTf = propagateTf(w, b, X, Y, m);
  if (log) {
    console.log(`cost:  by hand ${hand.cost.toFixed(10)}   tf.gradients graph ${viaTf.cost.toFixed(10)}`);
    console.log(`dw:    by hand [${[...hand.dw].map((v) => v.toFixed(10))}]   tf [${[...viaTf.dw].map((v) => v.toFixed(10))}]`);
    console.log(`db:    by hand ${hand.db.toFixed(10)}   tf ${viaTf.db.toFixed(10)}`);
  }
  // Gradient descent with the hand-written gradients, as the seed's optimize() does.
  let bb = b;
  const ww = w.slice();
  for (let i = 0; i < 200; i++) {
    const gr = propagate(ww, bb, X, Y, m);
    for (let f = 0; f < features; f++) ww[f] -= 0.1 * gr.dw[f];
    bb -= 0.1 * gr.db;
  }
  let correct = 0;
  for (let j = 0; j < m; j++) {
    let z = bb;
    for (let f = 0; f < features; f++) z += ww[f] * X[f * m + j];
    if ((z > 0 ? 1 : 0) === Y[j]) correct++;
  }
  const accuracy = correct / m;
  if (log) console.log(`accuracy after 200 steps of gradient descent: ${(accuracy * 100).toFixed(1)}%`);
  return { hand, tf: viaTf, accuracy };
}

if (import.meta.url === `file://${process.argv[1]}`) run();
