/**
 * The WebAssembly SIMD matrix product (src/backends/cpu/wasm/gemm_*.ts): the kernels against a float64
 * reference on random shapes with odd edges (1..67), every transpose, accumulation (beta 1), row strides
 * and offsets, float32 and float64, one and two threads; products shared by threads equal the one-thread
 * product bit for bit; the threaded plan's jobs; and the public API without a BLAS (TSFLOW_BLAS=none, a
 * child process, with and without relaxed SIMD): MatMul, BatchMatMulV2, Conv2D and its gradients, a dense
 * layer's gradients, against the same ops in float64 here.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { gemmRef } from "../src/backends/cpu/gemm.js";
import { WasmGemm, wasmGemm } from "../src/backends/cpu/wasm/gemm_runtime.js";
import { planProduct, type PlanShape } from "../src/backends/cpu/wasm/gemm_plan.js";
import { mulberry32 } from "./util/random.js";
import { withOptions } from "./util/settings.js";
import { graphStep } from "../bench/tsflow_models.js";

const CHILD = Boolean(process.env.TSFLOW_WASM_GEMM_CHILD);

function fill<T extends Float32Array | Float64Array>(a: T, rng: () => number): T {
  for (let i = 0; i < a.length; i++) a[i] = rng() * 2 - 1;
  return a;
}

/** One random product checked against gemmRef in float64; returns the largest error over the bound. */
function checkOne(w: WasmGemm, rng: () => number, f64: boolean, maxDim: number, dims?: [number, number, number]): void {
  const F = f64 ? Float64Array : Float32Array;
  const dim = () => 1 + Math.floor(rng() * maxDim);
  const [m, n, k] = dims ?? [dim(), dim(), dim()];
  const transA = rng() < 0.5;
  const transB = rng() < 0.5;
  const beta = (rng() < 0.5 ? 1 : 0) as 0 | 1;
  // Row strides with slack and offsets into larger arrays, as the convolutions pass them.
  const lda = (transA ? m : k) + (rng() < 0.3 ? 3 : 0);
  const ldb = (transB ? k : n) + (rng() < 0.3 ? 2 : 0);
  const ldc = n + (rng() < 0.3 ? 5 : 0);
  const aOff = rng() < 0.3 ? 7 : 0;
  const bOff = rng() < 0.3 ? 1 : 0;
  const cOff = rng() < 0.3 ? 3 : 0;
  const a = fill(new F(aOff + (transA ? k : m) * lda), rng);
  const b = fill(new F(bOff + (transB ? n : k) * ldb), rng);
  const c = fill(new F(cOff + m * ldc), rng);
  const before = Float64Array.from(c);
  const want = new Float64Array(m * n);
  gemmRef(a, aOff, b, bOff, want, 0, m, n, k, transA, transB, lda, ldb, n);
  assert.ok(w.run({ transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta }));
  const tol = (f64 ? 1e-13 : 2e-6) * k;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const at = cOff + i * ldc + j;
      if (j >= n) {
        assert.equal(c[at], before[at], `padding of C changed at row ${i}, column ${j}`);
        continue;
      }
      const expect = want[i * n + j] + (beta ? before[at] : 0);
      const err = Math.abs(c[at] - expect);
      if (!(err <= tol * (1 + Math.abs(expect)))) {
        assert.fail(
          `${f64 ? "f64" : "f32"} ${m}x${n}x${k} transA=${transA} transB=${transB} beta=${beta} lda=${lda} ldb=${ldb} ldc=${ldc}: C[${i},${j}] = ${c[at]}, expected ${expect}`,
        );
      }
    }
  }
  for (let i = 0; i < cOff; i++) assert.equal(c[i], before[i], "C before its offset changed");
}

if (!CHILD) {
  describe("WebAssembly SIMD gemm kernels", () => {
    const w = wasmGemm();
    it("is available (WebAssembly SIMD and shared memory in Node)", () => assert.ok(w));

    for (const threads of [1, 2]) {
      it(`random shapes 1..67, transposes, beta, strides, offsets (float32 and float64, ${threads} thread${threads > 1 ? "s" : ""})`, () => {
        withOptions({ threads }, () => {
          const rng = mulberry32(threads * 101);
          for (let i = 0; i < 150; i++) checkOne(w!, rng, i % 3 === 2, 67);
        });
      });
    }

    it("products large enough to be split across threads and cache blocks (k over the 256 block)", () => {
      withOptions({ threads: 2 }, () => {
        const rng = mulberry32(7);
        // Split by rows (m >= n), by columns, in float64, and with k over two blocks.
        const shapes: [number, number, number][] = [
          [203, 77, 301],
          [61, 259, 270],
          [150, 149, 130],
          [97, 90, 517],
        ];
        shapes.forEach((d, i) => checkOne(w!, rng, i === 2, 0, d));
      });
      assert.ok(w!.workers >= 1, "a worker thread was started");
    });

    it("products shared by 2 and 3 threads equal the one-thread product bit for bit (float32 and float64)", () => {
      const rng = mulberry32(11);
      // Several slices of k, several column blocks (n over 1024), a small m, accumulation, transposes.
      const cases: { f64: boolean; m: number; n: number; k: number; transA: boolean; transB: boolean; beta: 0 | 1 }[] = [
        { f64: false, m: 130, n: 140, k: 600, transA: false, transB: false, beta: 0 },
        { f64: false, m: 37, n: 1100, k: 70, transA: true, transB: false, beta: 1 },
        { f64: false, m: 300, n: 45, k: 290, transA: false, transB: true, beta: 1 },
        { f64: true, m: 90, n: 1030, k: 33, transA: true, transB: true, beta: 0 },
        { f64: true, m: 129, n: 67, k: 520, transA: false, transB: false, beta: 1 },
      ];
      for (const { f64, m, n, k, transA, transB, beta } of cases) {
        const F = f64 ? Float64Array : Float32Array;
        const a = fill(new F(m * k), rng);
        const b = fill(new F(k * n), rng);
        const c0 = fill(new F(m * n), rng);
        const product = (threads: number) =>
          withOptions({ threads }, () => {
            const c = F.from(c0);
            assert.ok(w!.run({ transA, transB, m, n, k, a, aOff: 0, lda: transA ? m : k, b, bOff: 0, ldb: transB ? k : n, c, cOff: 0, ldc: n, beta }));
            return c;
          });
        const one = product(1);
        for (const threads of [2, 3]) {
          const got = product(threads);
          const at = got.findIndex((v, i) => !Object.is(v, one[i]));
          assert.equal(at, -1, `${f64 ? "f64" : "f32"} ${m}x${n}x${k} on ${threads} threads: C[${at}] = ${got[at]}, one thread ${one[at]}`);
        }
      }
    });

    it("a threaded product's plan: jobs within the pool's limits, phases in order, every task once", () => {
      const shape: PlanShape = {
        eb: 4,
        mr: 4,
        nr: 8,
        m: 200,
        n: 5000,
        k: 700,
        a: 64,
        lda: 700,
        transA: false,
        b: 1 << 20,
        ldb: 5000,
        transB: false,
        c: 1 << 25,
        ldc: 5000,
        accumulate: false,
        packedA: 1 << 26,
        packedB: 1 << 27,
        kc: 256,
        nc: 1024,
        mc: 64,
        threads: 2,
      };
      const whole = planProduct(shape, 64, 32767);
      assert.ok(whole);
      // Five column blocks: the first packs A and B, each later one B; each block then computes.
      assert.deepEqual([whole.jobs.length, whole.jobs[0].phases.length + 1], [1, 10]);
      for (const [maxPhases, maxTasks] of [
        [2, 32767],
        [4, 32767],
        [48, 60],
      ]) {
        const p = planProduct(shape, maxPhases, maxTasks);
        assert.ok(p);
        assert.deepEqual(p.words, whole.words, "the same tasks whatever the jobs");
        let next = 0;
        for (const job of p.jobs) {
          assert.equal(job.firstTask, next, "jobs follow each other");
          assert.ok(job.phases.length + 1 <= maxPhases && job.tasks <= maxTasks, `a job of ${job.phases.length + 1} phases, ${job.tasks} tasks`);
          assert.deepEqual(
            [...job.phases].sort((x, y) => x - y),
            job.phases,
          );
          assert.ok(job.phases.every((start) => start > 0 && start < job.tasks));
          next += job.tasks;
        }
        assert.equal(next, whole.words.length / 16);
      }
      assert.equal(planProduct(shape, 48, 10), null, "a phase with more tasks than a job may hold");
    });

    it("threads: the setting, tf.config.threading and the BLAS info agree", () => {
      withOptions({ threads: 3 }, () => {
        assert.equal(tf.config.threading.getIntraOpParallelismThreads(), 3);
        assert.equal(WasmGemm.threads(), 3);
      });
      const before = tf.config.threading.getIntraOpParallelismThreads();
      tf.config.threading.setIntraOpParallelismThreads(1);
      assert.equal(tf.config.experimental.getTsflowOptions().threads, 1);
      tf.config.threading.setIntraOpParallelismThreads(before);
      assert.throws(() => tf.config.threading.setIntraOpParallelismThreads(-1), tf.errors.InvalidArgumentError);
      const info = tf.sysconfig.getBuildInfo();
      assert.deepEqual(info.cpuKernels, tf.config.experimental.getBlasInfo());
      assert.equal(typeof info.isCudaBuild, "boolean");
    });
  });
}

// ---------------------------------------------------------------- the public API without a BLAS

interface Case {
  name: string;
  shapes: number[][];
  run: (xs: tf.Tensor[]) => tf.Tensor[];
}

const conv = (x: tf.Tensor, f: tf.Tensor, padding: "SAME" | "VALID") => tf.nn.conv2d(x, f, 1, padding);

/** Ops whose gradients are taken through a tape: returns [y, dy/dx...]. */
function withGrads(f: (xs: tf.Tensor[]) => tf.Tensor): (xs: tf.Tensor[]) => tf.Tensor[] {
  return (xs) => {
    const tape = new tf.GradientTape();
    const y = tape.run(() => {
      for (const x of xs) tape.watch(x as tf.EagerTensor);
      return tf.reduceSum(tf.square(f(xs)));
    });
    return [y, ...(tape.gradient(y as tf.EagerTensor, xs as tf.EagerTensor[]) as tf.Tensor[])];
  };
}

const CASES: Case[] = [
  {
    name: "matmul 67x33 · 33x65",
    shapes: [
      [67, 33],
      [33, 65],
    ],
    run: ([a, b]) => [tf.matmul(a, b)],
  },
  {
    name: "matmul transposes 129x150ᵀ · 131x150ᵀ (threaded)",
    shapes: [
      [150, 129],
      [131, 150],
    ],
    run: ([a, b]) => [tf.matmul(a, b, true, true)],
  },
  {
    name: "batch matmul [3,1,17,9] · [4,9,23]",
    shapes: [
      [3, 1, 17, 9],
      [4, 9, 23],
    ],
    run: ([a, b]) => [tf.matmul(a, b)],
  },
  {
    // Its channel sums go through the WebAssembly product without a BLAS (kernels/norm.ts channelSumsFloat);
    // 10,000 rows span three of its row blocks.
    name: "biasAdd and its gradient over [4,50,50,6]",
    shapes: [[4, 50, 50, 6], [6]],
    run: withGrads(([x, b]) => tf.nn.biasAdd(x, b)),
  },
  {
    name: "conv2d SAME 5x5 and its gradients",
    shapes: [
      [4, 14, 14, 3],
      [5, 5, 3, 7],
    ],
    run: withGrads(([x, f]) => conv(x, f, "SAME")),
  },
  {
    name: "conv2d VALID 3x3 and its gradients",
    shapes: [
      [2, 11, 9, 5],
      [3, 3, 5, 6],
    ],
    run: withGrads(([x, f]) => conv(x, f, "VALID")),
  },
  {
    name: "dense layer and its gradients",
    shapes: [
      [64, 100],
      [100, 37],
    ],
    run: withGrads(([x, w]) => tf.nn.relu(tf.matmul(x, w))),
  },
];

function inputs(c: Case, dtype: "float32" | "float64"): tf.Tensor[] {
  const rng = mulberry32(c.name.length * 31);
  return c.shapes.map((s) => {
    const n = s.reduce((p, d) => p * d, 1);
    return tf.constant(
      Float64Array.from({ length: n }, () => rng() * 2 - 1),
      { shape: s, dtype },
    );
  });
}

/**
 * LeNet-5's training step with TSFLOW_NUM_THREADS=16 from the start: its products of many shapes once made a
 * worker started for a wide product use scratch memory a narrower product had not reserved (a trap).
 */
function lenetChild(): void {
  // A race (which worker wakes) decides whether the fault shows: several steps at two batch sizes.
  let steps = 0;
  for (const batch of [64, 256]) {
    const s = graphStep("lenet", batch);
    for (let i = 0; i < 5; i++, steps++) s.step();
    s.close();
  }
  process.stdout.write(JSON.stringify({ info: tf.config.experimental.getBlasInfo(), steps }));
}

function childMain(): void {
  const out: Record<string, unknown> = { info: tf.config.experimental.getBlasInfo() };
  for (const threads of [1, 2, 16]) {
    tf.config.threading.setIntraOpParallelismThreads(threads);
    for (const c of CASES) out[`${c.name}|${threads}`] = c.run(inputs(c, "float32")).map((t) => Array.from(t.dataSync() as Float32Array));
  }
  process.stdout.write(JSON.stringify(out));
}

if (process.env.TSFLOW_WASM_GEMM_CHILD === "lenet") lenetChild();
else if (CHILD) childMain();
else {
  describe("the public API without a BLAS (TSFLOW_BLAS=none, a child process)", () => {
    for (const relaxed of [true, false]) {
      it(`MatMul, BatchMatMulV2, Conv2D and gradients on the wasm kernels equal float64 within float32 rounding, 1, 2 and 16 threads (relaxed SIMD ${relaxed ? "on" : "off"})`, () => {
        const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
          env: { ...process.env, TSFLOW_WASM_GEMM_CHILD: "1", TSFLOW_BLAS: "none", TSFLOW_NUM_THREADS: "", TSFLOW_RELAXED_SIMD: relaxed ? "" : "off" },
          encoding: "utf8",
          maxBuffer: 64 * 2 ** 20,
        });
        assert.equal(r.status, 0, r.stderr);
        const got = JSON.parse(r.stdout) as Record<string, number[][]>;
        // Node 20 and 21 have relaxed SIMD behind a V8 flag, which the setting turns on; later Nodes have it on.
        assert.deepEqual(got.info as unknown, { ...(got.info as unknown as object), blas: "wasm-simd", relaxedSimd: relaxed });
        for (const c of CASES) {
          const want = c.run(inputs(c, "float64")).map((t) => Array.from(t.dataSync() as Float64Array));
          for (const threads of [1, 2, 16]) {
            const g = got[`${c.name}|${threads}`];
            assert.equal(g.length, want.length, c.name);
            want.forEach((w, o) => {
              const scale = Math.max(1, ...w.map(Math.abs));
              w.forEach((v, i) => {
                assert.ok(Math.abs(g[o][i] - v) <= 1e-4 * scale, `${c.name}, ${threads} threads, output ${o}[${i}]: ${g[o][i]} vs float64 ${v}`);
              });
            });
          }
        }
      });
    }

    it("LeNet-5 trains with 16 threads (more than this machine's cores)", () => {
      const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
        env: { ...process.env, TSFLOW_WASM_GEMM_CHILD: "lenet", TSFLOW_BLAS: "none", TSFLOW_NUM_THREADS: "16" },
        encoding: "utf8",
      });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { info: { blas: string; threads: number }; steps: number };
      assert.deepEqual([got.info.blas, got.info.threads, got.steps], ["wasm-simd", 16, 10]);
    });
  });
}
