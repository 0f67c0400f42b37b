/**
 * tf.keras.optimizers: each update rule against steps computed by hand (in float64 JS arithmetic), eagerly
 * and in a tf.Graph; clipping, weight decay, schedules, constraints, learning-rate changes, get().
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { assertClose } from "./util/gradcheck.js";

const O = tf.keras.optimizers;
const GRADS = [
  [0.5, -1.5],
  [0.25, 2],
  [-1, 0.75],
];
const X0 = [1, -2];
const values = (v: tf.Variable) => (v.value() as tf.EagerTensor).arraySync() as number[];

/** Runs the optimizer over GRADS eagerly on a float64 variable; returns its value after each step. */
function runEager(opt: tf.keras.optimizers.Optimizer, lrAt?: (step: number) => number | undefined): number[][] {
  const v = new tf.Variable(tf.constant(X0, "float64"));
  return GRADS.map((g, i) => {
    const lr = lrAt?.(i);
    if (lr !== undefined) opt.learningRate = lr;
    opt.applyGradients([[tf.constant(g, "float64"), v]]);
    return values(v);
  });
}

/** A per-element reference: state per element, step(x, g, lr, t, state) returns the new x. */
function reference(
  step: (x: number, g: number, lr: number, t: number, s: Record<string, number>) => number,
  lrs: number[],
  init: Record<string, number> = {},
): number[][] {
  const x = [...X0];
  const state = X0.map(() => ({ ...init }));
  return GRADS.map((g, i) => {
    for (let j = 0; j < x.length; j++) x[j] = step(x[j], g[j], lrs[i], i + 1, state[j]);
    return [...x];
  });
}

describe("tf.keras.optimizers: update rules against hand-computed steps", () => {
  it("SGD: plain, momentum, Nesterov (Keras's velocity, also when the learning rate changes)", () => {
    assertClose(
      runEager(new O.SGD(0.5)),
      reference((x, g, lr) => x - lr * g, [0.5, 0.5, 0.5]),
      1e-12,
    );
    const lrs = [0.5, 0.25, 0.25];
    const momentum = (nesterov: boolean) => (x: number, g: number, lr: number, _t: number, s: Record<string, number>) => {
      s.v = 0.75 * (s.v ?? 0) - lr * g;
      return nesterov ? x + 0.75 * s.v - lr * g : x + s.v;
    };
    assertClose(
      runEager(new O.SGD({ learningRate: 0.5, momentum: 0.75 }), (i) => lrs[i]),
      reference(momentum(false), lrs),
      1e-12,
    );
    assertClose(
      runEager(new O.SGD({ learningRate: 0.5, momentum: 0.75, nesterov: true }), (i) => lrs[i]),
      reference(momentum(true), lrs),
      1e-12,
    );
  });
  it("Adam (epsilon hat, as Keras) and AMSGrad", () => {
    const adam = (amsgrad: boolean) => (x: number, g: number, lr: number, t: number, s: Record<string, number>) => {
      const [b1, b2, eps] = [0.9, 0.999, 1e-7];
      s.m = (s.m ?? 0) + (g - (s.m ?? 0)) * (1 - b1);
      s.v = (s.v ?? 0) + (g * g - (s.v ?? 0)) * (1 - b2);
      s.vhat = Math.max(s.vhat ?? 0, s.v);
      const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      return x - (alpha * s.m) / (Math.sqrt(amsgrad ? s.vhat : s.v) + eps);
    };
    assertClose(runEager(new O.Adam(0.125)), reference(adam(false), [0.125, 0.125, 0.125]), 1e-10);
    assertClose(runEager(new O.Adam({ learningRate: 0.125, amsgrad: true })), reference(adam(true), [0.125, 0.125, 0.125]), 1e-10);
    // AdamW: var -= var * wd * lr first.
    const adamw = (x: number, g: number, lr: number, t: number, s: Record<string, number>) => adam(false)(x - x * 0.25 * lr, g, lr, t, s);
    assertClose(runEager(new O.AdamW({ learningRate: 0.125, weightDecay: 0.25 })), reference(adamw, [0.125, 0.125, 0.125]), 1e-10);
  });
  it("RMSprop (plain, centered with momentum) and Adagrad", () => {
    const rms = (centered: boolean, mom: number) => (x: number, g: number, lr: number, _t: number, s: Record<string, number>) => {
      s.vel = 0.9 * (s.vel ?? 0) + 0.1 * g * g;
      s.avg = 0.9 * (s.avg ?? 0) + 0.1 * g;
      const denom = (centered ? s.vel - s.avg * s.avg : s.vel) + 1e-7;
      const inc = (lr * g) / Math.sqrt(denom);
      if (mom === 0) return x - inc;
      s.m = mom * (s.m ?? 0) + inc;
      return x - s.m;
    };
    assertClose(runEager(new O.RMSprop(0.125)), reference(rms(false, 0), [0.125, 0.125, 0.125]), 1e-9);
    assertClose(runEager(new O.RMSprop({ learningRate: 0.125, momentum: 0.5, centered: true })), reference(rms(true, 0.5), [0.125, 0.125, 0.125]), 1e-9);
    const adagrad = (x: number, g: number, lr: number, _t: number, s: Record<string, number>) => {
      s.a = (s.a ?? 0.1) + g * g;
      return x - (lr * g) / Math.sqrt(s.a + 1e-7);
    };
    assertClose(runEager(new O.Adagrad(0.5)), reference(adagrad, [0.5, 0.5, 0.5]), 1e-12);
  });
  it("clipnorm, clipvalue and globalClipnorm", () => {
    const v = new tf.Variable(tf.constant([0, 0], "float64"));
    const w = new tf.Variable(tf.constant([0], "float64"));
    const g = () => tf.constant([3, 4], "float64");
    new O.SGD({ learningRate: 1, clipnorm: 1 }).applyGradients([[g(), v]]);
    assertClose(values(v), [-0.6, -0.8], 1e-12);
    new O.SGD({ learningRate: 1, clipvalue: 3.5 }).applyGradients([[g(), v]]);
    assertClose(values(v), [-3.6, -4.3], 1e-12);
    v.assign(tf.constant([0, 0], "float64"));
    // Global norm of [3, 4] and [12] is 13: both scaled by 2.6 / 13.
    new O.SGD({ learningRate: 1, globalClipnorm: 2.6 }).applyGradients([
      [g(), v],
      [tf.constant([12], "float64"), w],
    ]);
    assertClose(values(v), [-0.6, -0.8], 1e-7);
    assertClose(values(w), [-2.4], 1e-7);
    assert.throws(() => new O.SGD({ clipnorm: 1, clipvalue: 1 }), /only one of clipnorm, clipvalue and globalClipnorm/);
  });
  it("learning-rate schedules, called with the iterations before each step", () => {
    const S = O.schedules;
    assertClose((new S.ExponentialDecay(0.1, 10, 0.5)(10) as tf.EagerTensor).arraySync(), 0.05, 1e-7);
    assertClose(
      (new S.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true })(15) as tf.EagerTensor).arraySync(),
      0.05,
      1e-7,
    );
    assertClose((new S.InverseTimeDecay(0.1, 10, 0.5)(20) as tf.EagerTensor).arraySync(), 0.05, 1e-7);
    const pw = new S.PiecewiseConstantDecay([10, 20], [1, 0.5, 0.1]);
    assertClose(
      [0, 10, 11, 20, 21].map((s) => (pw(s) as tf.EagerTensor).item()),
      [1, 1, 0.5, 0.5, 0.1],
      1e-7,
    );
    assertClose((new S.PolynomialDecay(0.1, 10, 0.01, 2)(5) as tf.EagerTensor).arraySync(), 0.09 * 0.25 + 0.01, 1e-7);
    assertClose((new S.PolynomialDecay(0.1, 10, 0.01)(50) as tf.EagerTensor).arraySync(), 0.01, 1e-7);
    assertClose(
      (new S.PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0, cycle: true })(15) as tf.EagerTensor).arraySync(),
      0.1 * 0.25,
      1e-7,
    );
    assertClose((new S.CosineDecay(0.1, 10)(5) as tf.EagerTensor).arraySync(), 0.05, 1e-7);
    assertClose((new S.CosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 0.2 })(10) as tf.EagerTensor).arraySync(), 0.02, 1e-7);
    const warm = new S.CosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: 0.2, warmupSteps: 4 });
    assertClose(
      [2, 4, 9].map((s) => (warm(s) as tf.EagerTensor).item()),
      [0.1, 0.2, 0.1],
      1e-7,
    );
    // SGD with a schedule: step i uses the rate at i.
    const sched = new S.PiecewiseConstantDecay([0, 1], [0.5, 0.25, 0.125]);
    const opt = new O.SGD(sched);
    assertClose(
      runEager(opt),
      reference((x, g, lr) => x - lr * g, [0.5, 0.25, 0.125]),
      1e-7,
    );
    assertClose(opt.learningRate, 0.125, 1e-7);
    assert.throws(() => {
      opt.learningRate = 0.1;
    }, /not settable to a number/);
  });
});

describe("tf.keras.optimizers: state, minimize, constraints, get", () => {
  it("iterations, learningRate (settable), variables(), getConfig", () => {
    const opt = new O.Adam({ learningRate: 0.01 });
    const v = new tf.Variable(tf.constant([1, 2]), { name: "kernel" });
    opt.applyGradients([[tf.constant([0.1, 0.2]), v]]);
    opt.applyGradients([[tf.constant([0.1, 0.2]), v]]);
    assert.equal(Number((opt.iterations.value() as tf.EagerTensor).item()), 2);
    assertClose(opt.learningRate, 0.01, 1e-8);
    opt.learningRate = 0.5;
    assertClose(opt.learningRate, 0.5, 1e-8);
    assert.deepEqual(
      opt.variables().map((x) => x.name),
      ["Adam/iteration:0", "Adam/learning_rate:0", "kernel/m:0", "kernel/v:0"],
    );
    assert.ok(opt.getSlot(v, "m") instanceof tf.Variable);
    assert.deepEqual(opt.getConfig(), {
      name: "Adam",
      learningRate: 0.5,
      weightDecay: null,
      clipnorm: null,
      globalClipnorm: null,
      clipvalue: null,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      amsgrad: false,
    });
  });
  it("minimize with a loss function, or a tensor and its tape; null gradients are skipped", () => {
    const w = new tf.Variable(tf.constant([3, -1]));
    const unused = new tf.Variable(tf.constant([7]));
    const opt = new O.SGD(0.25);
    opt.minimize(() => tf.reduceSum(tf.square(w)), [w, unused]);
    assertClose(values(w), [1.5, -0.5], 1e-6);
    assertClose(values(unused), [7], 0);
    const tape = new tf.GradientTape();
    const loss = tape.run(() => tf.reduceSum(tf.square(w)));
    opt.minimize(loss, [w], { tape });
    assertClose(values(w), [0.75, -0.25], 1e-6);
    assert.throws(() => opt.applyGradients([[null, w]]), /No gradients provided for any variable/);
    assert.throws(() => opt.minimize(tf.constant(1), [w]), /`tape` is required/);
  });
  it("a weight's constraint is applied after its update", () => {
    class Clipped extends tf.keras.layers.Layer {
      w!: tf.Variable;
      override build(): void {
        this.w = this.addWeight("w", {
          shape: [2],
          initializer: { call: (s) => tf.ones(s) },
          constraint: { call: (x) => tf.minimum(tf.maximum(x, -1), 1.25) },
        });
      }
    }
    const layer = new Clipped();
    layer(tf.ones([1, 2]));
    new O.SGD(1).applyGradients([[tf.constant([-0.5, 3]), layer.w]]);
    assertClose(values(layer.w), [1.25, -1], 1e-6);
  });
  it("get resolves names, configs and objects", () => {
    assert.ok(O.get("adam") instanceof O.Adam);
    assert.ok(O.get("SGD") instanceof O.SGD);
    assert.ok(O.get("rmsprop") instanceof O.RMSprop);
    const cfg = O.get({ className: "SGD", config: { learningRate: 0.3, momentum: 0.5 } }) as tf.keras.optimizers.SGD;
    assert.equal(cfg.momentum, 0.5);
    assertClose(cfg.learningRate, 0.3, 1e-7);
    const opt = new O.Adagrad();
    assert.equal(O.get(opt), opt);
    assert.throws(() => O.get("adamax"), /Could not interpret optimizer identifier: 'adamax'/);
  });
});

describe("tf.keras.optimizers in a tf.Graph", () => {
  it("the train op updates graph variables as the eager step does", () => {
    const eager = (make: () => tf.keras.optimizers.Optimizer) => runEager(make());
    for (const make of [
      () => new O.SGD({ learningRate: 0.5, momentum: 0.75, nesterov: true }),
      () => new O.Adam({ learningRate: 0.125 }),
      () => new O.RMSprop({ learningRate: 0.125, centered: true, weightDecay: 0.1 }),
    ]) {
      const want = eager(make);
      const g = new tf.Graph();
      g.asDefault(() => {
        const v = new tf.Variable(tf.constant(X0, "float64"), { name: "v" });
        const grad = tf.placeholder("float64", [2]);
        const opt = make();
        const train = opt.applyGradients([[grad, v]])!;
        assert.ok(train instanceof tf.Operation);
        const sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        const got = GRADS.map((gr) => {
          sess.run(train, new Map<tf.Tensor, number[]>([[grad, gr]]));
          return (sess.run(v.value()) as tf.EagerTensor).arraySync() as number[];
        });
        assertClose(got, want, 1e-6);
        assert.equal(Number((sess.run(opt.iterations.value()) as tf.EagerTensor).item()), 3);
        sess.close();
      });
    }
  });
  it("minimize(loss, varList) builds the gradients with tf.gradients", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const x = new tf.Variable(tf.constant([1, 2]), { name: "x" });
      const train = new O.SGD(0.25).minimize(tf.reduceSum(tf.square(x)), [x]);
      const sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      sess.run(train);
      assertClose((sess.run(x.value()) as tf.EagerTensor).arraySync(), [0.5, 1], 1e-6);
      sess.close();
    });
  });
});

describe("tf.keras.optimizers, losses and metrics inside a tf.function", () => {
  it("a traced train step (tape, loss object, applyGradients, metric update) gives the eager results", () => {
    const x = tf.constant([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const y = tf.constant([1, 0, 0, 1], "int32");
    for (const make of [
      () => new O.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
      () => new O.Adam(0.05),
      () => new O.RMSprop({ learningRate: 0.05, centered: true, clipnorm: 1, weightDecay: 0.01 }),
    ]) {
      const run = (traced: boolean) => {
        const w = new tf.Variable(tf.constant([0.5, -0.4, 0.3, 0.2], { shape: [2, 2] }));
        const opt = make();
        const loss = new tf.keras.losses.SparseCategoricalCrossentropy({ fromLogits: true });
        const acc = new tf.keras.metrics.SparseCategoricalAccuracy();
        const step = (xb: tf.Tensor, yb: tf.Tensor) => {
          const tape = new tf.GradientTape();
          const l = tape.run(() => loss(yb, tf.matmul(xb, w)));
          opt.applyGradients([[tape.gradient(l, [w])[0], w]]);
          acc.updateState(yb, tf.matmul(xb, w));
          return l;
        };
        const f = traced ? tf.function(step) : step;
        const losses: number[] = [];
        for (let i = 0; i < 4; i++) losses.push(tf.tidy(() => (f(x, y) as tf.EagerTensor).item()));
        return { losses, w: values(w), acc: (acc.result() as tf.EagerTensor).item(), steps: Number((opt.iterations.value() as tf.EagerTensor).item()) };
      };
      const eager = run(false);
      const traced = run(true);
      assertClose(traced.losses, eager.losses, 1e-6);
      assertClose(traced.w, eager.w, 1e-6);
      assertClose(traced.acc, eager.acc, 1e-6);
      assert.equal(traced.steps, 4);
    }
  });
});
