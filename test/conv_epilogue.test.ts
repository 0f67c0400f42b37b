/**
 * Conv2D + bias (+ Relu) epilogues in Session plans (runtime/epilogue.ts) on the CPU: the finder's groups,
 * and training steps that give the same numbers, bit for bit, with the epilogue pass on and off (float32:
 * the direct WebAssembly convolution applies the bias and the Relu as it stores; float64: the backend
 * declines and the nodes run one by one).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import type { Backend } from "../src/core/backend.js";
import { localDevices } from "../src/backends/placement.js";
import { orderedPlan } from "../src/runtime/compile.js";
import { findEpilogueGroups } from "../src/runtime/epilogue.js";
import type { OpStep } from "../src/runtime/plan.js";
import { mulberry32 } from "./util/random.js";
import { withOptions } from "./util/settings.js";

const cpuDevice = () => localDevices().find((d) => d.backend.deviceType === "CPU")!;

function values(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

describe("Conv2D epilogues: the pattern finder", () => {
  it("groups NHWC Conv2D + BiasAdd/AddV2 (+ Relu); not NCHW, not a 2-D bias, not a fetched convolution", () => {
    new tf.Graph().asDefault(() => {
      const x = tf.placeholder("float32", [null, 8, 8, 3], { name: "x" });
      const xc = tf.placeholder("float32", [null, 3, 8, 8], { name: "xc" });
      const w = tf.constant(values(3 * 3 * 3 * 4, 1), { shape: [3, 3, 3, 4] });
      const b = tf.constant(values(4, 2), { shape: [4] });
      const b2 = tf.constant(values(8 * 4, 3), { shape: [8, 4] });
      const conv = (n: string, input = x, dataFormat = "NHWC") => tf.nn.conv2d(input, w, 1, "SAME", { dataFormat, name: n });
      const r1 = tf.nn.relu(tf.nn.biasAdd(conv("c1"), b, { name: "add1" }), "relu1");
      const a2 = tf.add(conv("c2"), b, "add2");
      const a3 = tf.nn.biasAdd(conv("c3", xc, "NCHW"), b, { dataFormat: "NCHW", name: "add3" });
      const a4 = tf.add(conv("c4"), b2, "add4");
      const c5 = conv("c5");
      const a5 = tf.add(c5, b, "add5");
      const plan = orderedPlan([r1, a2, a3, a4, a5, c5] as unknown as tf.SymbolicTensor[], [], [], () => cpuDevice());
      const groups = findEpilogueGroups(plan, () => true);
      assert.deepEqual(
        groups.map((g) => g.members.map((m) => (plan.steps[m] as OpStep).op.name)),
        [
          ["c1", "add1", "relu1"],
          ["c2", "add2"],
        ],
      );
      assert.deepEqual(
        groups.map((g) => g.relu),
        [true, false],
      );
    });
  });
});

/** A small LeNet-style graph trained three steps; returns the losses, a forward activation and the weights. */
function train(dtype: "float32" | "float64", epilogues: boolean): number[][] {
  const feed = {
    "x:0": tf.constant(values(4 * 12 * 12 * 2, 21), { dtype, shape: [4, 12, 12, 2] }) as tf.EagerTensor,
    "y:0": tf.oneHot([0, 1, 2, 1], 3, { dtype }) as tf.EagerTensor,
  };
  // On the CPU even where a GPU is present: the test is of the CPU backend's epilogue.
  return withOptions({ epilogues }, () =>
    new tf.Graph().asDefault(() =>
      tf.device("/CPU:0", () => {
        const x = tf.placeholder(dtype, [null, 12, 12, 2], { name: "x" });
        const y = tf.placeholder(dtype, [null, 3], { name: "y" });
        const v = (shape: number[], seed: number, scale: number) =>
          new tf.Variable(
            tf.constant(
              values(
                shape.reduce((p, d) => p * d, 1),
                seed,
                scale,
              ),
              { dtype, shape },
            ),
          );
        const w1 = v([3, 3, 2, 6], 11, 0.4);
        const b1 = v([6], 12, 0.1);
        const w2 = v([3, 3, 6, 5], 13, 0.3);
        const b2 = v([5], 14, 0.1);
        const w3 = v([4 * 4 * 5, 3], 15, 0.2);
        let h = tf.nn.maxPool(tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(x, w1, 1, "SAME"), b1)), 2, 2, "VALID");
        const act = tf.nn.relu(tf.add(tf.nn.conv2d(h, w2, 1, "VALID"), b2));
        h = tf.reshape(act, [-1, 4 * 4 * 5]);
        const loss = tf.reduceMean(tf.nn.softmaxCrossEntropyWithLogits(y, tf.matmul(h, w3)));
        const step = new tf.train.GradientDescentOptimizer(0.1).minimize(loss);
        using sess = new tf.Session();
        sess.run(tf.globalVariablesInitializer());
        const out: number[][] = [];
        for (let i = 0; i < 3; i++) {
          const [l, a] = sess.run([loss, act, step], feed) as tf.Tensor[];
          out.push(Array.from(l.dataSync() as Float32Array), Array.from(a.dataSync() as Float32Array));
        }
        for (const w of [w1, b1, w2, b2, w3]) out.push(Array.from(sess.run(w.value()).dataSync() as Float32Array));
        return out;
      }),
    ),
  );
}

describe("Conv2D epilogues in Sessions on the CPU", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`training steps equal the unfused nodes bit for bit (${dtype}${dtype === "float64" ? ": the backend declines" : ""})`, () => {
      const cpu = cpuDevice().backend as Backend;
      const own = cpu.conv2dEpilogue!;
      let calls = 0;
      let computed = 0;
      cpu.conv2dEpilogue = (...a) => {
        calls++;
        const r = own.apply(cpu, a);
        if (r) computed++;
        return r;
      };
      try {
        const fused = train(dtype, true);
        const plainCalls = calls;
        const plain = train(dtype, false);
        assert.equal(calls, plainCalls, "no epilogue calls with the pass off");
        assert.ok(plainCalls >= 6, `two convolutions per step went to the epilogue (${plainCalls} calls)`);
        assert.equal(computed > 0, dtype === "float32", `computed ${computed} of ${calls}`);
        assert.deepEqual(fused, plain);
      } finally {
        delete (cpu as { conv2dEpilogue?: unknown }).conv2dEpilogue;
      }
      assert.equal(cpu.conv2dEpilogue, own, "the backend's own method is back");
    });
  }
});
