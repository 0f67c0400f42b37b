import * as tf from "./src/index.js";
const n = 1024;
const av = new Float32Array(n*n).map(() => Math.random()), bv = new Float32Array(n*n).map(() => Math.random());
const a = tf.constant(av, { shape: [n, n] }), b = tf.constant(bv, { shape: [n, n] });
for (let i = 0; i < 40; i++) tf.dispose(tf.matmul(a, b));
