import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { gpuBackend } from "../src/backends/cuda/index.js";
import { gpuOnly } from "./util/gpu.js";
import { withOptions } from "./util/settings.js";

/**
 * Grouped variable updates in Session plans (runtime/grouped_updates.ts): a step's gradient-descent updates
 * and its AssignAdd counters become one update_group step (describePlan) where nothing in between can see
 * the difference; every value stays what the ungrouped plan computes, and whatever reads a grouped variable,
 * or updates it a second time, sees the updates before it. On a GPU the group is one launch per op type.
 */

type E = tf.EagerTensor;
/** A variable's value in a session, as numbers. */
const valueIn = (sess: tf.Session, v: tf.Variable) => Array.from((sess.run(v.value()) as E).dataSync() as ArrayLike<number | bigint>, (x) => Number(x));
const groups = (plan: string) =>
  plan
    .split("\n")
    .filter((l) => l.includes(" group=["))
    .map((l) => /group=\[([^\]]*)\]/.exec(l)![1].split(","));

/** A linear model's mean squared output on a [4, 3] batch, in the default graph: its input, weights and loss. */
function linearLoss() {
  const x = tf.placeholder("float32", [4, 3], { name: "x" });
  const w = new tf.Variable(tf.constant([[0.5], [-0.25], [1]]), { name: "w" });
  const b = new tf.Variable(tf.constant([0.1]), { name: "b" });
  const loss = tf.reduceMean(tf.square(tf.add(tf.matmul(x, w.value()), b.value())));
  return { x, w, b, loss };
}

/** A Keras-like training step: a loss tracker's total and count, SGD on two variables, then the iteration counter. */
function kerasLikeStep(device: string) {
  const g = new tf.Graph();
  return g.asDefault(() =>
    tf.device(device, () => {
      const { x, w, b, loss } = linearLoss();
      const total = new tf.Variable(0, { name: "total", trainable: false });
      const count = new tf.Variable(0, { name: "count", trainable: false });
      const iterations = new tf.Variable(tf.constant(0, "int64"), { name: "iterations", trainable: false });
      const track = [tf.compat.v1.assignAdd(total, tf.multiply(loss, 4)), tf.compat.v1.assignAdd(count, 4)];
      const apply = new tf.compat.v1.train.GradientDescentOptimizer(0.05).minimize(loss);
      const step = tf.controlDependencies([apply], () => tf.compat.v1.assignAdd(iterations, tf.constant(1, "int64")));
      const train = tf.group([...track, step]);
      const sess = new tf.compat.v1.Session();
      sess.run(tf.compat.v1.globalVariablesInitializer());
      return { sess, x, train, vars: [w, b, total, count, iterations] };
    }),
  );
}

/** The step's batch, fed by the placeholder's name. */
const feed = (k: number) => ({ "x:0": Array.from({ length: 4 }, (_, r) => Array.from({ length: 3 }, (_, c) => Math.sin(r * 3 + c + k))) });

function train(device: string, steps: number) {
  const m = kerasLikeStep(device);
  for (let k = 0; k < steps; k++) m.sess.run(m.train, feed(k));
  const values = m.vars.map((v) => valueIn(m.sess, v));
  const plan = m.sess.describePlan(m.train, [m.x]);
  m.sess.close();
  return { values, plan };
}

describe("grouped variable updates in Session plans", () => {
  it("puts a step's counters and its SGD updates in one group, with the ungrouped plan's values", () => {
    const on = train("/cpu:0", 5);
    const off = withOptions({ groupUpdates: false }, () => train("/cpu:0", 5));
    const [group, ...rest] = groups(on.plan);
    assert.deepEqual(rest, [], on.plan);
    assert.equal(group.filter((n) => /AssignAdd/.test(n)).length, 3, on.plan);
    assert.equal(group.filter((n) => /GradientDescent/.test(n)).length, 2, on.plan);
    assert.deepEqual(groups(off.plan), []);
    assert.deepEqual(on.values, off.values);
    assert.deepEqual(on.values[4], [5], "iterations");
    assert.deepEqual(on.values[3], [20], "count");
  });

  it("a read of a grouped variable sees the updates before it, and a second update of it is applied too", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const v = new tf.Variable(1, { name: "v" });
      const u = new tf.Variable(10, { name: "u" });
      const first = tf.compat.v1.assignAdd(v, 2);
      const addU = tf.compat.v1.assignAdd(u, 1);
      // Reads v after its first update (a control edge) and adds the read back to v: 3, then 3 + 3 = 6.
      const seen = tf.controlDependencies([first, addU], () => v.readValue());
      const second = tf.compat.v1.assignAdd(v, seen);
      const sess = new tf.compat.v1.Session();
      sess.run(tf.compat.v1.globalVariablesInitializer());
      const [s] = sess.run([seen, second]) as E[];
      assert.deepEqual(Array.from(s.dataSync() as Float32Array), [3]);
      assert.deepEqual(valueIn(sess, v), [6]);
      assert.deepEqual(valueIn(sess, u), [11]);
      sess.close();
    });
  });

  it("two updates of one variable with nothing between are both applied", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const v = new tf.Variable(10, { name: "v" });
      const first = tf.compat.v1.assignAdd(v, 1);
      const again = tf.controlDependencies([first], () => tf.compat.v1.assignAdd(v, 5));
      const sess = new tf.compat.v1.Session();
      sess.run(tf.compat.v1.globalVariablesInitializer());
      const plan = sess.describePlan(tf.group([again]));
      assert.equal(groups(plan).length, 2, plan);
      sess.run(tf.group([again]));
      assert.deepEqual(valueIn(sess, v), [16]);
      sess.close();
    });
  });

  it("a stateful op between two updates ends the group: a random draw keeps its place", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const a = new tf.Variable(0, { name: "a" });
      const b = new tf.Variable(0, { name: "b" });
      const ua = tf.compat.v1.assignAdd(a, 1);
      const r = tf.controlDependencies([ua], () => tf.randomUniform([], 0, 1, "float32", 3));
      const ub = tf.controlDependencies([r], () => tf.compat.v1.assignAdd(b, 1));
      const sess = new tf.compat.v1.Session();
      sess.run(tf.compat.v1.globalVariablesInitializer());
      const plan = sess.describePlan(tf.group([ub, r]));
      assert.equal(groups(plan).length, 2, plan);
      sess.run(tf.group([ub, r]));
      assert.deepEqual(
        [a, b].map((v) => (sess.run(v.value()) as E).dataSync()[0]),
        [1, 1],
      );
      sess.close();
    });
  });

  it("on a GPU, captured: the Keras-like step's values are the CPU's after 5 steps (the counters too)", gpuOnly, () => {
    const got = train("/gpu:0", 5);
    const want = train("/cpu:0", 5);
    got.values.forEach((v, i) =>
      v.forEach((x, j) => assert.ok(Math.abs(x - want.values[i][j]) <= 1e-5 * Math.max(1, Math.abs(x)), `variable ${i}: ${v} vs ${want.values[i]}`)),
    );
  });

  it("on a GPU: AssignAdds of float32 and int64 values computed on the device are one launch", gpuOnly, () => {
    const gpu = gpuBackend(0)!;
    const run = (grouped: boolean) =>
      withOptions({ groupUpdates: grouped, cudaGraphs: false }, () => {
        const g = new tf.Graph();
        return g.asDefault(() =>
          tf.device("/gpu:0", () => {
            const x = tf.placeholder("float32", [64], { name: "x" });
            const a = new tf.Variable(0, { name: "a" });
            const b = new tf.Variable(0, { name: "b" });
            const c = new tf.Variable(tf.constant(0, "int64"), { name: "c", dtype: "int64" });
            const adds = [
              tf.compat.v1.assignAdd(a, tf.reduceSum(x)),
              tf.compat.v1.assignAdd(b, tf.reduceMax(x)),
              tf.compat.v1.assignAdd(c, tf.cast(tf.reduceSum(x), "int64")),
            ];
            const sess = new tf.compat.v1.Session();
            sess.run(tf.compat.v1.globalVariablesInitializer());
            const xs = (k: number) => ({ "x:0": Float32Array.from({ length: 64 }, (_, i) => i + k) });
            // 64 values: reduced by kernels, not on the host (small values with host copies are). The first run leaves
            // each variable a value computed on the device, with no host copy.
            sess.run(tf.group(adds), xs(0));
            const l0 = gpu.stats.launches;
            sess.run(tf.group(adds), xs(1));
            const launches = gpu.stats.launches - l0;
            const values = [a, b, c].map((v) => valueIn(sess, v)[0]);
            sess.close();
            return { launches, values };
          }),
        );
      });
    const on = run(true);
    const off = run(false);
    // 2016 + 2080, 63 + 64, 2016 + 2080.
    assert.deepEqual(on.values, [4096, 127, 4096]);
    assert.deepEqual(off.values, on.values);
    assert.equal(off.launches - on.launches, 2, `${on.launches} launches grouped, ${off.launches} not`);
  });

  it("on a GPU, captured: variables are updated in their own buffers, with no copy home at the graph's end", gpuOnly, () => {
    const gpu = gpuBackend(0)!;
    const g = new tf.Graph();
    g.asDefault(() =>
      tf.device("/gpu:0", () => {
        const d = tf.placeholder("float32", [64], { name: "d" });
        const vs = [0, 1, 2].map((i) => new tf.Variable(tf.fill([64], i), { name: `v${i}` }));
        const n = new tf.Variable(tf.zeros([64]), { name: "n" });
        const apply = new tf.compat.v1.train.GradientDescentOptimizer(0.5).applyGradients(vs.map((v) => [d, v]));
        const step = tf.group([apply, tf.compat.v1.assignAdd(n, d)]);
        const sess = new tf.compat.v1.Session();
        sess.run(tf.compat.v1.globalVariablesInitializer());
        const feed = { "d:0": Float32Array.from({ length: 64 }, (_, i) => i) };
        const captured0 = gpu.stats.graphsCaptured;
        for (let k = 0; k < 4; k++) sess.run(step, feed);
        assert.equal(gpu.stats.graphsCaptured - captured0, 1, "captured once");
        // The gradient-descent group and the AddV2 group in one launch (update_mixed): nothing copied home.
        assert.equal(gpu.stats.graphNodes, 1, sess.describePlan(step, [d]));
        vs.forEach((v, i) =>
          assert.deepEqual(
            valueIn(sess, v),
            Array.from({ length: 64 }, (_, j) => i - 4 * 0.5 * j),
          ),
        );
        assert.deepEqual(
          valueIn(sess, n),
          Array.from({ length: 64 }, (_, j) => 4 * j),
        );
        sess.close();
      }),
    );
  });

  it("on a GPU, captured: Momentum's updates and float32 and int64 counters are one launch, with the CPU's values", gpuOnly, () => {
    const gpu = gpuBackend(0)!;
    for (const useNesterov of [false, true]) {
      const run = (device: string) => {
        const g = new tf.Graph();
        return g.asDefault(() =>
          tf.device(device, () => {
            // The gradients and the loss are fed: the step's graph is its updates alone.
            const ds = [0, 1].map((i) => tf.placeholder("float32", [3, 5], { name: `d${i}` }));
            const s = tf.placeholder("float32", [], { name: "s" });
            const vs = [0, 1].map((i) => new tf.Variable(tf.fill([3, 5], i + 0.5), { name: `v${i}` }));
            const total = new tf.Variable(0, { name: "total" });
            const iterations = new tf.Variable(tf.constant(0, "int64"), { name: "iterations", dtype: "int64" });
            const apply = new tf.compat.v1.train.MomentumOptimizer(0.1, 0.9, { useNesterov }).applyGradients(vs.map((v, i) => [ds[i], v]));
            const counters = [tf.compat.v1.assignAdd(total, s), tf.compat.v1.assignAdd(iterations, tf.constant(1, "int64"))];
            const step = tf.group([apply, ...counters]);
            const sess = new tf.compat.v1.Session();
            sess.run(tf.compat.v1.globalVariablesInitializer());
            const captured0 = gpu.stats.graphsCaptured;
            const grad = (k: number, i: number) => Float32Array.from({ length: 15 }, (_, j) => Math.cos(j + k + 7 * i));
            for (let k = 0; k < 4; k++) sess.run(step, { "d0:0": grad(k, 0), "d1:0": grad(k, 1), "s:0": k + 0.25 });
            const captured = gpu.stats.graphsCaptured - captured0;
            const nodes = gpu.stats.graphNodes;
            const values = [...vs, total, iterations].map((v) => valueIn(sess, v));
            sess.close();
            return { values, captured, nodes };
          }),
        );
      };
      const want = run("/cpu:0");
      const got = run("/gpu:0");
      const apart = withOptions({ groupUpdates: false }, () => run("/gpu:0"));
      assert.equal(got.captured, 1, "captured once");
      // Two momentum updates and two additions: one launch each apart, one update_mixed launch grouped.
      assert.equal(got.nodes, 1, `${got.nodes} graph nodes grouped`);
      assert.ok(apart.nodes >= 4, `${apart.nodes} graph nodes apart`);
      assert.deepEqual(apart.values, got.values);
      got.values.forEach((v, i) => v.forEach((x, j) => assert.ok(Math.abs(x - want.values[i][j]) <= 1e-5, `variable ${i}: ${v} vs ${want.values[i]}`)));
      assert.deepEqual(got.values[2], [7]);
      assert.deepEqual(got.values[3], [4]);
    }
  });

  it("Momentum's updates (variable and accumulator) group too, with the ungrouped values, Nesterov included", () => {
    for (const useNesterov of [false, true]) {
      const run = (device: string) => {
        const g = new tf.Graph();
        return g.asDefault(() =>
          tf.device(device, () => {
            const { x, w, b, loss } = linearLoss();
            const train = new tf.compat.v1.train.MomentumOptimizer(0.05, 0.9, { useNesterov }).minimize(loss);
            const sess = new tf.compat.v1.Session();
            sess.run(tf.compat.v1.globalVariablesInitializer());
            for (let k = 0; k < 5; k++) sess.run(train, feed(k));
            const values = [w, b].map((v) => valueIn(sess, v));
            const plan = sess.describePlan(train, [x]);
            sess.close();
            return { values, plan };
          }),
        );
      };
      const on = run("/cpu:0");
      const off = withOptions({ groupUpdates: false }, () => run("/cpu:0"));
      assert.deepEqual(
        groups(on.plan).map((gr) => gr.length),
        [2],
        on.plan,
      );
      assert.deepEqual(on.values, off.values);
      if (!gpuOnly.skip) {
        const gpu = run("/gpu:0");
        gpu.values.forEach((v, i) => v.forEach((x, j) => assert.ok(Math.abs(x - on.values[i][j]) <= 1e-5, `variable ${i}: ${v} vs ${on.values[i]}`)));
      }
    }
  });
});
