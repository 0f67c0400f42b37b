import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import * as tf from "../src/index.js";
import { castFoldStats, findCastFolds } from "../src/runtime/cast_updates.js";
import { orderedPlan } from "../src/runtime/compile.js";
import { localDevices } from "../src/backends/placement.js";
import type { DType } from "../src/core/dtype.js";
import { withOptions } from "./util/settings.js";

/**
 * Mixed-precision gradient casts folded into optimizer updates (runtime/cast_updates.ts), on the CPU and as
 * a user writes mixed precision: float32 variables read through tf.cast to bfloat16 or float16, a float32
 * loss, TF1 optimizers' minimize, and Keras's mixed_bfloat16 policy with fit and trainOnBatch. Each run is
 * compared, bit for bit, with the same run with the pass off; the plans (describePlan) and a stats counter
 * show that the pass fired, and where it must not. The GPU cases are in test/gpu_narrow.test.ts.
 */

type E = tf.EagerTensor;
const NARROW = ["bfloat16", "float16"] as const;
const X = Array.from({ length: 6 }, (_, i) => Array.from({ length: 5 }, (_, j) => Math.sin(1 + i * 5 + j)));
const LABELS = [0, 2, 1, 1, 0, 2];
const countFolded = (plan: string) => (plan.match(/folded=\[([^\]]*)\]/g) ?? []).reduce((n, m) => n + m.split(",").length, 0);

const OPTIMIZERS: Record<string, () => tf.train.Optimizer> = {
  GradientDescent: () => new tf.compat.v1.train.GradientDescentOptimizer(0.3),
  Momentum: () => new tf.compat.v1.train.MomentumOptimizer(0.2, 0.9),
  Nesterov: () => new tf.compat.v1.train.MomentumOptimizer(0.2, 0.9, { useNesterov: true }),
  Adam: () => new tf.compat.v1.train.AdamOptimizer(0.05),
};

interface Tf1Run {
  /** Every global variable (weights, slots, Adam's beta powers, loss-scale counters) after the steps, by name. */
  values: Map<string, number[]>;
  plan: string;
  /** Fetched gradients, when asked for. */
  grads: number[][];
  w1Before: number[];
}

/**
 * Four training steps of a two-layer network computing in `dtype` (float32 variables read through casts, the
 * logits cast to float32 for the loss), with the pass `fold` on or off.
 */
function tf1Train(
  dtype: "bfloat16" | "float16",
  makeOpt: () => tf.train.Optimizer,
  fold: boolean,
  opts: { fetchGrad?: boolean; secondReader?: boolean; lossScale?: boolean } = {},
): Tf1Run {
  return withOptions({ foldGradientCasts: fold }, () =>
    new tf.Graph().asDefault(() => {
      tf.setRandomSeed(3);
      const x = tf.placeholder("float32", [null, 5], { name: "x" });
      const y = tf.placeholder("int32", [null], { name: "y" });
      const w1 = new tf.Variable(tf.randomUniform([5, 4], -1, 1, "float32", 1), { name: "w1" });
      const b1 = new tf.Variable(tf.fill([4], 0.1), { name: "b1" });
      const w2 = new tf.Variable(tf.randomUniform([4, 3], -1, 1, "float32", 2), { name: "w2" });
      const b2 = new tf.Variable(tf.fill([3], -0.1), { name: "b2" });
      const c = (t: tf.Tensor | tf.Variable) => tf.cast(t, dtype);
      const h = tf.nn.relu(tf.add(tf.matmul(c(x), c(w1)), c(b1)));
      const logits = tf.add(tf.matmul(h, c(w2)), c(b2));
      const loss = tf.reduceMean(tf.nn.sparseSoftmaxCrossEntropyWithLogits({ labels: y, logits: tf.cast(logits, "float32") }));
      const inner = makeOpt();
      const opt = opts.lossScale ? new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(inner, "dynamic") : inner;
      const gv = opt.computeGradients(loss) as [tf.Tensor, tf.Variable][];
      const train = opt.applyGradients(gv);
      const extra: tf.Tensor[] = [];
      if (opts.fetchGrad) extra.push(gv[0][0]);
      // Another node reading w1's gradient (its norm, as a user logs it).
      if (opts.secondReader) extra.push(tf.reduceSum(tf.square(gv[0][0])));
      const sess = new tf.Session();
      try {
        sess.run(tf.globalVariablesInitializer());
        const w1Before = Array.from((sess.run(w1.value()) as E).dataSync() as Float32Array);
        const feed = new Map<tf.Tensor, unknown>([
          [x, X],
          [y, LABELS],
        ]);
        const grads: number[][] = [];
        for (let step = 0; step < 4; step++) {
          const out = sess.run([train, ...extra], feed as never) as (E | null)[];
          for (const t of out.slice(1)) grads.push(Array.from(t!.dataSync() as Float32Array));
        }
        const values = new Map<string, number[]>();
        for (const v of tf.compat.v1.globalVariables())
          values.set(v.name, Array.from((sess.run(v.value()) as E).dataSync() as ArrayLike<number | bigint>, Number));
        return { values, plan: sess.describePlan([train, ...extra], [x, y]), grads, w1Before };
      } finally {
        sess.close();
      }
    }),
  );
}

function assertSameValues(on: Map<string, number[]>, off: Map<string, number[]>, what: string): void {
  assert.deepEqual([...on.keys()], [...off.keys()], `${what}: the same variables`);
  for (const [name, v] of on) assert.deepEqual(v, off.get(name), `${what}: ${name}, bit for bit`);
}

describe("gradient casts folded into TF1 optimizer updates", () => {
  for (const dtype of NARROW) {
    for (const [name, make] of Object.entries(OPTIMIZERS)) {
      it(`${dtype} ${name}: the four updates read the 16-bit gradients, with the unfolded plan's variables bit for bit`, () => {
        const on = tf1Train(dtype, make, true);
        const off = tf1Train(dtype, make, false);
        assertSameValues(on.values, off.values, `${dtype} ${name}`);
        assert.notDeepEqual(on.values.get("w1:0"), on.w1Before, "the steps changed the weights");
        assert.equal(countFolded(on.plan), 4, on.plan);
        assert.equal(countFolded(off.plan), 0, off.plan);
        // Each folded Cast is gone from the plan: four Cast steps fewer.
        const casts = (p: string) => (p.match(/ \(Cast\) /g) ?? []).length;
        assert.equal(casts(off.plan) - casts(on.plan), 4);
        for (const line of on.plan.split("\n").filter((l) => l.includes("folded="))) {
          assert.match(line, /\((ApplyGradientDescent|ApplyMomentum|ApplyAdam)\)/);
          assert.match(line, /folded=\[gradients\/Cast(_\d+)?_grad\/Cast(,gradients\/Cast(_\d+)?_grad\/Cast)*\]/);
        }
      });
    }
  }

  it("gradient descent's grouped update step holds the folded updates", () => {
    const on = withOptions({ groupUpdates: true }, () => tf1Train("bfloat16", OPTIMIZERS.GradientDescent, true));
    const line = on.plan.split("\n").find((l) => l.includes("group="));
    assert.ok(line, on.plan);
    assert.match(line, /group=\[[^\]]*\] folded=\[[^\]]*\]/);
    assert.equal(countFolded(line), 4);
    const ungrouped = withOptions({ groupUpdates: false }, () => tf1Train("bfloat16", OPTIMIZERS.GradientDescent, true));
    assertSameValues(on.values, ungrouped.values, "grouped vs not");
  });

  it("a gradient that is fetched, or read by another node, keeps its Cast; the others fold", () => {
    // Ungrouped, so that each update's line says what it folded (a group's line lists its members' Casts).
    for (const opts of [{ fetchGrad: true }, { secondReader: true }]) {
      const on = withOptions({ groupUpdates: false }, () => tf1Train("bfloat16", OPTIMIZERS.Momentum, true, opts));
      const off = withOptions({ groupUpdates: false }, () => tf1Train("bfloat16", OPTIMIZERS.Momentum, false, opts));
      assertSameValues(on.values, off.values, JSON.stringify(opts));
      assert.deepEqual(on.grads, off.grads);
      assert.equal(countFolded(on.plan), 3, on.plan);
      const w1Update = on.plan.split("\n").find((l) => l.includes("update_w1/ApplyMomentum"));
      assert.ok(w1Update && !w1Update.includes("folded="), w1Update);
    }
  });

  it("the loss-scaled form (the Cast, then a Mul unscaling it) is left alone", () => {
    const on = tf1Train("float16", OPTIMIZERS.Momentum, true, { lossScale: true });
    const off = tf1Train("float16", OPTIMIZERS.Momentum, false, { lossScale: true });
    assertSameValues(on.values, off.values, "loss scaled");
    assert.equal(countFolded(on.plan), 0, on.plan);
  });

  it("FULL_TRACE names the update with its Cast, reading the Cast's input; the Cast has no entry of its own", () => {
    new tf.Graph().asDefault(() => {
      const w = new tf.Variable(
        [
          [0.5, -1],
          [2, 0.25],
        ],
        { name: "w" },
      );
      const x = tf.constant([[1, 2]]);
      const loss = tf.reduceSum(tf.square(tf.cast(tf.matmul(tf.cast(x, "bfloat16"), tf.cast(w, "bfloat16")), "float32")));
      const train = new tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss);
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      const meta = new tf.RunMetadata();
      withOptions({ groupUpdates: false }, () => sess.run(train, undefined, { traceLevel: 3 }, meta));
      const stats = meta.stepStats!.devStats.flatMap((d) => d.nodeStats);
      const update = stats.find((s) => s.opType === "ApplyGradientDescent");
      assert.ok(update, stats.map((s) => s.nodeName).join(" "));
      const cast = update.fusedNodes?.[0];
      assert.ok(cast !== undefined && /_grad\/Cast$/.test(cast), JSON.stringify(update.fusedNodes));
      assert.deepEqual(update.fusedNodes, [cast, update.nodeName]);
      assert.ok(!stats.some((s) => s.nodeName === cast), "the folded Cast did not run");
      assert.match(update.timelineLabel, /= ApplyGradientDescent\(w, GradientDescent\/learning_rate, gradients\/MatMul_grad\/MatMul\)$/);
    });
  });

  it("a 16-bit gradient given for a float32 variable is still refused, as TensorFlow refuses it", () => {
    const refused = /Tensor conversion requested dtype float32 for Tensor with dtype bfloat16/;
    new tf.Graph().asDefault(() => {
      const w = new tf.Variable(tf.ones([3]), { name: "w" });
      const g = tf.cast(tf.constant([1, 2, 3]), "bfloat16");
      for (const make of Object.values(OPTIMIZERS)) {
        assert.throws(
          () => make().applyGradients([[g, w]]),
          (e: Error) => e instanceof tf.errors.InvalidArgumentError && refused.test(e.message),
        );
      }
    });
    const w = new tf.Variable(tf.ones([3]));
    assert.throws(
      () => new tf.compat.v1.train.GradientDescentOptimizer(0.1).applyGradients([[tf.cast(tf.constant([1, 2, 3]), "bfloat16"), w]]),
      (e: Error) => e instanceof tf.errors.InvalidArgumentError && refused.test(e.message),
    );
  });

  it("folds only where the update's device says it takes the dtypes (Backend.takesNarrowGradient)", () => {
    new tf.Graph().asDefault(() => {
      const w = new tf.Variable(tf.ones([2, 2]), { name: "w" });
      const loss = tf.reduceSum(tf.cast(tf.matmul(tf.cast(tf.ones([1, 2]), "float16"), tf.cast(w, "float16")), "float32"));
      const train = new tf.compat.v1.train.MomentumOptimizer(0.1, 0.9).minimize(loss)!;
      const cpu = localDevices().find((d) => d.backend.deviceType === "CPU")!;
      const plan = orderedPlan([], [train], [], () => cpu);
      const asked: DType[][] = [];
      const none = findCastFolds(plan, (_, dtypes) => {
        asked.push([...dtypes]);
        return false;
      });
      assert.deepEqual(none, []);
      assert.deepEqual(asked, [["float32", "float32", "float32", "float16", "float32"]]);
      assert.equal(findCastFolds(plan, (u, dtypes) => u.device.backend.takesNarrowGradient?.(u.op.type, dtypes) === true).length, 1);
      assert.equal(cpu.backend.takesNarrowGradient?.("ApplyMomentum", ["float64", "float64", "float64", "float16", "float64"]), false);
      assert.equal(cpu.backend.takesNarrowGradient?.("ApplyMomentum", ["float32", "float16", "float32", "float16", "float32"]), false);
    });
  });
});

describe("gradient casts folded into Keras optimizer updates (mixed_bfloat16)", () => {
  after(() => tf.keras.mixedPrecision.setGlobalPolicy("float32"));
  const xs = tf.constant(
    Array.from({ length: 32 * 6 }, (_, i) => Math.sin(i * 0.37)),
    { shape: [32, 6] },
  );
  const ys = tf.constant(
    Array.from({ length: 32 }, (_, i) => i % 3),
    { dtype: "int32" },
  );
  const OPTS: Record<string, () => tf.keras.optimizers.Optimizer> = {
    SGD: () => new tf.keras.optimizers.SGD(0.1),
    "SGD with momentum": () => new tf.keras.optimizers.SGD(0.1, 0.9),
    Adam: () => new tf.keras.optimizers.Adam(0.01),
  };

  /** A mixed_bfloat16 model trained by fit (two epochs) or trainOnBatch (three batches): its weights, and the Casts folded. */
  async function kerasTrain(makeOpt: () => tf.keras.optimizers.Optimizer, how: "fit" | "trainOnBatch", fold: boolean) {
    tf.keras.mixedPrecision.setGlobalPolicy("mixed_bfloat16");
    const model = new tf.keras.Sequential([
      new tf.keras.layers.Dense(8, { activation: "relu", inputShape: [6] }),
      new tf.keras.layers.Dense(3),
      new tf.keras.layers.Activation("softmax", { dtype: "float32" }),
    ]);
    tf.keras.mixedPrecision.setGlobalPolicy("float32");
    // The same starting weights in every run.
    model.setWeights(
      model.weights.map((w, k) => {
        const shape = w.shape as number[];
        const n = shape.reduce((a, d) => a * d, 1);
        return tf.constant(
          Array.from({ length: n }, (_, i) => 0.6 * Math.sin(1 + 3 * k + 0.7 * i)),
          { shape },
        );
      }),
    );
    model.compile({ optimizer: makeOpt(), loss: "sparse_categorical_crossentropy" });
    const folded0 = castFoldStats.folded;
    tf.config.experimental.setTsflowOptions({ foldGradientCasts: fold });
    try {
      if (how === "fit") await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, shuffle: false });
      else for (let b = 0; b < 3; b++) model.trainOnBatch(xs, ys);
    } finally {
      tf.config.experimental.setTsflowOptions({ foldGradientCasts: true });
    }
    const weights = model.weights.map((w) => Float32Array.from(w.value().dataSync() as Float32Array));
    assert.ok(
      model.weights.every((w) => w.dtype === "float32"),
      "float32 variables",
    );
    return { weights, folded: castFoldStats.folded - folded0 };
  }

  for (const [name, make] of Object.entries(OPTS)) {
    for (const how of ["fit", "trainOnBatch"] as const) {
      it(`${name}, ${how}: the same weights bit for bit with the pass on and off`, async () => {
        const on = await kerasTrain(make, how, true);
        const off = await kerasTrain(make, how, false);
        on.weights.forEach((w, i) => assert.deepEqual(w, off.weights[i], `weight ${i}`));
        assert.equal(off.folded, 0);
        // Keras's momentum SGD feeds its update -lr * gradient (a Mul after the Cast): nothing to fold there.
        if (name !== "SGD with momentum") assert.equal(on.folded, 4, `the four weights' gradient Casts folded (${on.folded})`);
      });
    }
  }
});
