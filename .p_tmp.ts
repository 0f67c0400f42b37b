import * as tf from "./src/index.js";
import { getBlas } from "./src/backends/cpu/blas.js";
import { gemm } from "./src/backends/cpu/gemm.js";
const blas = getBlas()!;
function t(name: string, f: () => void, reps: number) {
  for (let i = 0; i < reps; i++) f();
  const xs: number[] = [];
  for (let s = 0; s < 7; s++) { const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); xs.push((performance.now() - t0) / reps * 1000); }
  xs.sort((a, b) => a - b); console.log(name.padEnd(40), xs[3].toFixed(1), "us");
}
for (const n of [2, 256, 1024]) {
  const reps = n === 2 ? 2000 : n === 256 ? 100 : 5;
  const av = new Float32Array(n*n).map(() => Math.random()), bv = new Float32Array(n*n).map(() => Math.random());
  const c = new Float32Array(n*n);
  const a = tf.constant(av, { shape: [n, n] }), b = tf.constant(bv, { shape: [n, n] });
  t(`${n} blas reuse C`, () => blas.sgemm(false, false, n, n, n, 1, av, 0, n, bv, 0, n, 0, c, 0, n), reps);
  t(`${n} blas new C`, () => blas.sgemm(false, false, n, n, n, 1, av, 0, n, bv, 0, n, 0, new Float32Array(n*n), 0, n), reps);
  t(`${n} gemm() new C`, () => gemm({ transA: false, transB: false, m: n, n, k: n, a: av, b: bv, c: new Float32Array(n*n) }), reps);
  t(`${n} alloc only`, () => new Float32Array(n*n), reps);
  t(`${n} tf.matmul`, () => tf.dispose(tf.matmul(a, b)), reps);
}
