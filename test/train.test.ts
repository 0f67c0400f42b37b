import assert from "node:assert/strict";
import { describe, forEachDevice, it } from "./util/devices.js";
import * as tf from "../src/index.js";

/** Builds in a fresh graph and returns fn's result; every test gets its own graph. */
function inGraph<T>(fn: (g: tf.Graph) => T): T {
  const g = new tf.Graph();
  return g.asDefault(() => fn(g));
}
const val = (t: unknown) => (t as tf.EagerTensor).arraySync();
const flat = (t: unknown): number[] => Array.from((t as tf.EagerTensor).dataSync() as Float32Array, Number);

function assertClose(actual: readonly number[], expected: readonly number[], tol = 1e-5, what = ""): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => {
    assert.ok(
      Math.abs(a - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: ${a} vs expected ${expected[i]} (all: [${actual}] vs [${expected}])`,
    );
  });
}

type MakeOpt = () => tf.train.Optimizer;

/**
 * The setting of every "one step by hand" test: W = [1, 2], b = -1 and loss = sum(W^2) + 3b, so the
 * gradients are 2W = [2, 4] and 3.
 */
const W0 = [1, 2];
const B0 = -1;

/** Two steps in a graph: returns [W, b] after each. */
function graphSteps(make: MakeOpt, steps = 2): number[][][] {
  return inGraph(() => {
    const w = new tf.Variable(W0, { name: "W" });
    const b = new tf.Variable(B0, { name: "b" });
    const loss = tf.add(tf.reduceSum(tf.square(w)), tf.multiply(b, 3));
    const train = make().minimize(loss);
    assert.ok(train instanceof tf.Operation);
    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    const out: number[][][] = [];
    for (let i = 0; i < steps; i++) {
      assert.equal(sess.run(train), null);
      const [wv, bv] = sess.run([w.value(), b.value()]) as tf.EagerTensor[];
      out.push([flat(wv), flat(bv)]);
    }
    return out;
  });
}

/** The same two steps eagerly, alternating minimize(fn) and computeGradients + applyGradients. */
function eagerSteps(make: MakeOpt, steps = 2): number[][][] {
  const w = new tf.Variable(W0, { name: "W" });
  const b = new tf.Variable(B0, { name: "b" });
  const opt = make();
  const lossFn = () => tf.add(tf.reduceSum(tf.square(w)), tf.multiply(b, 3));
  const out: number[][][] = [];
  for (let i = 0; i < steps; i++) {
    if (i % 2 === 0) {
      assert.equal(opt.minimize(lossFn), null);
    } else {
      const tape = new tf.GradientTape();
      const loss = tape.run(lossFn);
      const grads = tape.gradient(loss, [w, b]);
      opt.applyGradients(grads.map((g, j) => [g, [w, b][j]] as [tf.Tensor, tf.Variable]));
      tf.dispose([loss, grads]);
    }
    out.push([flat(w.value()), flat(b.value())]);
  }
  return out;
}

/** A plain-JS reference of each TensorFlow 1 update rule, in float64, for steps after the first. */
interface Ref {
  step(w: number[], g: number[]): number[];
}
function refRun(makeRef: () => Ref, steps: number): number[][][] {
  const rw = makeRef();
  const rb = makeRef();
  let w = W0.slice();
  let b = [B0];
  const out: number[][][] = [];
  for (let i = 0; i < steps; i++) {
    w = rw.step(
      w,
      w.map((x) => 2 * x),
    );
    b = rb.step(b, [3]);
    out.push([w.slice(), b.slice()]);
  }
  return out;
}
const refs = {
  sgd: (lr: number): Ref => ({ step: (w, g) => w.map((x, i) => x - lr * g[i]) }),
  momentum: (lr: number, mu: number, nesterov = false): Ref => {
    let acc: number[] | null = null;
    return {
      step(w, g) {
        acc = (acc ?? w.map(() => 0)).map((a, i) => mu * a + g[i]);
        return w.map((x, i) => (nesterov ? x - lr * g[i] - lr * mu * acc![i] : x - lr * acc![i]));
      },
    };
  },
  adam: (lr: number, b1: number, b2: number, eps: number): Ref => {
    let m: number[] | null = null;
    let v: number[] | null = null;
    let t = 0;
    return {
      step(w, g) {
        t++;
        const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        m = (m ?? w.map(() => 0)).map((x, i) => b1 * x + (1 - b1) * g[i]);
        v = (v ?? w.map(() => 0)).map((x, i) => b2 * x + (1 - b2) * g[i] * g[i]);
        return w.map((x, i) => x - (lrT * m![i]) / (Math.sqrt(v![i]) + eps));
      },
    };
  },
  rmsprop: (lr: number, rho: number, mu: number, eps: number, centered: boolean): Ref => {
    let ms: number[] | null = null;
    let mg: number[] | null = null;
    let mom: number[] | null = null;
    return {
      step(w, g) {
        ms = (ms ?? w.map(() => 1)).map((x, i) => rho * x + (1 - rho) * g[i] * g[i]);
        mg = (mg ?? w.map(() => 0)).map((x, i) => rho * x + (1 - rho) * g[i]);
        mom = (mom ?? w.map(() => 0)).map((x, i) => mu * x + (lr * g[i]) / Math.sqrt(ms![i] - (centered ? mg![i] ** 2 : 0) + eps));
        return w.map((x, i) => x - mom![i]);
      },
    };
  },
  adagrad: (lr: number, init: number): Ref => {
    let acc: number[] | null = null;
    return {
      step(w, g) {
        acc = (acc ?? w.map(() => init)).map((a, i) => a + g[i] * g[i]);
        return w.map((x, i) => x - (lr * g[i]) / Math.sqrt(acc![i]));
      },
    };
  },
};

interface Case {
  name: string;
  make: MakeOpt;
  /** [W, b] after the first step, worked out by hand. */
  first: [number[], number[]];
  ref: () => Ref;
}
const s13 = Math.sqrt(1.3);
const s25 = Math.sqrt(2.5);
const cases: Case[] = [
  {
    name: "GradientDescentOptimizer",
    make: () => new tf.train.GradientDescentOptimizer(0.1),
    // W - 0.1 * [2, 4]; b - 0.1 * 3
    first: [[0.8, 1.6], [-1.3]],
    ref: () => refs.sgd(0.1),
  },
  {
    name: "MomentumOptimizer",
    make: () => new tf.train.MomentumOptimizer(0.1, 0.9),
    // accum = g; W - 0.1 * accum (step 2: accum = 0.9 * [2, 4] + [1.6, 3.2] = [3.4, 6.8]: W = [0.46, 0.92])
    first: [[0.8, 1.6], [-1.3]],
    ref: () => refs.momentum(0.1, 0.9),
  },
  {
    name: "MomentumOptimizer (Nesterov)",
    make: () => new tf.train.MomentumOptimizer(0.1, 0.9, { useNesterov: true }),
    // W - 0.1 * g - 0.1 * 0.9 * accum, accum = g: W - 0.19 * g
    first: [[0.62, 1.24], [-1.57]],
    ref: () => refs.momentum(0.1, 0.9, true),
  },
  {
    name: "AdamOptimizer",
    make: () => new tf.train.AdamOptimizer(0.1),
    // lr_t = 0.1 * sqrt(0.001) / 0.1; m = 0.1 g; v = 0.001 g^2: the first step is lr * sign(g) (up to epsilon)
    first: [[0.9, 1.9], [-1.1]],
    ref: () => refs.adam(0.1, 0.9, 0.999, 1e-8),
  },
  {
    name: "AdamOptimizer (beta1=0.5, beta2=0.9, epsilon=0.1)",
    make: () => new tf.train.AdamOptimizer(0.2, 0.5, 0.9, 0.1),
    // lr_t = 0.2 * sqrt(0.1) / 0.5; m = 0.5 g; v = 0.1 g^2; W -= lr_t * m / (sqrt(v) + 0.1)
    first: [
      [1 - (0.4 * Math.sqrt(0.1) * 1) / (Math.sqrt(0.4) + 0.1), 2 - (0.4 * Math.sqrt(0.1) * 2) / (Math.sqrt(1.6) + 0.1)],
      [-1 - (0.4 * Math.sqrt(0.1) * 1.5) / (Math.sqrt(0.9) + 0.1)],
    ],
    ref: () => refs.adam(0.2, 0.5, 0.9, 0.1),
  },
  {
    name: "RMSPropOptimizer",
    make: () => new tf.train.RMSPropOptimizer(0.1),
    // ms = 0.9 * 1 + 0.1 g^2 = [1.3, 2.5], [1.8]; W -= 0.1 g / sqrt(ms + 1e-10)
    first: [[1 - 0.2 / s13, 2 - 0.4 / s25], [-1 - 0.3 / Math.sqrt(1.8)]],
    ref: () => refs.rmsprop(0.1, 0.9, 0, 1e-10, false),
  },
  {
    name: "RMSPropOptimizer (momentum, centered)",
    make: () => new tf.train.RMSPropOptimizer(0.1, 0.8, 0.5, 1e-6, { centered: true }),
    // ms = 0.8 + 0.2 g^2 = [1.6, 4], [2.6]; mg = 0.2 g = [0.4, 0.8], [0.6]; W -= 0.1 g / sqrt(ms - mg^2 + 1e-6)
    first: [[1 - 0.2 / Math.sqrt(1.6 - 0.16 + 1e-6), 2 - 0.4 / Math.sqrt(4 - 0.64 + 1e-6)], [-1 - 0.3 / Math.sqrt(2.6 - 0.36 + 1e-6)]],
    ref: () => refs.rmsprop(0.1, 0.8, 0.5, 1e-6, true),
  },
  {
    name: "AdagradOptimizer",
    make: () => new tf.train.AdagradOptimizer(0.1),
    // accum = 0.1 + g^2 = [4.1, 16.1], [9.1]; W -= 0.1 g / sqrt(accum)
    first: [[1 - 0.2 / Math.sqrt(4.1), 2 - 0.4 / Math.sqrt(16.1)], [-1 - 0.3 / Math.sqrt(9.1)]],
    ref: () => refs.adagrad(0.1, 0.1),
  },
  {
    name: "AdagradOptimizer (initial_accumulator_value=1)",
    make: () => new tf.train.AdagradOptimizer(0.5, 1.0),
    first: [[1 - 1 / Math.sqrt(5), 2 - 2 / Math.sqrt(17)], [-1 - 1.5 / Math.sqrt(10)]],
    ref: () => refs.adagrad(0.5, 1.0),
  },
];

forEachDevice((device) => {
  describe("tf.train optimizers: one step by hand, graph and eager", () => {
    for (const c of cases) {
      it(`${c.name}: graph mode`, () => {
        const got = graphSteps(c.make, 3);
        assertClose(got[0][0], c.first[0], 1e-5, "W after step 1");
        assertClose(got[0][1], c.first[1], 1e-5, "b after step 1");
        const want = refRun(c.ref, 3);
        for (let i = 0; i < 3; i++) {
          assertClose(got[i][0], want[i][0], 1e-5, `W after step ${i + 1}`);
          assertClose(got[i][1], want[i][1], 1e-5, `b after step ${i + 1}`);
        }
      });
      it(`${c.name}: eager mode`, () => {
        const got = eagerSteps(c.make, 3);
        assertClose(got[0][0], c.first[0], 1e-5, "W after step 1");
        assertClose(got[0][1], c.first[1], 1e-5, "b after step 1");
        const want = refRun(c.ref, 3);
        for (let i = 0; i < 3; i++) {
          assertClose(got[i][0], want[i][0], 1e-5, `W after step ${i + 1}`);
          assertClose(got[i][1], want[i][1], 1e-5, `b after step ${i + 1}`);
        }
      });
    }

    it("Momentum's and Adam's state after a step holds the numbers worked out by hand", () => {
      inGraph(() => {
        const w = new tf.Variable(W0, { name: "W" });
        const loss = tf.reduceSum(tf.square(w));
        const mom = new tf.train.MomentumOptimizer(0.1, 0.9);
        const adam = new tf.train.AdamOptimizer(0.1);
        const t1 = mom.minimize(loss);
        const t2 = adam.minimize(loss);
        using sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        sess.run([t1, t2]);
        const [b1p, b2p] = adam.getBetaAccumulators();
        const [acc, m, v, p1, p2] = sess.run([
          mom.getSlot(w, "momentum")!.value(),
          adam.getSlot(w, "m")!.value(),
          adam.getSlot(w, "v")!.value(),
          b1p!.value(),
          b2p!.value(),
        ]);
        assertClose(flat(acc), [2, 4]);
        assertClose(flat(m), [0.2, 0.4]);
        assertClose(flat(v), [0.004, 0.016]);
        assertClose(flat(p1), [0.81]);
        assertClose(flat(p2), [0.999 * 0.999]);
      });
    });
  });

  describe("tf.train optimizers: convergence on a quadratic", () => {
    const target = [3, -2, 0.5];
    const quad: [string, MakeOpt, number][] = [
      ["GradientDescentOptimizer", () => new tf.train.GradientDescentOptimizer(0.1), 100],
      ["MomentumOptimizer", () => new tf.train.MomentumOptimizer(0.05, 0.9), 200],
      ["MomentumOptimizer (Nesterov)", () => new tf.train.MomentumOptimizer(0.05, 0.9, false, "Momentum", true), 200],
      ["AdamOptimizer", () => new tf.train.AdamOptimizer(0.1), 400],
      ["RMSPropOptimizer", () => new tf.train.RMSPropOptimizer(0.01, { momentum: 0.9 }), 400],
      ["RMSPropOptimizer (centered)", () => new tf.train.RMSPropOptimizer(0.01, { momentum: 0.9, centered: true }), 400],
      ["AdagradOptimizer", () => new tf.train.AdagradOptimizer(1.0), 400],
    ];
    for (const [name, make, steps] of quad) {
      it(`${name} minimizes sum((x - t)^2) in a graph`, () => {
        inGraph(() => {
          const x = new tf.Variable(tf.zeros([3]), { name: "x" });
          const loss = tf.reduceSum(tf.square(tf.subtract(x, target)));
          const train = make().minimize(loss);
          using sess = new tf.Session();
          sess.run(tf.globalVariablesInitializer());
          const l0 = Number(val(sess.run(loss)));
          for (let i = 0; i < steps; i++) sess.run(train);
          const l1 = Number(val(sess.run(loss)));
          assert.ok(l1 < 1e-3 * l0, `loss ${l0} -> ${l1}`);
          assertClose(flat(sess.run(x.value())), target, 2e-2, "x");
        });
      });
      it(`${name} minimizes sum((x - t)^2) eagerly`, () => {
        const x = new tf.Variable(tf.zeros([3]), { name: "x" });
        const lossFn = () => tf.reduceSum(tf.square(tf.subtract(x, target)));
        const opt = make();
        const before = tf.memory().numTensors;
        for (let i = 0; i < steps; i++) opt.minimize(lossFn);
        // The only tensors left are the optimizer's slot variables (and Adam's beta powers).
        assert.equal(tf.memory().numTensors - before, opt.variables().length);
        assertClose(flat(x.value()), target, 2e-2, "x");
      });
    }
  });

  describe("tf.train: slots", () => {
    it("are named as TensorFlow names them, non-trainable, and listed by variables()", () => {
      inGraph((g) => {
        const w = new tf.Variable([1, 2], { name: "W" });
        const b = tf.variableScope("layer", () => tf.getVariable("b", [2], { initializer: tf.zerosInitializer() }));
        const loss = tf.reduceSum(tf.add(tf.square(w), b));
        const adam = new tf.train.AdamOptimizer();
        // A name scope around minimize changes neither the slots' names nor the non-slot variables' (TF's init_scope keeps it).
        const train = tf.nameScope("training", () => adam.minimize(loss))!;
        assert.equal(train.name, "training/Adam");
        assert.equal(adam.getSlot(w, "m")!.name, "W/Adam:0");
        assert.equal(adam.getSlot(w, "v")!.name, "W/Adam_1:0");
        assert.equal(adam.getSlot(b, "m")!.name, "layer/b/Adam:0");
        assert.equal(adam.getSlot(b, "v")!.name, "layer/b/Adam_1:0");
        assert.deepEqual(adam.getSlotNames(), ["m", "v"]);
        assert.equal(adam.getSlot(w, "nope"), null);
        assert.deepEqual(
          adam.variables().map((v) => v.name),
          ["W/Adam:0", "W/Adam_1:0", "layer/b/Adam:0", "layer/b/Adam_1:0", "training/beta1_power:0", "training/beta2_power:0"],
        );
        for (const v of adam.variables()) assert.equal(v.trainable, false);
        const trainable = g.getCollection<tf.Variable>(tf.GraphKeys.TRAINABLE_VARIABLES).map((v) => v.name);
        assert.deepEqual(trainable, ["W:0", "layer/b:0"]);
        const all = g.getCollection<tf.Variable>(tf.GraphKeys.GLOBAL_VARIABLES).map((v) => v.name);
        for (const v of adam.variables()) assert.ok(all.includes(v.name), v.name);
        assert.ok(g.getCollection(tf.GraphKeys.TRAIN_OP).includes(train));
        // Slots start at zero and the beta powers at beta1, beta2.
        using sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        assert.deepEqual(val(sess.run(adam.getSlot(w, "m")!.value())), [0, 0]);
        assertClose(flat(sess.run(adam.getBetaAccumulators()[1]!.value())), [0.999]);
      });
    });

    it("Momentum, RMSProp and Adagrad slots, and a second optimizer's", () => {
      inGraph(() => {
        const w = new tf.Variable([1, 2], { name: "W" });
        const loss = tf.reduceSum(tf.square(w));
        const mom = new tf.train.MomentumOptimizer(0.1, 0.9);
        mom.minimize(loss);
        assert.equal(mom.getSlot(w, "momentum")!.name, "W/Momentum:0");
        assert.deepEqual(mom.getSlotNames(), ["momentum"]);
        const rms = new tf.train.RMSPropOptimizer(0.1);
        rms.minimize(loss);
        assert.equal(rms.getSlot(w, "rms")!.name, "W/RMSProp:0");
        assert.equal(rms.getSlot(w, "momentum")!.name, "W/RMSProp_1:0");
        assert.deepEqual(rms.getSlotNames(), ["momentum", "rms"]);
        const crms = new tf.train.RMSPropOptimizer(0.1, { centered: true, name: "CRMS" });
        crms.minimize(loss);
        assert.equal(crms.getSlot(w, "rms")!.name, "W/CRMS:0");
        assert.equal(crms.getSlot(w, "mg")!.name, "W/CRMS_1:0");
        assert.equal(crms.getSlot(w, "momentum")!.name, "W/CRMS_2:0");
        const ada = new tf.train.AdagradOptimizer(0.1);
        const t = ada.minimize(loss)!;
        assert.equal(t.name, "Adagrad");
        assert.equal(ada.getSlot(w, "accumulator")!.name, "W/Adagrad:0");
        // A second optimizer of the same kind gets fresh slots, uniquified as TensorFlow does.
        const mom2 = new tf.train.MomentumOptimizer(0.1, 0.9);
        const t2 = mom2.minimize(loss)!;
        assert.equal(mom2.getSlot(w, "momentum")!.name, "W/Momentum_1:0");
        assert.equal(t2.name, "Momentum_1");
        assert.equal(mom2.getName(), "Momentum");
        using sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        assert.deepEqual(val(sess.run(rms.getSlot(w, "rms")!.value())), [1, 1]);
        assertClose(flat(sess.run(ada.getSlot(w, "accumulator")!.value())), [0.1, 0.1]);
      });
    });

    it("eager slots are variables named after their primary", () => {
      // One primary name per device block: eager slot names are made unique across the process.
      const primary = `eagerSlotW_${device.replace(/\W/g, "_")}`;
      const w = new tf.Variable([1, 2], { name: primary });
      const adam = new tf.train.AdamOptimizer(0.1);
      adam.minimize(() => tf.reduceSum(tf.square(w)));
      assert.equal(adam.getSlot(w, "m")!.name, `${primary}/Adam:0`);
      assert.equal(adam.getSlot(w, "v")!.name, `${primary}/Adam_1:0`);
      assert.equal(adam.getSlot(w, "m")!.trainable, false);
      assertClose(flat(adam.getSlot(w, "m")!.value()), [0.2, 0.4]);
      assert.deepEqual(
        adam.variables().map((v) => v.name),
        ["beta1_power:0", "beta2_power:0", `${primary}/Adam:0`, `${primary}/Adam_1:0`],
      );
      // A graph has none of them.
      inGraph(() => assert.deepEqual(adam.variables(), []));
    });
  });

  describe("tf.train: global step", () => {
    it("getOrCreateGlobalStep makes one int64 non-trainable variable in GLOBAL_STEP and GLOBAL_VARIABLES", () => {
      inGraph((g) => {
        assert.equal(tf.train.getGlobalStep(), null);
        const gs = tf.nameScope("somewhere", () => tf.train.getOrCreateGlobalStep());
        assert.equal(gs.name, "global_step:0");
        assert.equal(gs.dtype, "int64");
        assert.equal(gs.trainable, false);
        assert.deepEqual(gs.shape, []);
        assert.deepEqual(g.getCollection(tf.GraphKeys.GLOBAL_STEP), [gs]);
        assert.ok(g.getCollection(tf.GraphKeys.GLOBAL_VARIABLES).includes(gs));
        assert.ok(!g.getCollection(tf.GraphKeys.TRAINABLE_VARIABLES).includes(gs));
        assert.equal(tf.train.getOrCreateGlobalStep(), gs);
        assert.equal(tf.train.getGlobalStep(), gs);
        assert.equal(tf.train.getGlobalStep(g), gs);
        assert.throws(() => tf.train.createGlobalStep(), /"global_step" already exists/);
        assert.equal(tf.compat.v1.train.getGlobalStep(), gs);
      });
      // Another graph has its own.
      inGraph(() => assert.equal(tf.train.getGlobalStep(), null));
    });

    it("a variable named global_step is found; a float one is rejected", () => {
      inGraph(() => {
        const gs = new tf.Variable(0, { name: "global_step", dtype: "int32", trainable: false });
        assert.equal(tf.train.getGlobalStep(), gs);
      });
      inGraph(() => {
        new tf.Variable(0, { name: "global_step", trainable: false });
        assert.throws(() => tf.train.getGlobalStep(), /does not have integer type: float32/);
      });
    });

    it("minimize and applyGradients increment it after the update, in a graph", () => {
      inGraph(() => {
        const w = new tf.Variable([1, 2], { name: "W" });
        const loss = tf.reduceSum(tf.square(w));
        const gs = tf.train.getOrCreateGlobalStep();
        const opt = new tf.train.GradientDescentOptimizer(0.1);
        const train = opt.minimize(loss, { globalStep: gs })!;
        assert.equal(train.name, "GradientDescent");
        assert.equal(train.type, "AssignAdd");
        const gv = opt.computeGradients(loss);
        const train2 = opt.applyGradients(gv, gs, "second")!;
        assert.equal(train2.name, "second");
        using sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        assert.equal(Number(val(sess.run(gs.value()))), 0);
        sess.run(train);
        assert.equal(tf.train.globalStep(sess, gs), 1);
        sess.run(train);
        sess.run(train2);
        assert.equal(tf.train.globalStep(sess, gs), 3);
        assertClose(flat(sess.run(w.value())), [0.512, 1.024]);
      });
    });

    it("is incremented eagerly", () => {
      const w = new tf.Variable([1, 2], { name: "W" });
      const gs = new tf.Variable(0, { name: "global_step", dtype: "int64", trainable: false });
      const opt = new tf.train.AdamOptimizer(0.1);
      opt.minimize(() => tf.reduceSum(tf.square(w)), gs);
      opt.minimize(() => tf.reduceSum(tf.square(w)), { globalStep: gs });
      assert.equal(Number(gs.numpy()), 2);
      const eagerGs = tf.train.getOrCreateGlobalStep();
      assert.equal(eagerGs.dtype, "int64");
      assert.equal(tf.train.getOrCreateGlobalStep(), eagerGs);
      const before = Number(eagerGs.numpy());
      opt.minimize(() => tf.reduceSum(tf.square(w)), eagerGs);
      assert.equal(Number(eagerGs.numpy()), before + 1);
    });
  });

  describe("tf.train: what gets updated", () => {
    it("varList restricts the update (graph)", () => {
      inGraph(() => {
        const a = new tf.Variable([1, 2], { name: "a" });
        const b = new tf.Variable([3, 4], { name: "b" });
        const loss = tf.add(tf.reduceSum(tf.square(a)), tf.reduceSum(tf.square(b)));
        const opt = new tf.train.MomentumOptimizer(0.1, 0.9);
        const gv = opt.computeGradients(loss, [b]);
        assert.equal(gv.length, 1);
        assert.equal(gv[0][1], b);
        const train = opt.minimize(loss, null, [a]);
        assert.equal(opt.getSlot(b, "momentum"), null);
        using sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        sess.run(train);
        assertClose(flat(sess.run(a.value())), [0.8, 1.6]);
        assert.deepEqual(val(sess.run(b.value())), [3, 4]);
      });
    });

    it("varList restricts the update (eager)", () => {
      const a = new tf.Variable([1, 2], { name: "a" });
      const b = new tf.Variable([3, 4], { name: "b" });
      const opt = new tf.train.GradientDescentOptimizer(0.1);
      opt.minimize(() => tf.add(tf.reduceSum(tf.square(a)), tf.reduceSum(tf.square(b))), { varList: [b] });
      assert.deepEqual(val(a.value()), [1, 2]);
      assertClose(flat(b.value()), [2.4, 3.2]);
    });

    it("non-trainable variables are not updated (graph and eager)", () => {
      inGraph(() => {
        const w = new tf.Variable([1, 2], { name: "W" });
        const frozen = new tf.Variable([5, 6], { name: "frozen", trainable: false });
        const loss = tf.reduceSum(tf.multiply(tf.square(w), frozen));
        const opt = new tf.train.AdamOptimizer(0.1);
        const gv = opt.computeGradients(loss);
        assert.deepEqual(
          gv.map(([, v]) => v.name),
          ["W:0"],
        );
        const train = opt.minimize(loss);
        assert.equal(opt.getSlot(frozen, "m"), null);
        using sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        sess.run(train);
        assertClose(flat(sess.run(w.value())), [0.9, 1.9]);
        assert.deepEqual(val(sess.run(frozen.value())), [5, 6]);
      });
      const w = new tf.Variable([1, 2], { name: "W" });
      const frozen = new tf.Variable([5, 6], { name: "frozen", trainable: false });
      const opt = new tf.train.GradientDescentOptimizer(0.01);
      const gv = opt.computeGradients(() => tf.reduceSum(tf.multiply(tf.square(w), frozen)));
      assert.deepEqual(
        gv.map(([, v]) => v),
        [w],
      );
      tf.dispose(gv.map(([g]) => g));
      opt.minimize(() => tf.reduceSum(tf.multiply(tf.square(w), frozen)));
      // d/dW sum(W^2 * frozen) = 2 W frozen = [10, 24]
      assertClose(flat(w.value()), [0.9, 1.76]);
      assert.deepEqual(val(frozen.value()), [5, 6]);
    });

    it("a null gradient is skipped (graph)", () => {
      inGraph(() => {
        const a = new tf.Variable([1, 2], { name: "a" });
        const unused = new tf.Variable([7, 8], { name: "unused" });
        const loss = tf.reduceSum(tf.square(a));
        const opt = new tf.train.AdamOptimizer(0.1);
        const gv = opt.computeGradients(loss);
        assert.deepEqual(
          gv.map(([g, v]) => [g === null, v.name]),
          [
            [false, "a:0"],
            [true, "unused:0"],
          ],
        );
        const train = opt.applyGradients(gv)!;
        assert.equal(opt.getSlot(unused, "m"), null);
        assert.ok(opt.getSlot(a, "m"));
        using sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        sess.run(train);
        assertClose(flat(sess.run(a.value())), [0.9, 1.9]);
        assert.deepEqual(val(sess.run(unused.value())), [7, 8]);
        // Only null gradients: TensorFlow's ValueError.
        assert.throws(() => opt.applyGradients([[null, unused]]), /No gradients provided for any variable/);
        assert.throws(() => opt.minimize(tf.reduceSum(tf.square(a)), { varList: [unused] }), /No gradients provided for any variable, check your graph/);
        assert.throws(() => opt.applyGradients([]), /No variables provided/);
      });
    });

    it("a null gradient is skipped (eager)", () => {
      const a = new tf.Variable([1, 2], { name: "a" });
      const unused = new tf.Variable([7, 8], { name: "unused" });
      const opt = new tf.train.MomentumOptimizer(0.1, 0.9);
      const gv = opt.computeGradients(() => tf.reduceSum(tf.square(a)), [a, unused]);
      assert.equal(gv[1][0], null);
      opt.applyGradients(gv);
      tf.dispose(gv.map(([g]) => g));
      assert.equal(opt.getSlot(unused, "momentum"), null);
      assertClose(flat(a.value()), [0.8, 1.6]);
      assert.deepEqual(val(unused.value()), [7, 8]);
      assert.throws(() => opt.applyGradients([[null, unused]]), /No gradients provided for any variable/);
    });
  });

  describe("tf.train: hyperparameters and errors", () => {
    it("the learning rate may be a tensor: a placeholder fed at run time, a float32 tensor for float64 variables", () => {
      inGraph(() => {
        const lr = tf.placeholder("float32", [], { name: "lr" });
        const w = new tf.Variable(new Float64Array([1, 2]), { name: "W", dtype: "float64" });
        const loss = tf.reduceSum(tf.square(w));
        const opt = new tf.train.GradientDescentOptimizer(lr);
        const train = opt.minimize(loss);
        using sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        sess.run(train, { "lr:0": 0.25 });
        assert.deepEqual(val(sess.run(w.value())), [0.5, 1]);
        sess.run(train, { "lr:0": 0.5 });
        assert.deepEqual(val(sess.run(w.value())), [0, 0]);
      });
    });

    it("graph hyperparameters are named tensors in the optimizer's scope", () => {
      inGraph((g) => {
        const w = new tf.Variable([1, 2], { name: "W" });
        new tf.train.AdamOptimizer(0.1).minimize(tf.reduceSum(tf.square(w)));
        for (const n of ["Adam/learning_rate", "Adam/beta1", "Adam/beta2", "Adam/epsilon"]) assert.ok(g.hasOperation(n), n);
        assert.ok(g.getOperations().some((op) => op.name.startsWith("Adam/update_W/")));
      });
    });

    it("eager learning rates may be tensors, variables or functions", () => {
      const w = new tf.Variable([1, 2], { name: "W" });
      const lr = tf.constant(0.5);
      new tf.train.GradientDescentOptimizer(lr).minimize(() => tf.reduceSum(tf.square(w)));
      assertClose(flat(w.value()), [0, 0]);
      const v = new tf.Variable([1, 2], { name: "V" });
      const lrVar = new tf.Variable(0.25, { trainable: false });
      let calls = 0;
      const decayed = () => {
        calls++;
        return tf.multiply(lrVar, 1);
      };
      const opt = new tf.train.MomentumOptimizer(decayed, 0);
      opt.minimize(() => tf.reduceSum(tf.square(v)));
      assertClose(flat(v.value()), [0.5, 1]);
      lrVar.assign(0.5);
      opt.minimize(() => tf.reduceSum(tf.square(v)));
      assertClose(flat(v.value()), [0, 0]);
      assert.equal(calls, 2);
      lr.dispose();
    });

    it("raises TensorFlow's errors", () => {
      const w = new tf.Variable([1, 2], { name: "W" });
      const opt = new tf.train.GradientDescentOptimizer(0.1);
      const loss = tf.reduceSum(tf.square(w));
      assert.throws(() => opt.minimize(loss), /should be a function when eager execution is enabled/);
      assert.throws(() => opt.computeGradients(loss), /should be a function when eager execution is enabled/);
      loss.dispose();
      assert.throws(() => new tf.train.AdagradOptimizer(0.1, 0), /initial_accumulator_value must be positive/);
      inGraph(() => {
        const i = new tf.Variable([1, 2], { name: "I", dtype: "int32" });
        assert.throws(() => opt.minimize(tf.reduceSum(i), { varList: [i] }), /Invalid type int32 for Sum:0, expected: \[float16, bfloat16, float32, float64\]/);
        // Casting from an integer variable passes no gradient back, as in TensorFlow.
        const f = tf.reduceSum(tf.square(tf.cast(i, "float32")));
        assert.throws(() => opt.minimize(f, { varList: [i] }), /No gradients provided for any variable/);
      });
      inGraph(() => assert.throws(() => opt.minimize(tf.constant(1.0)), /No variables to optimize/));
    });

    it("works after tf.compat.v1 style graph building with the default graph", () => {
      inGraph(() => {
        const x = tf.placeholder("float32", [null, 1], { name: "x" });
        const y = tf.placeholder("float32", [null, 1], { name: "y" });
        const W = tf.getVariable("W", [1, 1], { initializer: tf.zerosInitializer() });
        const b = tf.getVariable("b", [1], { initializer: tf.zerosInitializer() });
        const pred = tf.add(tf.matmul(x, W), b);
        const loss = tf.reduceMean(tf.square(tf.subtract(pred, y)));
        const gs = tf.train.getOrCreateGlobalStep();
        const train = new tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss, { globalStep: gs });
        using sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        const xs = [[0], [1], [2], [3]];
        const ys = xs.map(([v]) => [2 * v + 1]);
        for (let i = 0; i < 300; i++) sess.run(train, { "x:0": xs, "y:0": ys });
        assertClose(flat(sess.run(W.value())), [2], 5e-2, "W");
        assertClose(flat(sess.run(b.value())), [1], 5e-2, "b");
        assert.equal(tf.train.globalStep(sess, gs), 300);
      });
    });
  });

  describe("tf.train: grouped GradientDescent updates in a Session step", () => {
    it("reads ordered after the update see it; reads before it do not; every variable is updated once", () => {
      const g = new tf.Graph();
      g.asDefault(() => {
        const vs = [0, 1, 2, 3].map((i) => new tf.Variable(tf.constant([i + 1, 10 * (i + 1)]), { name: `v${i}` }));
        const before = tf.multiply(vs[2].value(), 1) as tf.SymbolicTensor;
        const train = g.controlDependencies([before.op], () =>
          new tf.train.GradientDescentOptimizer(0.5).applyGradients(vs.map((v) => [tf.constant([2, 4]), v] as [tf.Tensor, tf.Variable])),
        )!;
        const after = g.controlDependencies([train], () => vs.map((v) => v.readValue()));
        const sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        const [b, a] = sess.run([before, after]) as [tf.EagerTensor, tf.EagerTensor[]];
        assert.deepEqual([...b.dataSync()], [3, 30]);
        a.forEach((t, i) => assert.deepEqual([...t.dataSync()], [i + 1 - 1, 10 * (i + 1) - 2], `v${i} after the step`));
        // A second step updates from the first one's results.
        sess.run(train);
        vs.forEach((v, i) => assert.deepEqual([...(sess.run(v.value()) as tf.EagerTensor).dataSync()], [i + 1 - 2, 10 * (i + 1) - 4]));
        sess.close();
      });
    });
  });
});
