import assert from "node:assert/strict";
import { after } from "node:test";
import { describe, it } from "./util/devices.js";
import * as tf from "../src/index.js";
import { withOptions } from "./util/settings.js";

/**
 * Dynamic loss scaling skips a graph step whose gradients overflow without a tf.cond: every variable the
 * wrapped optimizer writes is selected back to its value before the step (src/train/skip_step.ts). These
 * tests run steps where some overflow (an input too large for float16 becomes Infinity) and compare every
 * variable, slot, counter and the scale, bit for bit, with TensorFlow's branch (`lossScaleSkip: "cond"`)
 * and with eager steps (a JavaScript branch).
 */

type Form = "select" | "cond" | "eager";
/** Each step's values of every variable of the run, in a fixed order. */
type States = number[][][];

const ROWS = 8;
const HUGE = 1e6;
/** Steps whose inputs overflow float16 (so do their gradients). */
const OVERFLOW = new Set([1, 4, 5]);
const STEPS = 8;

/** Pseudo-random values in [lo, hi), the same every run. */
function values(n: number, lo: number, hi: number, seed = 1): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return lo + (s / 2 ** 31) * (hi - lo);
  });
}

/** Step i's batch: [ROWS, 3] inputs (one of them huge on an overflowing step) and [ROWS, 1] targets. */
function batch(i: number): { x: number[][]; y: number[][] } {
  const flat = values(ROWS * 3, -1, 1, 11 + i);
  const x = Array.from({ length: ROWS }, (_, r) => flat.slice(r * 3, r * 3 + 3));
  const y = x.map(([a, b, c]) => [2 * a - b + 0.5 * c + 0.25]);
  if (OVERFLOW.has(i)) x[2][1] = HUGE;
  return { x, y };
}

const read = (t: tf.Tensor | tf.Variable): number[] =>
  Array.from(((t instanceof tf.Variable ? t.value() : t) as tf.EagerTensor).dataSync() as ArrayLike<number | bigint>, Number);
const graphOpTypes = (g: tf.Graph): string[] => g.getOperations().map((op) => op.type);
const hasBranch = (types: readonly string[]) => types.includes("If") || types.includes("StatelessIf");

/** The states of one run agree, step by step, with another run's: bit for bit (NaN equal to NaN, -0 not 0). */
function assertSameStates(got: States, want: States, what: string): void {
  assert.equal(got.length, want.length);
  got.forEach((step, i) => assert.deepStrictEqual(step, want[i], `${what}: step ${i}`));
}

/** Overflowing steps change nothing but the scale (and the counters `advancing` names); the others change the weights. */
function assertSkipped(states: States, scaleAt: number, advancing: readonly number[]): void {
  for (let i = 1; i < states.length; i++) {
    const [prev, cur] = [states[i - 1], states[i]];
    const scale = cur[scaleAt][0];
    if (OVERFLOW.has(i)) {
      assert.equal(scale, prev[scaleAt][0] / 2, `step ${i} halves the scale`);
      cur.forEach((v, k) => {
        if (k !== scaleAt && k !== scaleAt + 1 && !advancing.includes(k)) assert.deepStrictEqual(v, prev[k], `step ${i} keeps variable #${k}`);
      });
    } else {
      assert.equal(scale, prev[scaleAt][0], `step ${i} keeps the scale`);
      assert.notDeepStrictEqual(cur[0], prev[0], `step ${i} updates the weights`);
    }
  }
}

// ---------------------------------------------------------------- TensorFlow 1

type V1Optimizer = tf.train.Optimizer;
const V1: [string, () => V1Optimizer][] = [
  ["GradientDescent", () => new tf.compat.v1.train.GradientDescentOptimizer(0.05)],
  ["Momentum", () => new tf.compat.v1.train.MomentumOptimizer(0.05, 0.9)],
  ["Momentum (Nesterov)", () => new tf.compat.v1.train.MomentumOptimizer(0.05, 0.9, { useNesterov: true })],
  ["Adam", () => new tf.compat.v1.train.AdamOptimizer(0.05)],
  ["RMSProp (centered, momentum)", () => new tf.compat.v1.train.RMSPropOptimizer(0.01, { momentum: 0.5, centered: true })],
];

/** The model: float32 variables, the product in float16 (so a huge input overflows), a float32 loss. */
function v1Model(x: tf.Tensor, w: tf.Tensor | tf.Variable, b: tf.Tensor | tf.Variable): tf.Tensor {
  const h = tf.add(tf.matmul(tf.cast(x, "float16"), tf.cast(w, "float16")), tf.cast(b, "float16"));
  return tf.cast(h, "float32");
}
const W0 = [[0.3], [-0.2], [0.1]];

/** Steps of a TF1 graph (or eager steps) with MixedPrecisionLossScaleOptimizer: per step, the model, the optimizer's variables, the scale and the global step. */
function runV1(make: () => V1Optimizer, form: Form): { states: States; types: string[] } {
  const states: States = [];
  if (form === "eager") {
    const w = new tf.Variable(tf.constant(W0), { name: "w" });
    const b = new tf.Variable(tf.zeros([1]), { name: "b" });
    const step = new tf.Variable(tf.constant(0, { dtype: "int64" }), { name: "global_step", trainable: false, dtype: "int64" });
    const opt = new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(make(), "dynamic");
    for (let i = 0; i < STEPS; i++) {
      const { x, y } = batch(i);
      const xs = tf.constant(x);
      const ys = tf.constant(y);
      opt.minimize(() => tf.reduceMean(tf.square(tf.sub(v1Model(xs, w, b), ys))), { globalStep: step, varList: [w, b] });
      states.push([read(w), read(b), ...opt.variables().map(read), read(step)]);
    }
    return { states, types: [] };
  }
  return withOptions({ lossScaleSkip: form }, () => {
    const g = new tf.Graph();
    return g.asDefault(() => {
      const x = tf.placeholder("float32", [null, 3]);
      const y = tf.placeholder("float32", [null, 1]);
      const w = new tf.Variable(tf.constant(W0), { name: "w" });
      const b = new tf.Variable(tf.zeros([1]), { name: "b" });
      const loss = tf.reduceMean(tf.square(tf.sub(v1Model(x, w, b), y)));
      const opt = new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(make(), "dynamic");
      const step = tf.compat.v1.train.getOrCreateGlobalStep();
      const train = opt.minimize(loss, step);
      const tracked = [w, b, ...opt.variables(), step];
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      for (let i = 0; i < STEPS; i++) {
        const { x: xs, y: ys } = batch(i);
        sess.run(
          train,
          new Map([
            [x, xs],
            [y, ys],
          ]),
        );
        states.push((sess.run(tracked.map((v) => v.value())) as tf.EagerTensor[]).map(read));
      }
      return { states, types: graphOpTypes(g) };
    });
  });
}

/** In a new graph: a variable w [1, 2], a fed gradient, and the dynamic loss-scaled step of `inner` on them. */
function inDynamicStep(
  inner: V1Optimizer,
  body: (s: {
    g: tf.Graph;
    w: tf.Variable;
    grad: tf.Tensor;
    dyn: InstanceType<typeof tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer>;
    train: tf.Operation;
    ops: tf.Operation[];
  }) => void,
): void {
  const g = new tf.Graph();
  g.asDefault(() => {
    const w = new tf.Variable(tf.constant([1, 2]), { name: "w" });
    const grad = tf.placeholder("float32", [2]);
    const dyn = new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(inner, "dynamic");
    const train = dyn.applyGradients([[grad, w]])!;
    body({ g, w, grad, dyn, train, ops: g.getOperations() });
  });
}

/** Whether `op` waits, through inputs or control inputs, for `target`. */
function waitsFor(op: tf.Operation, target: tf.Operation, seen = new Set<tf.Operation>()): boolean {
  if (op === target) return true;
  if (seen.has(op)) return false;
  seen.add(op);
  return [...op.inputs.map((t) => t.op), ...op.controlInputs].some((o) => waitsFor(o, target, seen));
}

describe("MixedPrecisionLossScaleOptimizer skips overflowing graph steps without a branch", () => {
  for (const [name, make] of V1) {
    it(`${name}: variables, slots, global step and scale as TensorFlow's tf.cond and as eager steps`, () => {
      const select = runV1(make, "select");
      const branch = runV1(make, "cond");
      const eager = runV1(make, "eager");
      assert.ok(!hasBranch(select.types), "no If in the step graph");
      assert.ok(select.types.includes("SelectV2"));
      assert.ok(hasBranch(branch.types), "the cond form is TensorFlow's branch");
      assertSameStates(select.states, branch.states, "select vs cond");
      assertSameStates(select.states, eager.states, "select vs eager");
      // [w, b, ...optimizer variables, scale, good steps, global step]: the global step does not advance when skipped.
      const n = select.states[0].length;
      assertSkipped(select.states, n - 3, []);
      assert.equal(select.states.at(-1)![n - 1][0], STEPS - OVERFLOW.size);
    });
  }

  it("the snapshot is taken before the update and restored after it (control dependencies)", () => {
    inDynamicStep(new tf.compat.v1.train.AdagradOptimizer(1, 0.5), ({ w, grad, dyn, train, ops }) => {
      // TensorFlow 1's Adagrad is an AssignAdd and an AssignSub per variable, grouped as the optimizer's NoOp.
      const apply = ops.find((o) => o.type === "NoOp" && o.name === "Adagrad")!;
      const assigns = ops.filter((o) => o.type === "Assign" && o.name.startsWith("skip_nonfinite"));
      // One final assignment per written variable: w and its accumulator.
      const slot = dyn.getSlot(w, "accumulator")!;
      assert.deepEqual(assigns.map((o) => o.inputs[0].op.name).sort(), [w.ref.op.name, slot.ref.op.name].sort());
      // The update waits for reads of both; each assignment selects between a read after it and a read before.
      for (const a of assigns) {
        const select = a.inputs[1].op;
        assert.equal(select.type, "SelectV2");
        const [updated, before] = [select.inputs[1].op, select.inputs[2].op];
        assert.ok(waitsFor(updated, apply), "the updated value is read after the update");
        assert.ok(waitsFor(apply, before), "the update waits for the value before it");
        assert.ok(!waitsFor(before, apply));
      }
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      sess.run(train, new Map([[grad, [1, 1]]]));
      const after1 = read(sess.run(w.value()) as tf.Tensor);
      const slot1 = read(sess.run(slot.value()) as tf.Tensor);
      sess.run(train, new Map([[grad, [Infinity, 1]]]));
      assert.deepEqual(read(sess.run(w.value()) as tf.Tensor), after1, "a skipped step restores w");
      assert.deepEqual(read(sess.run(slot.value()) as tf.Tensor), slot1, "and its slot");
    });
  });

  it("SGD and Momentum skip by their update's inputs: no snapshot, the step's inputs selected on finite", () => {
    inDynamicStep(new tf.compat.v1.train.MomentumOptimizer(1, 0.5), ({ g, w, grad, dyn, train, ops }) => {
      assert.deepEqual(
        ops.filter((o) => o.name.startsWith("skip_nonfinite")),
        [],
      );
      // ApplyMomentum(var, accum, lr, grad, momentum): lr, grad and momentum each a select on the finite check.
      const apply = ops.find((o) => o.type === "ApplyMomentum")!;
      for (const i of [2, 3, 4]) assert.equal(apply.inputs[i].op.type, "SelectV2", `input ${i}`);
      using sess = new tf.Session();
      sess.run(tf.globalVariablesInitializer());
      sess.run(train, new Map([[grad, [1, 1]]]));
      assert.deepEqual(read(sess.run(w.value()) as tf.Tensor), [0, 1]);
      sess.run(train, new Map([[grad, [Infinity, Number.NaN]]]));
      assert.deepEqual(read(sess.run(w.value()) as tf.Tensor), [0, 1], "a skipped step leaves w");
      assert.deepEqual(read(sess.run(dyn.getSlot(w, "momentum")!.value()) as tf.Tensor), [1, 1], "and its slot");
      // A subclass may write more than the class's update: it takes the snapshot form.
      class Sub extends tf.compat.v1.train.MomentumOptimizer {}
      const w2 = new tf.Variable(tf.constant([1, 2]), { name: "w2" });
      new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(new Sub(1, 0.5), "dynamic").applyGradients([[grad, w2]]);
      assert.ok(g.getOperations().some((o) => o.type === "Assign" && o.name.startsWith("skip_nonfinite")));
    });
  });

  it("a wrapped optimizer that writes a variable of its own is refused, and takes the cond form", () => {
    class Counting extends tf.compat.v1.train.GradientDescentOptimizer {
      counter: tf.Variable | null = null;
      protected override applyDense(grad: tf.Tensor, v: tf.Variable) {
        this.counter ??= new tf.Variable(tf.constant(0), { name: "counter" });
        this.counter.assignAdd(1);
        return super.applyDense(grad, v);
      }
    }
    const build = () => {
      const g = new tf.Graph();
      return g.asDefault(() => {
        const w = new tf.Variable(tf.constant([1, 2]), { name: "w" });
        const opt = new tf.compat.v1.train.experimental.MixedPrecisionLossScaleOptimizer(new Counting(0.1), "dynamic");
        return opt.applyGradients([[tf.constant([1, 1]), w]]);
      });
    };
    assert.throws(
      build,
      (e: Error) =>
        e instanceof tf.errors.UnimplementedError && /writes GradientDescent\/update_w\/counter/.test(e.message) && /lossScaleSkip: "cond"/.test(e.message),
    );
    assert.ok(withOptions({ lossScaleSkip: "cond" }, build));
  });
});

// ---------------------------------------------------------------- Keras

const KERAS: [string, () => tf.keras.optimizers.Optimizer][] = [
  ["SGD", () => new tf.keras.optimizers.SGD(0.05)],
  ["SGD with momentum", () => new tf.keras.optimizers.SGD(0.05, 0.9)],
  ["SGD with Nesterov momentum", () => new tf.keras.optimizers.SGD(0.05, 0.9, true)],
  ["Adam", () => new tf.keras.optimizers.Adam(0.02)],
  ["RMSprop (momentum, centered)", () => new tf.keras.optimizers.RMSprop(0.01, { momentum: 0.5, centered: true })],
];

/** A mixed_float16 model fitted on the steps' batches, one batch per step: per step every weight, the optimizer's variables and the scale. */
async function fitKeras(make: () => tf.keras.optimizers.Optimizer, form: Form): Promise<{ states: States; types: string[] }> {
  const saved = tf.config.experimental.getTsflowOptions().lossScaleSkip;
  tf.config.experimental.setTsflowOptions({ lossScaleSkip: form === "eager" ? saved : form });
  try {
    tf.keras.mixedPrecision.setGlobalPolicy("mixed_float16");
    const model = new tf.keras.Sequential([
      new tf.keras.layers.Dense(4, { inputShape: [3], activation: "relu" }),
      new tf.keras.layers.Dense(1),
      new tf.keras.layers.Activation("linear", { dtype: "float32" }),
    ]);
    tf.keras.mixedPrecision.setGlobalPolicy("float32");
    model.setWeights([
      tf.constant(values(12, -1, 1, 3), { shape: [3, 4] }),
      tf.constant(values(4, 0, 0.1, 4)),
      tf.constant(values(4, -1, 1, 5), { shape: [4, 1] }),
      tf.constant([0.1]),
    ]);
    const opt = new tf.keras.mixedPrecision.LossScaleOptimizer(make());
    model.compile({ optimizer: opt, loss: "mse", runEagerly: form === "eager" });
    const rows = Array.from({ length: STEPS }, (_, i) => batch(i));
    const xs = tf.constant(rows.flatMap((r) => r.x));
    const ys = tf.constant(rows.flatMap((r) => r.y));
    const states: States = [];
    const record = () => states.push([...model.weights.map(read), ...opt.variables().map(read)]);
    await model.fit(xs, ys, {
      batchSize: ROWS,
      epochs: 1,
      shuffle: false,
      verbose: 0,
      callbacks: [new tf.keras.callbacks.LambdaCallback({ onBatchEnd: record })],
    });
    const g = model.trainStepGraph();
    return { states, types: g ? graphOpTypes(g) : [] };
  } finally {
    tf.config.experimental.setTsflowOptions({ lossScaleSkip: saved });
  }
}

describe("Keras LossScaleOptimizer skips overflowing traced fit steps without a branch", () => {
  after(() => tf.keras.mixedPrecision.setGlobalPolicy("float32"));
  for (const [name, make] of KERAS) {
    it(`${name}: weights, slots, iterations and scale as TensorFlow's tf.cond and as eager steps`, async () => {
      const select = await fitKeras(make, "select");
      const branch = await fitKeras(make, "cond");
      const eager = await fitKeras(make, "eager");
      assert.ok(select.types.length > 0 && !hasBranch(select.types), "a traced step with no If");
      assert.ok(hasBranch(branch.types), "the cond form is TensorFlow's branch");
      // SGD skips by its update's inputs: no final assignment of each of the 4 weights (the scale's own remain).
      const assigns = select.types.filter((t) => t === "Assign").length;
      if (name.startsWith("SGD")) assert.ok(assigns < 4, `${assigns} assignments`);
      else assert.ok(assigns >= 4, `${assigns} assignments`);
      assertSameStates(select.states, branch.states, "select vs cond");
      assertSameStates(select.states, eager.states, "select vs eager");
      // [4 weights, iterations, ...slots, scale, good steps]: iterations counts skipped steps too, as tf.keras.
      const n = select.states[0].length;
      assertSkipped(select.states, n - 2, [4]);
      assert.deepEqual(
        select.states.map((s) => s[4][0]),
        Array.from({ length: STEPS }, (_, i) => i + 1),
      );
    });
  }
});
