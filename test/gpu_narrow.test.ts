import assert from "node:assert/strict";
import { describe, it } from "./util/devices.js";
import * as tf from "../src/index.js";
import { gpuBackend } from "../src/backends/cuda/index.js";
import { cudnnFor } from "../src/backends/cuda/cudnn.js";
import type { DType } from "../src/core/dtype.js";
import { gruCellStep, gruSequence, lstmCellStep, lstmSequence } from "../src/ops/recurrent.js";
import type { Handle } from "../src/core/backend.js";
import { cpu, type E, gpu, gpuOnly, NO_GPU, onGpu, relErr, rng, runOp } from "./util/gpu.js";
import { withOptions } from "./util/settings.js";

/**
 * float16 and bfloat16 on the GPU where the cuda backend's kernels were written for float32 and take the
 * 16-bit types through float32 on the device (widen.ts: pooling, UnsortedSegmentSum, the recurrent steps,
 * cuDNN's RNN), or compute them in float themselves (optimizer updates, random ops): each equals the CPU
 * backend on the same inputs, runs on the GPU, and nothing falls back to the CPU. Also float32 variables'
 * updates reading a 16-bit gradient, as Session plans run them once their gradient Casts are folded: equal to
 * the unfolded update bit for bit. Skips itself without a GPU.
 */

const NARROW = ["float16", "bfloat16"] as const;
/** Norm-wise relative error allowed: float32 arithmetic in another order, then one rounding to the type. */
const TOL: Record<string, number> = { float16: 2e-3, bfloat16: 1.5e-2 };
const fallbacks = (ops: readonly string[]) => ops.reduce((a, k) => a + (gpuBackend(0)?.stats.fallbacks.get(k) ?? 0), 0);

function make(values: ArrayLike<number>, shape: number[], dtype: DType): E {
  return tf.cast(tf.constant(Float32Array.from(values), { shape }), dtype) as E;
}
function random(r: () => number, shape: number[], dtype: DType, scale = 1): E {
  return make(
    Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => (r() - 0.5) * 2 * scale),
    shape,
    dtype,
  );
}
function assertNear(what: string, got: E, want: E): void {
  assert.ok(onGpu(got), `${what}: on the GPU (${got.device})`);
  assert.equal(got.dtype, want.dtype, `${what}: dtype`);
  const e = relErr(tf.cast(got, "float32") as E, tf.cast(want, "float32") as E);
  assert.ok(e < TOL[want.dtype], `${what}: relative error ${e}`);
}

describe("cuda: float16 and bfloat16 through float32 kernels and float updates", gpuOnly, () => {
  it("max and average pooling and their gradients (cuDNN's, and the own kernels in float32 where cuDNN declines)", () => {
    const ops = ["MaxPool", "MaxPoolGrad", "AvgPool", "AvgPoolGrad"];
    const before = fallbacks(ops);
    const r = rng(41);
    const [N, H, W, C] = [2, 9, 8, 3];
    // Distinct values in each image's channel plane (quarters up to 18: exact in bfloat16), so no window has a tie.
    const xv = new Float32Array(N * H * W * C);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const perm = Array.from({ length: H * W }, (_, i) => i).sort(() => r() - 0.5);
        perm.forEach((p, k) => {
          xv[(n * H * W + k) * C + c] = (p - (H * W) / 2) / 4;
        });
      }
    }
    for (const dtype of NARROW) {
      const x = make(xv, [N, H, W, C], dtype);
      for (const attrs of [
        { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "VALID" },
        { ksize: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: "SAME" },
        { ksize: [1, 3, 3, 1], strides: [1, 1, 1, 1], padding: "SAME" },
        // Asymmetric padding: cuDNN's pools take symmetric padding only, so the own kernels run (in float32).
        { ksize: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: "EXPLICIT", explicit_paddings: [0, 0, 1, 2, 2, 0, 0, 0] },
      ]) {
        const a = { ...attrs, data_format: "NHWC" };
        const what = `${dtype} ${attrs.padding} ${attrs.ksize[1]}/${attrs.strides[1]}`;
        const y = cpu(() => runOp("MaxPool", [x], a));
        const gy = gpu(() => runOp("MaxPool", [x], a));
        assert.ok(onGpu(gy));
        assert.deepEqual(Array.from(gy.dataSync() as Float32Array), Array.from(y.dataSync() as Float32Array), `MaxPool ${what}`);
        const dy = random(r, y.shape, dtype);
        assertNear(
          `MaxPoolGrad ${what}`,
          gpu(() => runOp("MaxPoolGrad", [x, gy, dy], a)),
          cpu(() => runOp("MaxPoolGrad", [x, y, dy], a)),
        );
        if (attrs.padding === "EXPLICIT") continue; // AvgPool takes no explicit padding
        const ay = cpu(() => runOp("AvgPool", [x], a));
        assertNear(
          `AvgPool ${what}`,
          gpu(() => runOp("AvgPool", [x], a)),
          ay,
        );
        const ady = random(r, ay.shape, dtype);
        const shape = tf.constant([N, H, W, C], { dtype: "int32" });
        assertNear(
          `AvgPoolGrad ${what}`,
          gpu(() => runOp("AvgPoolGrad", [shape, ady], a)),
          cpu(() => runOp("AvgPoolGrad", [shape, ady], a)),
        );
      }
    }
    assert.equal(fallbacks(ops), before, "no pooling fell back to the CPU");
  });

  it("optimizer updates of float16 and bfloat16 variables: GradientDescent (grouped), Momentum, Nesterov, Adam", () => {
    const ops = ["ApplyGradientDescent", "ApplyMomentum", "ApplyAdam"];
    const before = fallbacks(ops);
    const r = rng(43);
    const shapes = [[5], [7, 3], [300]];
    const init = shapes.map((s) => Array.from({ length: s.reduce((p, d) => p * d, 1) }, () => r() * 4 - 2));
    const grads = [0, 1, 2].map(() => shapes.map((s) => Array.from({ length: s.reduce((p, d) => p * d, 1) }, () => r() - 0.5 || 0.25)));
    const optimizers: [string, () => tf.train.Optimizer][] = [
      ["GradientDescent", () => new tf.train.GradientDescentOptimizer(0.1)],
      ["Momentum", () => new tf.train.MomentumOptimizer(0.1, 0.9)],
      ["Nesterov", () => new tf.train.MomentumOptimizer(0.1, 0.9, { useNesterov: true })],
      // epsilon representable in float16 (1e-8 would round to 0).
      ["Adam", () => new tf.train.AdamOptimizer(0.01, { epsilon: 1e-3 })],
    ];
    for (const dtype of NARROW) {
      for (const [name, opt] of optimizers) {
        const train = (dev: <T>(f: () => T) => T) =>
          dev(() => {
            const vars = init.map((v, i) => new tf.Variable(make(v, shapes[i], dtype)));
            const o = opt();
            for (const g of grads) o.applyGradients(g.map((gv, i) => [make(gv, shapes[i], dtype), vars[i]] as [tf.Tensor, tf.Variable]));
            return vars.map((v) => v.value() as E);
          });
        const want = train(cpu);
        train(gpu).forEach((v, i) => assertNear(`${name} ${dtype} variable ${i}`, v, want[i]));
      }
    }
    assert.equal(fallbacks(ops), before, "no update fell back to the CPU");
  });

  it("UnsortedSegmentSum (a gather's gradient) sums in float32", () => {
    const before = fallbacks(["UnsortedSegmentSum"]);
    const r = rng(47);
    for (const dtype of NARROW) {
      const data = random(r, [40, 6], dtype);
      const ids = tf.constant(
        Int32Array.from({ length: 40 }, (_, i) => (i * 7) % 9),
        { dtype: "int32", shape: [40] },
      );
      const n = tf.constant(9, { dtype: "int32" });
      assertNear(
        `UnsortedSegmentSum ${dtype}`,
        gpu(() => runOp("UnsortedSegmentSum", [data, ids, n])),
        cpu(() => runOp("UnsortedSegmentSum", [data, ids, n])),
      );
    }
    assert.equal(fallbacks(["UnsortedSegmentSum"]), before);
  });

  it("random ops draw the CPU's numbers (uniform bit for bit)", () => {
    for (const dtype of NARROW) {
      for (const n of [1, 7, 1000, 4099]) {
        const draw = (dev: <T>(f: () => T) => T) =>
          dev(() => {
            tf.random.setSeed(13);
            return [tf.randomUniform([n], { dtype, seed: 3 }) as E, tf.randomNormal([n], { dtype, seed: 4 }) as E];
          });
        const g = draw(gpu);
        const c = draw(cpu);
        assert.ok(onGpu(g[0]) && onGpu(g[1]));
        assert.deepEqual(Array.from(g[0].dataSync() as Float32Array), Array.from(c[0].dataSync() as Float32Array), `uniform ${dtype} ${n}`);
        assertNear(`normal ${dtype} ${n}`, g[1], c[1]);
      }
      const t = gpu(() => tf.truncatedNormal([5000], { dtype, seed: 1 })) as E;
      assert.ok(onGpu(t));
      for (const v of t.dataSync() as Float32Array) assert.ok(Math.abs(v) <= 2, `truncated normal ${v}`);
    }
  });

  it("LSTM and GRU cell steps and their gradients", () => {
    const ops = ["LSTMCellStep", "LSTMCellStepGrad", "GRUCellStep", "GRUCellStepGrad"];
    const before = fallbacks(ops);
    const r = rng(53);
    const [b, u] = [6, 10];
    for (const dtype of NARROW) {
      const lstm = [random(r, [b, 4 * u], dtype), random(r, [b, 4 * u], dtype), random(r, [b, u], dtype)];
      const gru = [random(r, [b, 3 * u], dtype), random(r, [b, 3 * u], dtype), random(r, [b, u], dtype)];
      const w = [random(r, [b, u], "float32"), random(r, [b, u], "float32")];
      const step = (ins: E[], f: (ins: E[]) => tf.Tensor[]) => {
        const tape = new tf.GradientTape();
        let outs: tf.Tensor[] = [];
        const loss = tape.run(() => {
          tape.watch(ins);
          outs = f(ins);
          return outs.map((o, i) => tf.reduceSum(tf.multiply(tf.cast(o, "float32"), w[i]))).reduce((x, y) => tf.add(x, y));
        });
        return [...outs, ...(tape.gradient(loss, ins) as tf.Tensor[])] as E[];
      };
      const lstmF = (ins: E[]) => lstmCellStep(ins[0], ins[1], ins[2]);
      const gruF = (ins: E[]) => [gruCellStep(ins[0], ins[1], ins[2])];
      for (const [name, ins, f] of [
        ["LSTM", lstm, lstmF],
        ["GRU", gru, gruF],
      ] as const) {
        const want = cpu(() => step(ins, f));
        gpu(() => step(ins, f)).forEach((t, i) => assertNear(`${name} step ${dtype} #${i}`, t, want[i]));
      }
    }
    assert.equal(fallbacks(ops), before, "no recurrent step fell back to the CPU");
  });

  const dnn = NO_GPU === null ? cudnnFor(gpuBackend(0)!) : null;
  it("LSTMSequence and GRUSequence with their gradients through cuDNN's float32 RNN (the reserve space relabelled)", {
    skip: dnn === null ? "no cuDNN" : false,
  }, () => {
    const ops = ["LSTMSequence", "LSTMSequenceGrad", "GRUSequence", "GRUSequenceGrad"];
    const before = fallbacks(ops);
    const r = rng(59);
    const [b, t, i, u] = [4, 6, 5, 8];
    for (const dtype of NARROW) {
      const lstmIns = [[b, t, i], [b, u], [b, u], [i, 4 * u], [u, 4 * u], [4 * u]].map((s, k) => random(r, s, dtype, k === 0 ? 1 : 0.5));
      const gruIns = [
        [b, t, i],
        [b, u],
        [i, 3 * u],
        [u, 3 * u],
        [2, 3 * u],
      ].map((s, k) => random(r, s, dtype, k === 0 ? 1 : 0.5));
      const w = [random(r, [b, t, u], "float32"), random(r, [b, u], "float32"), random(r, [b, u], "float32")];
      const seq = (ins: E[], f: (ins: E[]) => tf.Tensor[]) => {
        const tape = new tf.GradientTape();
        let outs: tf.Tensor[] = [];
        const loss = tape.run(() => {
          tape.watch(ins);
          outs = f(ins);
          return outs.map((o, k) => tf.reduceSum(tf.multiply(tf.cast(o, "float32"), w[k]))).reduce((x, y) => tf.add(x, y));
        });
        return [...outs, ...(tape.gradient(loss, ins) as tf.Tensor[])] as E[];
      };
      const calls0 = dnn!.stats.rnnForward + dnn!.stats.rnnBackward;
      for (const [name, ins, f] of [
        ["LSTM", lstmIns, (x: E[]) => lstmSequence(x[0], x[1], x[2], x[3], x[4], x[5])],
        ["GRU", gruIns, (x: E[]) => gruSequence(x[0], x[1], x[2], x[3], x[4])],
      ] as const) {
        const want = cpu(() => seq(ins, f));
        gpu(() => seq(ins, f)).forEach((o, k) => assertNear(`${name} sequence ${dtype} #${k}`, o, want[k]));
      }
      assert.equal(dnn!.stats.rnnForward + dnn!.stats.rnnBackward - calls0, 4, "cuDNN ran each forward and gradient");
    }
    assert.equal(fallbacks(ops), before, "no sequence fell back to the CPU");
  });
});

describe("cuda: float32 variables' updates reading a 16-bit gradient (runtime/cast_updates.ts)", gpuOnly, () => {
  const UPDATES = ["ApplyGradientDescent", "ApplyMomentum", "ApplyAdam"];
  const f32 = (h: Handle) => Array.from(h.backend.readSync(h) as Float32Array);

  it("each kernel takes a float16 or bfloat16 gradient, bit for bit the update of the gradient cast to float32, and the CPU's", () => {
    const b = gpuBackend(0)!;
    const before = fallbacks(UPDATES);
    const r = rng(53);
    // More elements than one grid-stride pass of a small grid, and an odd count.
    const shape = [301, 37];
    for (const dtype of NARROW) {
      const on = <T>(dev: <U>(f: () => U) => U, f: () => T) => dev(f);
      const g16 = random(r, shape, dtype);
      const v = random(r, shape, "float32", 2);
      const acc = random(r, shape, "float32");
      const m = random(r, shape, "float32");
      const s = tf.abs(random(r, shape, "float32")) as E;
      const scalar = (x: number) => tf.constant(x);
      const cases: [string, (g: E) => E[], Record<string, unknown>][] = [
        ["ApplyGradientDescent", (g) => [v, scalar(0.1) as E, g], {}],
        ["ApplyMomentum", (g) => [v, acc, scalar(0.1) as E, g, scalar(0.9) as E], { use_nesterov: false }],
        ["ApplyMomentum", (g) => [v, acc, scalar(0.1) as E, g, scalar(0.9) as E], { use_nesterov: true }],
        [
          "ApplyAdam",
          (g) => [v, m, s, scalar(0.9) as E, scalar(0.999) as E, scalar(0.01) as E, scalar(0.9) as E, scalar(0.999) as E, scalar(1e-7) as E, g],
          {},
        ],
      ];
      for (const [type, inputs, attrs] of cases) {
        const what = `${type}${attrs.use_nesterov ? " (Nesterov)" : ""} ${dtype}`;
        const narrow = on(gpu, () => inputs(g16).map((t) => tf.identity(t) as E));
        const wide = on(gpu, () => inputs(tf.cast(g16, "float32") as E).map((t) => tf.identity(t) as E));
        const dtypes = narrow.map((t) => t.dtype);
        assert.ok(b.takesNarrowGradient(type, dtypes), `${what}: the kernel says it takes ${dtypes}`);
        const got = b.runKernel(
          type,
          narrow.map((t) => t.handle),
          attrs as never,
          {},
        );
        const unfolded = b.runKernel(
          type,
          wide.map((t) => t.handle),
          attrs as never,
          {},
        );
        got.forEach((h, k) => {
          assert.equal(h.backend, b, `${what}: output ${k} on the GPU`);
          assert.deepEqual(f32(h), f32(unfolded[k]), `${what}: output ${k} equals the float32 gradient's, bit for bit`);
        });
        const cpuIns = on(cpu, () => inputs(g16).map((t) => tf.identity(t) as E));
        const want = cpuIns[0].handle.backend.runKernel(
          type,
          cpuIns.map((t) => t.handle),
          attrs as never,
          {},
        );
        got.forEach((h, k) => {
          const e = relErr(new tf.EagerTensor(b.alias(h)) as E, new tf.EagerTensor(want[k].backend.alias(want[k])) as E);
          assert.ok(e < 1e-6, `${what}: output ${k} vs the CPU kernel: relative error ${e}`);
        });
        for (const h of [...got, ...unfolded, ...want]) h.backend.dispose(h);
      }
    }
    assert.equal(fallbacks(UPDATES), before, "no update fell back to the CPU");
  });

  it("grouped gradient descent over variables whose deltas are float32, float16 and bfloat16 equals one launch each", () => {
    const b = gpuBackend(0)!;
    const r = rng(59);
    const alpha = gpu(() => tf.constant(0.05) as E);
    const items = Array.from({ length: 40 }, (_, i) => {
      const shape = i % 3 === 0 ? [i + 1] : [i + 1, 37];
      const grad: DType = (["float32", "float16", "bfloat16"] as const)[i % 3];
      return gpu(() => [random(r, shape, "float32"), alpha, random(r, shape, grad)]);
    });
    const grouped = b.runKernelGroup(
      "ApplyGradientDescent",
      items.map((it) => it.map((t) => t.handle)),
      {},
    );
    assert.ok(grouped !== null, "the group ran");
    items.forEach((it, i) => {
      const [single] = b.runKernel(
        "ApplyGradientDescent",
        it.map((t) => t.handle),
        {},
        {},
      );
      assert.deepEqual(f32(grouped[i][0]), f32(single), `variable ${i} (${it[2].dtype} delta)`);
      b.dispose(single);
    });
    for (const [h] of grouped) b.dispose(h);
  });

  it("a TF1 mixed-precision step folds its gradient Casts on the GPU: the unfolded plan's variables bit for bit, and the CPU's", () => {
    const before = fallbacks(UPDATES);
    const optimizers: [string, () => tf.train.Optimizer][] = [
      ["GradientDescent", () => new tf.compat.v1.train.GradientDescentOptimizer(0.3)],
      ["Momentum", () => new tf.compat.v1.train.MomentumOptimizer(0.2, 0.9)],
      ["Adam", () => new tf.compat.v1.train.AdamOptimizer(0.05)],
    ];
    const run = (device: string, dtype: DType, make: () => tf.train.Optimizer, fold: boolean, graphs: boolean) =>
      withOptions({ foldGradientCasts: fold, cudaGraphs: graphs }, () =>
        new tf.Graph().asDefault(() =>
          tf.device(device, () => {
            tf.setRandomSeed(5);
            const r = rng(61);
            const x = tf.constant(
              Float32Array.from({ length: 64 * 48 }, () => r() - 0.5),
              { shape: [64, 48] },
            );
            const y = tf.constant(
              Int32Array.from({ length: 64 }, (_, i) => i % 10),
              { shape: [64], dtype: "int32" },
            );
            const vars = [
              new tf.Variable(tf.randomUniform([48, 96], -0.2, 0.2, "float32", 1), { name: "w1" }),
              new tf.Variable(tf.fill([96], 0.01), { name: "b1" }),
              new tf.Variable(tf.randomUniform([96, 10], -0.2, 0.2, "float32", 2), { name: "w2" }),
              new tf.Variable(tf.fill([10], 0), { name: "b2" }),
            ];
            const c = (t: tf.Tensor | tf.Variable) => tf.cast(t, dtype);
            const h = tf.nn.relu(tf.add(tf.matmul(c(x), c(vars[0])), c(vars[1])));
            const logits = tf.cast(tf.add(tf.matmul(h, c(vars[2])), c(vars[3])), "float32");
            const loss = tf.reduceMean(tf.nn.sparseSoftmaxCrossEntropyWithLogits({ labels: y, logits }));
            const train = make().minimize(loss);
            const sess = new tf.Session({ config: new tf.ConfigProto({ allowSoftPlacement: true }) });
            try {
              sess.run(tf.globalVariablesInitializer());
              const init = vars.map((v) => f32((sess.run(v.value()) as E).handle));
              for (let step = 0; step < 4; step++) sess.run(train);
              const plan = sess.describePlan(train);
              const deltas = vars.map((v, k) => f32((sess.run(v.value()) as E).handle).map((w, i) => w - init[k][i]));
              return { deltas, folded: (plan.match(/folded=\[[^\]]*\]/g) ?? []).join(",").split("_grad/Cast").length - 1 };
            } finally {
              sess.close();
            }
          }),
        ),
      );
    for (const dtype of NARROW) {
      for (const [name, make] of optimizers) {
        for (const graphs of [false, true]) {
          const what = `${name} ${dtype}${graphs ? " (CUDA graph)" : ""}`;
          const on = run("/gpu:0", dtype, make, true, graphs);
          const off = run("/gpu:0", dtype, make, false, graphs);
          assert.equal(on.folded, 4, `${what}: four gradient Casts folded`);
          assert.equal(off.folded, 0);
          on.deltas.forEach((d, k) => assert.deepEqual(d, off.deltas[k], `${what}: variable ${k}, folded vs not, bit for bit`));
          const want = run("/cpu:0", dtype, make, true, false);
          on.deltas.forEach((d, k) => {
            const e = relErr(tf.constant(d) as E, tf.constant(want.deltas[k]) as E);
            // The 16-bit products and sums round in another order on the GPU: the steps agree to the type's precision.
            assert.ok(e < 4 * TOL[dtype], `${what}: variable ${k}'s change vs the CPU: relative error ${e}`);
          });
        }
      }
    }
    assert.equal(fallbacks(UPDATES), before, "no update fell back to the CPU");
  });
});
