import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";
import { describe, forEachDevice, it, withGraph } from "./util/devices.js";
import * as tf from "../src/index.js";
import { assertClose } from "./util/gradcheck.js";
import { gpuBackend } from "../src/backends/cuda/index.js";
import { gpuOnly } from "./util/gpu.js";
import { withOptions } from "./util/settings.js";

type T = tf.Tensor;
type Narrow = "float16" | "bfloat16";
const NARROW: readonly Narrow[] = ["float16", "bfloat16"];
const flat = (t: T) => Array.from((t as tf.EagerTensor).dataSync() as Float32Array);
/** The type's relative precision with a margin for an op's own float32 rounding before the narrow one. */
const TOL: Record<Narrow, number> = { float16: 2 ** -10, bfloat16: 2 ** -7 };

/** Pseudo-random values in [lo, hi), the same every run. */
function values(n: number, lo: number, hi: number, seed = 1): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return lo + (s / 2 ** 31) * (hi - lo);
  });
}

/** Whether every value is one the narrow type holds: casting to float32 and back changes nothing. */
function assertRepresentable(t: T, dtype: Narrow): void {
  const v = flat(t);
  const again = flat(tf.cast(tf.constant(v, { dtype: "float32" }), dtype));
  assert.deepEqual(again.map(String), v.map(String), `${dtype} result holds values the type cannot`);
}

/** The op on narrow inputs against the same op on those (rounded) inputs in float32, within the type's tolerance. */
function assertMatchesFloat32(dtype: Narrow, op: (...xs: T[]) => T, inputs: { data: number[]; shape: number[] }[], scale = 1): void {
  const narrow = inputs.map((x) => tf.constant(x.data, { dtype, shape: x.shape }));
  const wide = narrow.map((x) => tf.cast(x, "float32"));
  const got = op(...narrow);
  assert.equal(got.dtype, dtype);
  assertRepresentable(got, dtype);
  const want = flat(op(...wide));
  const tol = TOL[dtype] * 4;
  flat(got).forEach((g, i) => {
    const w = want[i];
    if (!Number.isFinite(w)) return assert.equal(g, w);
    assert.ok(Math.abs(g - w) <= tol * Math.max(scale, Math.abs(w)), `${dtype}: [${i}] = ${g}, float32 gives ${w}`);
  });
}

describe("16-bit float values", () => {
  it("tf.constant rounds to nearest even, float16 overflowing to Infinity and keeping subnormals", () => {
    const h = tf.constant([1.0001, 65519, 65520, -70000, 2 ** -24 * 1.5, 2 ** -24 * 2.5, 1e-9, Number.NaN, 2049, 2051], { dtype: "float16" });
    assert.equal(h.dtype, "float16");
    const v = flat(h);
    assert.deepEqual(v.slice(0, 7), [1, 65504, Infinity, -Infinity, 2 ** -23, 2 ** -23, 0]);
    assert.ok(Number.isNaN(v[7]));
    // 2049 and 2051 lie halfway between float16 neighbours (spacing 2): ties go to the even mantissa.
    assert.deepEqual(v.slice(8), [2048, 2052]);
    const b = tf.constant([1.00390625, 1.01171875, 3e38, -1e-40], { dtype: "bfloat16" });
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: to even (1); 1 + 3*2^-8: to 1 + 2^-6.
    assert.deepEqual(flat(b).slice(0, 2), [1, 1.015625]);
    assert.ok(Math.abs(flat(b)[2] - 3e38) / 3e38 < 2 ** -8);
    assert.equal(b.toString(), "tf.Tensor([1. 1.02 3e+38 -9.18e-41], shape=[4], dtype=bfloat16)");
  });

  it("tf.cast converts between every pair of float types, and from and to integers and bool", () => {
    const src = [0.1, -2.5, 1000.7, 65530, 1e-6];
    for (const from of ["float32", "float64", "float16", "bfloat16"] as const) {
      for (const to of ["float32", "float64", "float16", "bfloat16"] as const) {
        const x = tf.constant(src, { dtype: from });
        const y = tf.cast(x, to);
        assert.equal(y.dtype, to);
        // Casting through `to` equals rounding the source's values to `to` directly.
        assert.deepEqual(flat(y).map(String), flat(tf.constant(flat(x), { dtype: to })).map(String), `${from} -> ${to}`);
      }
    }
    assert.deepEqual(flat(tf.cast(tf.constant([1.7, -2.5], { dtype: "float16" }), "int32")), [1, -2]);
    assert.deepEqual(tf.cast(tf.constant([0, 0.5], { dtype: "bfloat16" }), "bool").arraySync(), [false, true]);
    assert.deepEqual(flat(tf.cast(tf.constant([2049], { dtype: "int32" }), "float16")), [2048]);
  });

  it("a dtype the op does not allow names the op and the allowed dtypes", () => {
    assert.throws(
      () => tf.logicalNot(tf.constant([1], { dtype: "float16" }) as never),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && /half/.test(e.message) === false && /LogicalNot/.test(e.message),
    );
  });
});

forEachDevice(() => {
  describe("float16 and bfloat16 ops against float32", () => {
    const xs = { data: values(24, -3, 3), shape: [4, 6] };
    const ys = { data: values(24, -3, 3, 7), shape: [4, 6] };
    const pos = { data: values(24, 0.1, 4, 3), shape: [4, 6] };
    const unary: [string, (x: T) => T, typeof xs][] = [
      ["abs", tf.abs, xs],
      ["neg", tf.neg, xs],
      ["square", tf.square, xs],
      ["sqrt", tf.sqrt, pos],
      ["rsqrt", tf.rsqrt, pos],
      ["exp", tf.exp, xs],
      ["log", tf.log, pos],
      ["log1p", tf.log1p, pos],
      ["expm1", tf.expm1, xs],
      ["sin", tf.sin, xs],
      ["cos", tf.cos, xs],
      ["tanh", tf.tanh, xs],
      ["sigmoid", tf.sigmoid, xs],
      ["relu", tf.nn.relu, xs],
      ["relu6", tf.nn.relu6, xs],
      ["elu", tf.nn.elu, xs],
      ["softplus", tf.nn.softplus, xs],
      ["sign", tf.sign, xs],
      ["reciprocal", tf.reciprocal, pos],
      ["floor", tf.floor, xs],
      ["ceil", tf.ceil, xs],
      ["round", tf.round, xs],
      ["softmax", (x) => tf.nn.softmax(x), xs],
      ["logSoftmax", (x) => tf.nn.logSoftmax(x), xs],
      ["reduceSum", (x) => tf.reduceSum(x, 1), xs],
      ["reduceMean", (x) => tf.reduceMean(x, 0), xs],
      ["reduceMax", (x) => tf.reduceMax(x), xs],
      ["reduceMin", (x) => tf.reduceMin(x, 1), xs],
      ["reduceProd", (x) => tf.reduceProd(x, 1), pos],
      ["transpose", (x) => tf.transpose(x), xs],
      ["l2Loss", (x) => tf.nn.l2Loss(x), xs],
    ];
    const binary: [string, (a: T, b: T) => T, typeof xs, typeof xs][] = [
      ["add", tf.add, xs, ys],
      ["sub", tf.sub, xs, ys],
      ["mul", tf.mul, xs, ys],
      ["div", tf.div, xs, pos],
      ["maximum", tf.maximum, xs, ys],
      ["minimum", tf.minimum, xs, ys],
      ["pow", tf.pow, pos, ys],
      ["squaredDifference", tf.squaredDifference, xs, ys],
      ["floorDiv", tf.floorDiv, xs, pos],
      ["floormod", tf.floormod, xs, pos],
      ["matmul", (a, b) => tf.matmul(a, b, { transposeB: true }), xs, ys],
      ["biasAdd", (a, b) => tf.nn.biasAdd(a, tf.slice(tf.reshape(b, [-1]), [0], [6])), xs, ys],
      ["softmaxCrossEntropyWithLogits", (a, b) => tf.nn.softmaxCrossEntropyWithLogits({ labels: tf.nn.softmax(b), logits: a }), xs, ys],
    ];
    for (const dtype of NARROW) {
      for (const [name, op, x] of unary) {
        it(`${name} in ${dtype}`, () => {
          // Sums of 6-24 terms and products of up to 6 carry that many roundings of the inputs' scale.
          const scale = name.startsWith("reduce") || name === "l2Loss" ? 16 : 1;
          assertMatchesFloat32(dtype, op, [x], scale);
        });
      }
      for (const [name, op, a, b] of binary) {
        it(`${name} in ${dtype}`, () => assertMatchesFloat32(dtype, op, [a, b], name === "matmul" ? 8 : 1));
      }
      it(`conv2d, maxPool and avgPool in ${dtype}`, () => {
        const img = { data: values(2 * 5 * 5 * 3, -1, 1), shape: [2, 5, 5, 3] };
        const filt = { data: values(3 * 3 * 3 * 4, -1, 1, 5), shape: [3, 3, 3, 4] };
        assertMatchesFloat32(dtype, (i, f) => tf.nn.conv2d(i, f, 1, "SAME"), [img, filt], 8);
        assertMatchesFloat32(dtype, (i) => tf.nn.maxPool(i, 2, 2, "VALID"), [img]);
        assertMatchesFloat32(dtype, (i) => tf.nn.avgPool(i, 2, 2, "VALID"), [img]);
      });
      it(`comparisons and isFinite of ${dtype} give bool`, () => {
        const a = tf.constant([1, 70000, Number.NaN], { dtype });
        assert.deepEqual(tf.greater(a, tf.constant([0, 1, 0], { dtype })).arraySync(), [true, true, false]);
        assert.deepEqual(tf.math.isFinite(a).arraySync(), [true, dtype === "bfloat16", false]);
      });
      it(`a ${dtype} graph gives the eager values`, () => {
        const x = tf.constant(xs.data, { dtype, shape: xs.shape }) as tf.EagerTensor;
        const g = new tf.Graph();
        const out = withGraph(g, () => {
          const p = tf.placeholder(dtype, [null, 6]);
          // Add, Mul and Tanh form one fused kernel on a GPU: the same values as the ops one by one.
          const y = tf.reduceSum(tf.tanh(tf.mul(tf.add(tf.matmul(p, tf.transpose(p)), 1), 0.5)), 1);
          const sess = new tf.Session();
          const r = sess.run(y, new Map([[p, x]])) as tf.EagerTensor;
          sess.close();
          return r;
        });
        assert.equal(out.dtype, dtype);
        assert.deepEqual(flat(out), flat(tf.reduceSum(tf.tanh(tf.mul(tf.add(tf.matmul(x, tf.transpose(x)), 1), 0.5)), 1)));
      });
    }
  });

  describe("float16 and bfloat16 gradients against float32", () => {
    const cases: [string, (x: T, w: T) => T][] = [
      [
        "dense + relu + softmax cross-entropy",
        (x, w) => tf.reduceMean(tf.nn.softmaxCrossEntropyWithLogits({ labels: tf.nn.softmax(x), logits: tf.nn.relu(tf.matmul(x, w)) })),
      ],
      ["tanh, sigmoid, exp", (x, w) => tf.reduceSum(tf.mul(tf.tanh(tf.matmul(x, w)), tf.sigmoid(tf.exp(tf.mul(x, 0.2)))))],
      [
        "conv2d + maxPool",
        (x, w) => tf.reduceSum(tf.nn.maxPool(tf.nn.conv2d(tf.reshape(x, [1, 4, 4, 1]), tf.reshape(w, [2, 2, 1, 4]), 1, "SAME"), 2, 2, "VALID")),
      ],
    ];
    for (const dtype of NARROW) {
      for (const [name, f] of cases) {
        it(`${name} in ${dtype}`, () => {
          const x0 = tf.constant(values(16, -1, 1), { dtype, shape: [4, 4] });
          const w0 = tf.constant(values(16, -1, 1, 9), { dtype, shape: [4, 4] });
          const grads = (x: T, w: T): T[] => {
            const tape = new tf.GradientTape();
            const y = tape.run(() => {
              tape.watch([x, w]);
              return f(x, w);
            }) as T;
            return tape.gradient(y, [x, w]) as T[];
          };
          const narrow = grads(x0, w0);
          const wide = grads(tf.cast(x0, "float32"), tf.cast(w0, "float32"));
          narrow.forEach((g, i) => {
            assert.equal(g.dtype, dtype);
            assertRepresentable(g, dtype);
            // Gradients chain a few ops, each rounding to the narrow type: a few units of its precision.
            const scale = Math.max(1, ...flat(wide[i]).map(Math.abs));
            assertClose(
              flat(g).map((v) => v / scale),
              flat(wide[i]).map((v) => v / scale),
              TOL[dtype] * 24,
            );
          });
        });
      }
    }
  });
});

describe("tf.keras.mixedPrecision", () => {
  after(() => tf.keras.mixedPrecision.setGlobalPolicy("float32"));

  it("Policy gives compute and variable dtypes; bad names and non-float global policies are refused", () => {
    const p = new tf.keras.mixedPrecision.Policy("mixed_float16");
    assert.deepEqual([p.name, p.computeDtype, p.variableDtype], ["mixed_float16", "float16", "float32"]);
    const b = new tf.keras.mixedPrecision.Policy("mixed_bfloat16");
    assert.deepEqual([b.computeDtype, b.variableDtype], ["bfloat16", "float32"]);
    assert.deepEqual([new tf.keras.mixedPrecision.Policy("float64").computeDtype], ["float64"]);
    assert.throws(() => new tf.keras.mixedPrecision.Policy("mixed_half"), /Cannot convert value mixed_half to a mixed precision Policy/);
    assert.throws(() => tf.keras.mixedPrecision.setGlobalPolicy("int32"), /floating-point policies/);
    assert.equal(tf.keras.mixedPrecision.globalPolicy().name, "float32");
  });

  it("layers compute in the policy's dtype with float32 variables; dtype float32 on the last layer keeps outputs float32", () => {
    tf.keras.mixedPrecision.setGlobalPolicy("mixed_float16");
    const dense = new tf.keras.layers.Dense(4, { activation: "relu" });
    const bn = new tf.keras.layers.BatchNormalization();
    const out = new tf.keras.layers.Activation("softmax", { dtype: "float32" });
    tf.keras.mixedPrecision.setGlobalPolicy("float32");
    const x = tf.constant(values(12, -1, 1), { shape: [3, 4] });
    const h = dense(x) as T;
    assert.equal(h.dtype, "float16");
    assert.deepEqual(
      dense.weights.map((w) => w.dtype),
      ["float32", "float32"],
    );
    assert.deepEqual([dense.dtype, dense.computeDtype, dense.dtypePolicy.name], ["float32", "float16", "mixed_float16"]);
    const n = bn(h, { training: true }) as T;
    assert.equal(n.dtype, "float16");
    assert.deepEqual(
      bn.weights.map((w) => w.dtype),
      ["float32", "float32", "float32", "float32"],
    );
    const y = out(n) as T;
    assert.equal(y.dtype, "float32");
    // The float16 product equals the float32 product of the float16-rounded operands, rounded once more.
    const k = tf.cast(tf.cast(dense.weights[0].value(), "float16"), "float32");
    const want = tf.cast(
      tf.nn.relu(tf.add(tf.matmul(tf.cast(tf.cast(x, "float16"), "float32"), k), tf.cast(tf.cast(dense.weights[1].value(), "float16"), "float32"))),
      "float16",
    );
    assertClose(flat(h), flat(want), 2 ** -10);
  });

  it("a model trained under mixed_float16 reaches a loss comparable to float32", async () => {
    const xs = tf.constant(values(128 * 8, -1, 1), { shape: [128, 8] });
    const ys = tf.cast(tf.argmax(tf.matmul(xs, tf.constant(values(8 * 3, -1, 1, 4), { shape: [8, 3] })), 1), "int32");
    const train = async (policy: string): Promise<number[]> => {
      tf.keras.mixedPrecision.setGlobalPolicy(policy);
      const model = new tf.keras.Sequential([
        new tf.keras.layers.Dense(32, { activation: "relu", inputShape: [8], kernelInitializer: new tf.keras.initializers.GlorotUniform({ seed: 1 }) }),
        new tf.keras.layers.Dense(3, { kernelInitializer: new tf.keras.initializers.GlorotUniform({ seed: 2 }) }),
        new tf.keras.layers.Activation("softmax", { dtype: "float32" }),
      ]);
      tf.keras.mixedPrecision.setGlobalPolicy("float32");
      model.compile({ optimizer: new tf.keras.optimizers.SGD(0.2), loss: "sparse_categorical_crossentropy" });
      if (policy === "mixed_float16") assert.ok(model.optimizer instanceof tf.keras.mixedPrecision.LossScaleOptimizer, "compile wraps the optimizer");
      const h = await model.fit(xs, ys, { epochs: 8, batchSize: 32, verbose: 0, shuffle: false });
      return h.history.loss as number[];
    };
    const full = await train("float32");
    const half = await train("mixed_float16");
    const bf = await train("mixed_bfloat16");
    assert.ok(full.at(-1)! < full[0] * 0.6, `float32 learns: ${full}`);
    for (const run of [half, bf]) {
      assert.ok(run.every(Number.isFinite), String(run));
      assert.ok(Math.abs(run.at(-1)! - full.at(-1)!) < 0.05 + 0.1 * full.at(-1)!, `mixed ${run.at(-1)} vs float32 ${full.at(-1)}`);
    }
  });

  for (const runEagerly of [false, true]) {
    it(`a float16 run that overflows recovers by loss scaling (${runEagerly ? "eager" : "traced"} steps)`, async () => {
      tf.keras.mixedPrecision.setGlobalPolicy("mixed_float16");
      const model = new tf.keras.Sequential([
        new tf.keras.layers.Dense(1, { inputShape: [4], kernelInitializer: "zeros" }),
        new tf.keras.layers.Activation("linear", { dtype: "float32" }),
      ]);
      tf.keras.mixedPrecision.setGlobalPolicy("float32");
      // Targets around 300: dloss/dy * 2^15 is far beyond float16's 65504 until the scale has dropped.
      const xs = tf.constant(values(64 * 4, -1, 1), { shape: [64, 4] });
      const ys = tf.matmul(xs, tf.constant([[300], [200], [-100], [50]]));
      const opt = new tf.keras.mixedPrecision.LossScaleOptimizer(new tf.keras.optimizers.SGD(0.1));
      model.compile({ optimizer: opt, loss: "mse", runEagerly });
      const h = await model.fit(xs, ys, { epochs: 6, batchSize: 16, verbose: 0, shuffle: false });
      const loss = h.history.loss as number[];
      const scale = opt.lossScale.item() as number;
      assert.ok(scale < 2 ** 15, `the scale dropped: ${scale}`);
      assert.ok(scale >= 1);
      // Each skipped step halved the scale; the steps after the last one were applied and counted.
      const applied = 24 - Math.log2(2 ** 15 / scale);
      assert.ok(applied < 24 && applied > 12, `overflowing steps were skipped, the rest applied: ${applied} of 24`);
      assert.equal(Number(opt.dynamicCounter.item()), applied);
      // As tf.keras: a skipped step advances the inner optimizer's iterations too.
      assert.equal(Number(opt.iterations.value().item()), 24);
      assert.ok(loss.every(Number.isFinite), `losses finite: ${loss}`);
      assert.ok(loss.at(-1)! < loss[0] * 0.5, `training continued: ${loss}`);
      assert.ok(model.weights.every((w) => flat(w.value()).every(Number.isFinite)));
    });
  }

  it("LossScaleOptimizer scales and unscales, doubles after dynamicGrowthSteps finite steps, validates its arguments", () => {
    const v = new tf.Variable(tf.constant([1, 2], { dtype: "float32" }));
    const opt = new tf.keras.mixedPrecision.LossScaleOptimizer(new tf.keras.optimizers.SGD(0.1), { initialScale: 4, dynamicGrowthSteps: 2 });
    assert.equal(opt.getScaledLoss(tf.constant(3)).item(), 12);
    assert.deepEqual(flat(opt.getUnscaledGradients([tf.constant([8, 4]), null])[0]!), [2, 1]);
    for (let i = 0; i < 2; i++) opt.applyGradients([[tf.constant([1, 1]), v]]);
    assert.equal(opt.lossScale.item(), 8);
    assertClose(flat(v.value()), [0.8, 1.8]);
    const before = flat(v.value());
    opt.applyGradients([[tf.constant([Infinity, 1]), v]]);
    assert.equal(opt.lossScale.item(), 4);
    assert.deepEqual(flat(v.value()), before, "a non-finite step changes no weight");
    const fixed = new tf.keras.mixedPrecision.LossScaleOptimizer(new tf.keras.optimizers.SGD(0.1), { dynamic: false, initialScale: 128 });
    fixed.applyGradients([[tf.constant([1, 1]), v]]);
    assert.equal(fixed.lossScale.item(), 128);
    assert.throws(() => new tf.keras.mixedPrecision.LossScaleOptimizer(new tf.keras.optimizers.SGD(), { dynamic: false }), /"initial_scale" must be specified/);
    assert.throws(
      () => new tf.keras.mixedPrecision.LossScaleOptimizer(new tf.keras.optimizers.SGD(), { dynamic: false, initialScale: 2, dynamicGrowthSteps: 3 }),
      /"dynamic_growth_steps" must be None/,
    );
  });
});

describe("tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer", () => {
  it("a TF1 graph in float16 skips the overflowing steps, halving the scale, then trains", () => {
    const xs = tf.constant(values(32 * 4, -1, 1), { shape: [32, 4] });
    const ys = tf.matmul(xs, tf.constant([[100], [200], [-100], [50]]));
    const g = new tf.Graph();
    g.asDefault(() => {
      const x = tf.placeholder("float32", [null, 4]);
      const y = tf.placeholder("float32", [null, 1]);
      const w = tf.getVariable("w", [4, 1], { initializer: tf.zerosInitializer() });
      const pred = tf.cast(tf.matmul(tf.cast(x, "float16"), tf.cast(w, "float16")), "float32");
      const loss = tf.reduceMean(tf.square(tf.subtract(pred, y)));
      const opt = new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(new tf.compat.v1.train.MomentumOptimizer(0.1, 0.5), "dynamic");
      const step = tf.compat.v1.train.getOrCreateGlobalStep();
      const train = opt.minimize(loss, step);
      const sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      const feed = new Map<tf.SymbolicTensor, tf.EagerTensor>([
        [x as tf.SymbolicTensor, xs as tf.EagerTensor],
        [y as tf.SymbolicTensor, ys as tf.EagerTensor],
      ]);
      const first = (sess.run(loss, feed) as tf.EagerTensor).item() as number;
      const seen: [number, number][] = [];
      for (let i = 0; i < 15; i++) {
        sess.run(train, feed);
        const [s, n] = sess.run([opt.lossScale, step], feed) as tf.EagerTensor[];
        seen.push([s.item() as number, Number(n.item())]);
      }
      const last = (sess.run(loss, feed) as tf.EagerTensor).item() as number;
      sess.close();
      // The loss's gradient times 2^15 overflows float16: each such step halves the scale and updates nothing,
      // until the scaled gradients fit; every later step is applied (the scale then stays, far from 2000 steps).
      const halvings = Math.log2(2 ** 15 / seen.at(-1)![0]);
      assert.ok(Number.isInteger(halvings) && halvings >= 1, `the scale halved: ${seen}`);
      seen.slice(0, halvings).forEach(([scale, n], i) => assert.deepEqual([scale, n], [2 ** (14 - i), 0]));
      assert.equal(seen.at(-1)![1], 15 - halvings);
      assert.ok(opt.getSlot(w, "momentum") !== null);
      assert.ok(last < first * 0.1, `trained: ${first} -> ${last}`);
    });
  });

  it("eagerly, computeGradients returns unscaled gradients and a fixed scale never changes", () => {
    const w = new tf.Variable(tf.constant([2], { dtype: "float32" }));
    const opt = new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(new tf.compat.v1.train.GradientDescentOptimizer(0.5), 64);
    const [[grad]] = opt.computeGradients(() => tf.reduceSum(tf.square(w)), { varList: [w] });
    assert.deepEqual(flat(grad!), [4]);
    opt.minimize(() => tf.reduceSum(tf.square(w)), { varList: [w] });
    assert.deepEqual(flat(w.value()), [0]);
    assert.equal(opt.lossScale.item(), 64);
    assert.throws(
      () => new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(new tf.compat.v1.train.GradientDescentOptimizer(0.5), 0.5),
      /Invalid loss_scale/,
    );
  });
});

describe("dynamic loss scaling on a GPU", gpuOnly, () => {
  /**
   * A float16 TF1 step with MixedPrecisionLossScaleOptimizer (Momentum, a global step) on GPU:0, 10 steps, the
   * 4th and 7th fed an input float16 cannot hold: per step [w, momentum, scale, global step] and the loss.
   */
  const train = (graphs: boolean) =>
    withOptions({ cudaGraphs: graphs }, () =>
      new tf.Graph().asDefault(() =>
        tf.device("/gpu:0", () => {
          const xs = values(32 * 4, -1, 1);
          const rows = Array.from({ length: 32 }, (_, r) => xs.slice(r * 4, r * 4 + 4));
          const targets = rows.map(([a, b, c, d]) => [a - 2 * b + 0.5 * c + d]);
          const x = tf.placeholder("float32", [32, 4]);
          const y = tf.placeholder("float32", [32, 1]);
          const w = new tf.Variable(tf.zeros([4, 1]), { name: "w" });
          const pred = tf.cast(tf.matmul(tf.cast(x, "float16"), tf.cast(w, "float16")), "float32");
          const loss = tf.reduceMean(tf.square(tf.subtract(pred, y)));
          const opt = new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(new tf.compat.v1.train.MomentumOptimizer(0.1, 0.5), "dynamic");
          const step = tf.compat.v1.train.getOrCreateGlobalStep();
          const trainOp = opt.minimize(loss, step);
          using sess = new tf.Session();
          sess.run(tf.globalVariablesInitializer());
          const states: number[][][] = [];
          const losses: number[] = [];
          for (let i = 0; i < 10; i++) {
            const fed = i === 3 || i === 6 ? rows.map((r, k) => (k === 5 ? [r[0], 1e6, r[2], r[3]] : r)) : rows;
            const feeds = new Map<tf.Tensor, number[][]>([
              [x, fed],
              [y, targets],
            ]);
            losses.push((sess.run([loss, trainOp], feeds as never) as [tf.EagerTensor, null])[0].item() as number);
            const tracked = [w.value(), opt.getSlot(w, "momentum")!.value(), opt.lossScale, step.value()];
            states.push((sess.run(tracked) as tf.EagerTensor[]).map((t) => Array.from(t.dataSync() as ArrayLike<number | bigint>, Number)));
          }
          return { states, losses };
        }),
      ),
    );

  it("a float16 TF1 step with dynamic loss scaling is captured as a CUDA graph, and still skips the steps that overflow", () => {
    const gb = gpuBackend(0)!;
    const captured0 = gb.stats.graphsCaptured;
    const launches0 = gb.stats.graphLaunches;
    const captured = train(true);
    assert.ok(gb.stats.graphsCaptured > captured0, "the train step was captured");
    assert.ok(gb.stats.graphLaunches - launches0 >= 8, `and replayed: ${gb.stats.graphLaunches - launches0} launches`);
    // The same step op by op gives the same values, bit for bit.
    const plain = train(false);
    assert.deepStrictEqual(captured.states, plain.states);
    assert.deepStrictEqual(captured.losses, plain.losses);
    // An overflowing step halves the scale and changes nothing else; the others update w and count.
    let applied = 0;
    captured.states.forEach(([w, mom, [scale], [n]], i) => {
      const [pw, pmom, [pscale]] = i === 0 ? [[0, 0, 0, 0], [0, 0, 0, 0], [2 ** 15]] : captured.states[i - 1];
      if (i === 3 || i === 6) assert.equal(scale, pscale / 2, `step ${i} overflowed`);
      if (scale < pscale) {
        assert.deepStrictEqual([w, mom], [pw, pmom], `skipped step ${i} keeps w and its slot`);
      } else {
        applied++;
        assert.notDeepStrictEqual(w, pw, `step ${i} updates w`);
      }
      assert.equal(n, applied, "the global step counts applied steps");
    });
    assert.ok(captured.losses.at(-1)! < captured.losses[0] * 0.5, `trained: ${captured.losses}`);
  });
});

describe("16-bit float checkpoints", () => {
  it("Saver and tf.train.Checkpoint write DT_HALF and DT_BFLOAT16 as 2-byte values and read them back", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-half-"));
    try {
      const h = new tf.Variable(tf.constant([1.1, -2.2, 70000, 3e-6], { dtype: "float16" }), { name: "h" });
      const b = new tf.Variable(tf.constant([1.1, 3e38], { dtype: "bfloat16" }), { name: "b" });
      const hv = flat(h.value());
      const bv = flat(b.value());
      const saver = new tf.compat.v1.train.Saver([h, b]);
      const prefix = saver.save(null, path.join(dir, "model")) as string;
      const reader = tf.train.loadCheckpoint(prefix);
      assert.deepEqual(reader.getVariableToDtypeMap(), { b: "bfloat16", h: "float16" });
      assert.deepEqual(flat(reader.getTensor("h")), hv);
      // 4 float16 + 2 bfloat16 values: 12 bytes of tensor data.
      assert.equal(fs.statSync(`${prefix}.data-00000-of-00001`).size, 12);
      h.assign(tf.zeros([4], "float16"));
      saver.restore(null, prefix);
      assert.deepEqual(flat(h.value()), hv);
      const ckpt = new tf.train.Checkpoint({ h, b });
      const p2 = ckpt.save(path.join(dir, "obj"));
      b.assign(tf.zeros([2], "bfloat16"));
      ckpt.restore(p2);
      assert.deepEqual(flat(b.value()), bv);
      assert.equal(b.dtype, "bfloat16");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
