import assert from "node:assert/strict";
import { describe, it } from "./util/devices.js";
import * as tf from "../src/index.js";
import { gpuBackend } from "../src/backends/cuda/index.js";
import type { DType } from "../src/core/dtype.js";
import { execute } from "../src/ops/dispatch.js";
import { cpu, type E, gpu, gpuOnly, onGpu, rng } from "./util/gpu.js";

/**
 * Batch normalization on the GPU (backends/cuda/kernels/norm.ts, sources/norm.ts): FusedBatchNormV3 and
 * FusedBatchNormGradV3 equal the CPU kernels in training and inference, for float32, float16 and bfloat16
 * data with float32 statistics (and float64), in every data format and at shapes that stress the launch
 * geometry (one position per channel, one channel, channel counts that are no multiple of 4 or 8, more than
 * one tile of channels, a million elements, an empty batch); a forward on one device and the gradient on the
 * other agree (the reserve spaces mean the same); and a Keras model with BatchNormalization trains on the GPU
 * with nothing falling back to the CPU, its step captured as a CUDA graph. Skips itself without a GPU.
 */

const BN_OPS = ["FusedBatchNormV3", "FusedBatchNormGradV3"];
const fallbacks = (ops: readonly string[] = BN_OPS) => ops.reduce((a, k) => a + (gpuBackend(0)?.stats.fallbacks.get(k) ?? 0), 0);

/** A tensor of `dtype` made from float64 values (narrow types rounded once, as a cast does). */
function make(values: number[], shape: number[], dtype: DType): E {
  const t = tf.constant(Float64Array.from(values), { dtype: "float64", shape }) as E;
  return dtype === "float64" ? t : (tf.cast(t, dtype) as E);
}

/** Relative tolerance per dtype: float32 results agree to rounding; 16-bit ones to a unit or two in the last place. */
const RTOL: Record<string, number> = { float64: 1e-12, float32: 2e-6, float16: 2 ** -9, bfloat16: 2 ** -6 };

/**
 * Element by element, |got - want| <= rtol (|want| + floor), the floor a fraction of the largest |want|: an element
 * near 0 is a difference of larger terms (the gradient's dy - mean(dy) - ...), exact only to their rounding.
 */
function assertClose(what: string, got: E, want: E): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.equal(got.dtype, want.dtype, `${what}: dtype`);
  const g = got.dataSync() as ArrayLike<number>;
  const w = want.dataSync() as ArrayLike<number>;
  const rtol = RTOL[want.dtype];
  let big = 0;
  for (let i = 0; i < w.length; i++) big = Math.max(big, Math.abs(w[i]));
  const floor = (want.dtype === "float32" || want.dtype === "float64" ? 1e-3 : 0.05) * big;
  for (let i = 0; i < w.length; i++) {
    if (Number.isNaN(w[i]) && Number.isNaN(g[i])) continue;
    assert.ok(Math.abs(g[i] - w[i]) <= rtol * (Math.abs(w[i]) + floor), `${what}: element ${i}: got ${g[i]}, want ${w[i]}`);
  }
}

interface Case {
  shape: number[];
  format: "NHWC" | "NCHW" | "NDHWC" | "NCDHW";
  /** exponential_avg_factor (training). */
  factor?: number;
  /** Training without old statistics (empty mean and variance). */
  noStats?: boolean;
  /** Added to every x (a mean large against the spread). */
  shift?: number;
}

const CASES: Case[] = [
  { shape: [4, 6, 6, 8], format: "NHWC" },
  { shape: [4, 8, 6, 6], format: "NCHW" },
  { shape: [1, 1, 1, 5], format: "NHWC" }, // one position per channel
  { shape: [5, 1, 1, 1], format: "NCHW" },
  { shape: [3, 5, 5, 1], format: "NHWC" }, // one channel
  { shape: [2, 3, 4, 13], format: "NHWC", factor: 0.3 }, // 13 channels: no multiple of 4 or 8
  { shape: [2, 37, 3, 3], format: "NCHW", factor: 0.3, noStats: true },
  { shape: [2, 3, 3, 300], format: "NHWC" }, // several tiles of 32 channels
  { shape: [64, 32, 32, 16], format: "NHWC", shift: 50 }, // 65536 positions per channel, a million elements
  { shape: [16, 12, 32, 32], format: "NCHW", shift: 50 },
  { shape: [2, 3, 4, 5, 6], format: "NDHWC" },
  { shape: [2, 6, 3, 4, 5], format: "NCDHW" },
  { shape: [0, 3, 3, 4], format: "NHWC", factor: 0.5 }, // an empty batch: statistics 0, as the CPU kernel
  { shape: [2, 3, 3, 0], format: "NHWC" }, // no channels
];

interface Inputs {
  x: E;
  scale: E;
  offset: E;
  mean: E;
  variance: E;
  dy: E;
}

function inputs(c: Case, dtype: DType, u: DType, seed: number, training: boolean): Inputs {
  const r = rng(seed);
  const ch = c.shape[c.format.startsWith("NC") ? 1 : c.shape.length - 1];
  const n = c.shape.reduce((p, d) => p * d, 1);
  const vec = (lo: number, span: number) =>
    make(
      Array.from({ length: ch }, () => lo + span * r()),
      [ch],
      u,
    );
  const noStats = training && c.noStats;
  return {
    x: make(
      Array.from({ length: n }, () => (c.shift ?? 0) + 4 * (r() - 0.5)),
      c.shape,
      dtype,
    ),
    scale: vec(0.5, 1),
    offset: vec(-0.5, 1),
    mean: noStats ? make([], [0], u) : vec(-0.5, 1),
    variance: noStats ? make([], [0], u) : vec(0.2, 1),
    dy: make(
      Array.from({ length: n }, () => r() - 0.5),
      c.shape,
      dtype,
    ),
  };
}

const attrsOf = (c: Case, training: boolean) => ({ epsilon: 1e-3, exponential_avg_factor: c.factor ?? 1, data_format: c.format, is_training: training });
const forward = (a: Inputs, c: Case, training: boolean) =>
  execute("FusedBatchNormV3", [a.x, a.scale, a.offset, a.mean, a.variance], attrsOf(c, training)) as E[];
/** The gradient op on the forward's reserve spaces (training) or the given statistics (inference), as ops/norm.ts builds it. */
function backward(a: Inputs, c: Case, training: boolean, fwd: E[]): E[] {
  const rs1 = training ? fwd[3] : a.mean;
  const rs2 = training ? fwd[4] : a.variance;
  return execute("FusedBatchNormGradV3", [a.dy, a.x, a.scale, rs1, rs2, fwd[5]], {
    epsilon: 1e-3,
    data_format: c.format,
    is_training: training,
  }) as E[];
}

const label = (c: Case, dtype: DType, training: boolean) =>
  `${training ? "training" : "inference"} ${dtype} ${c.format} [${c.shape}]${c.factor ? ` factor ${c.factor}` : ""}${c.noStats ? " (no old statistics)" : ""}`;
const FORWARD_NAMES = ["y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2", "reserve_space_3"];
const GRAD_NAMES = ["x_backprop", "scale_backprop", "offset_backprop", "reserve_space_4", "reserve_space_5"];

describe("cuda: FusedBatchNormV3 and FusedBatchNormGradV3 against the CPU", gpuOnly, () => {
  for (const dtype of ["float32", "float16", "bfloat16", "float64"] as const) {
    const u: DType = dtype === "float64" ? "float64" : "float32";
    it(`forward and gradient equal the CPU kernels: ${dtype} data, ${u} statistics, training and inference, every data format`, () => {
      const before = fallbacks();
      CASES.forEach((c, k) => {
        for (const training of [true, false]) {
          // The million-element cases once (float32), to keep the CPU reference quick.
          if (c.shape.reduce((p, d) => p * d, 1) > 100_000 && (dtype !== "float32" || !training)) continue;
          const what = label(c, dtype, training);
          const a = inputs(c, dtype, u, 100 + k, training);
          const want = cpu(() => forward(a, c, training));
          const got = gpu(() => forward(a, c, training));
          assert.ok(onGpu(got[0]) && onGpu(got[1]), `${what}: on the GPU`);
          got.forEach((t, i) => assertClose(`${what} ${FORWARD_NAMES[i]}`, t, want[i]));
          const wantG = cpu(() => backward(a, c, training, want));
          const gotG = gpu(() => backward(a, c, training, got));
          assert.ok(onGpu(gotG[0]), `${what}: the gradient on the GPU`);
          gotG.forEach((t, i) => assertClose(`${what} ${GRAD_NAMES[i]}`, t, wantG[i]));
        }
      });
      assert.equal(fallbacks(), before, "no batch normalization fell back to the CPU");
    });
  }

  it("the statistics of data with a large mean are as exact as the CPU's (shifted sums in double)", () => {
    const c: Case = { shape: [8, 16, 16, 4], format: "NHWC", shift: 1e4 };
    const a = inputs(c, "float32", "float32", 7, true);
    const want = cpu(() => forward(a, c, true));
    const got = gpu(() => forward(a, c, true));
    for (const i of [1, 2, 3, 4]) assertClose(`${FORWARD_NAMES[i]}`, got[i], want[i]);
    // x is uniform over a width of 4, variance 16/12, whatever the shift: a one-pass float32 E[x^2] - E[x]^2 would have lost it.
    for (const v of got[4].dataSync() as Float32Array) assert.ok(Math.abs(v - 4 / 3) < 0.05, `biased variance ${v}`);
  });

  it("a forward on one device and the gradient on the other agree (the reserve spaces mean the same)", () => {
    for (const dtype of ["float32", "bfloat16"] as const) {
      for (const c of [CASES[0], CASES[1], CASES[5]]) {
        const a = inputs(c, dtype, "float32", 9, true);
        const fc = cpu(() => forward(a, c, true));
        const fg = gpu(() => forward(a, c, true));
        const want = cpu(() => backward(a, c, true, fc));
        const cpuFromGpu = cpu(() => backward(a, c, true, fg));
        const gpuFromCpu = gpu(() => backward(a, c, true, fc));
        assert.ok(!onGpu(cpuFromGpu[0]) && onGpu(gpuFromCpu[0]));
        for (let i = 0; i < 3; i++) {
          assertClose(`${dtype} [${c.shape}] ${GRAD_NAMES[i]}: GPU forward, CPU gradient`, cpuFromGpu[i], want[i]);
          assertClose(`${dtype} [${c.shape}] ${GRAD_NAMES[i]}: CPU forward, GPU gradient`, gpuFromCpu[i], want[i]);
        }
      }
    }
  });

  it("tf.nn.fusedBatchNorm's gradient on a tape equals the CPU's (bfloat16 data, NHWC and NCHW)", () => {
    for (const format of ["NHWC", "NCHW"] as const) {
      const c: Case = { shape: format === "NHWC" ? [4, 5, 5, 12] : [4, 12, 5, 5], format };
      const a = inputs(c, "bfloat16", "float32", 11, true);
      const run = () => {
        const tape = new tf.GradientTape();
        const loss = tape.run(() => {
          tape.watch([a.x, a.scale, a.offset]);
          const [y] = tf.nn.fusedBatchNorm(a.x, a.scale, a.offset, { epsilon: 1e-3, dataFormat: format });
          return tf.reduceSum(tf.multiply(tf.cast(y, "float32"), tf.cast(a.dy, "float32")));
        });
        return tape.gradient(loss, [a.x, a.scale, a.offset]) as E[];
      };
      const want = cpu(run);
      const got = gpu(run);
      got.forEach((t, i) => assertClose(`${format} gradient ${i}`, t, want[i]));
    }
  });

  it("bad shapes raise the CPU path's errors", () => {
    const x = gpu(() => tf.zeros([2, 3, 3, 4]));
    assert.throws(
      () => gpu(() => tf.nn.fusedBatchNorm(x, tf.ones([3]), tf.zeros([4]))),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /scale must be a vector of size 4/.test(e.message),
    );
    assert.throws(() => gpu(() => tf.nn.fusedBatchNorm(x, tf.ones([4]), tf.zeros([4]), { isTraining: false })), tf.errors.InvalidArgumentError);
  });
});

// ---------------------------------------------------------------- Keras

/** Conv -> BatchNormalization -> ReLU -> max pool -> global average -> Dense(1) in float32: a small regression model. */
function bnModel(): tf.keras.Sequential {
  const L = tf.keras.layers;
  return new tf.keras.Sequential([
    new L.Conv2D(8, 3, { padding: "same", inputShape: [8, 8, 3], kernelInitializer: new tf.keras.initializers.GlorotUniform({ seed: 1 }) }),
    new L.BatchNormalization(),
    new L.Activation("relu"),
    new L.MaxPooling2D(2),
    new L.GlobalAveragePooling2D(),
    new L.Dense(1, { kernelInitializer: new tf.keras.initializers.GlorotUniform({ seed: 2 }) }),
    new L.Activation("linear", { dtype: "float32" }),
  ]);
}

describe("cuda: Keras BatchNormalization trains on the GPU", gpuOnly, () => {
  const r = rng(5);
  const samples = 128;
  // Each image carries its target as an offset on noise, so six epochs of SGD lower the loss every time (targets
  // unrelated to the inputs left the loss to chance under cuDNN's nondeterministic algorithms).
  const ys = Array.from({ length: samples }, (_, i) => (i % 4) - 1.5);
  const xs = Array.from({ length: samples * 8 * 8 * 3 }, (_, k) => r() - 0.5 + ys[Math.floor(k / (8 * 8 * 3))]);
  for (const policy of ["float32", "mixed_bfloat16", "mixed_float16"] as const) {
    // mixed_float16's loss scaling decides per step in a tf.cond: such a step is not captured (runtime/compile.ts).
    const captured = policy !== "mixed_float16";
    it(`fit (${policy}): no op falls back to the CPU${captured ? ", the step is captured as a CUDA graph" : ""}, the loss falls`, async () => {
      const b = gpuBackend(0)!;
      tf.keras.mixedPrecision.setGlobalPolicy(policy);
      let model: tf.keras.Sequential;
      try {
        model = bnModel();
      } finally {
        tf.keras.mixedPrecision.setGlobalPolicy("float32");
      }
      model.compile({ optimizer: new tf.keras.optimizers.SGD({ learningRate: 0.05 }), loss: "mse" });
      const x = tf.constant(Float32Array.from(xs), { shape: [samples, 8, 8, 3] });
      const y = tf.constant(Float32Array.from(ys), { shape: [samples, 1] });
      const saved = tf.config.experimental.getTsflowOptions().cudaGraphs;
      tf.config.experimental.setTsflowOptions({ cudaGraphs: true });
      try {
        const fallbacks0 = new Map(b.stats.fallbacks);
        const captured0 = b.stats.graphsCaptured;
        const launches0 = b.stats.graphLaunches;
        const h = await model.fit(x, y, { epochs: 6, batchSize: 32, verbose: 0 });
        const onCpu = [...b.stats.fallbacks].filter(([op, n]) => n !== (fallbacks0.get(op) ?? 0)).map(([op]) => op);
        assert.deepEqual(onCpu, [], `ops that ran on the CPU: ${onCpu.join(", ")}`);
        if (captured) {
          assert.ok(b.stats.graphsCaptured > captured0, "the train step was captured");
          assert.ok(b.stats.graphLaunches > launches0, "and replayed");
        }
        const loss = h.history.loss as number[];
        assert.ok(loss.every(Number.isFinite), `losses: ${loss}`);
        assert.ok(loss.at(-1)! < loss[0], `the loss falls: ${loss}`);
        const bn = model.layers[1] as tf.keras.layers.BatchNormalization;
        const moved = bn.movingMean.value().dataSync() as Float32Array;
        assert.ok(
          moved.some((v) => v !== 0),
          "the moving mean moved",
        );
      } finally {
        tf.config.experimental.setTsflowOptions({ cudaGraphs: saved });
      }
    });
  }
});
